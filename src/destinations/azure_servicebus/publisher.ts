/**
 * The `azure_servicebus` publisher (@azure/service-bus, AMQP 1.0): one client and one sender per destination,
 * reused; each attempt sends the event JSON as the body (bytes, an AMQP data section), the event id as
 * messageId, the event type as subject and the metadata as application properties, and waits for the broker
 * to accept it. The SDK retries nothing (`maxRetries: 0`): retries are the dispatcher's.
 */
import { ServiceBusClient, type ServiceBusSender } from '@azure/service-bus';
import { Attempt, connectionFailure, errorText } from '../support/attempt.js';
import { ClientCache } from '../support/clientCache.js';
import { createHostGuard, type HostGuard } from '../support/hostGuard.js';
import type { DestinationTarget, DestinationTypeDeps, OutboundMessage, PublishOutcome, TypedPublisher, TypedPublishOptions } from '../types.js';
import { connectionStringParts, type ServiceBusConfig, type ServiceBusCredentials } from './config.js';

/** ServiceBusError codes → the nearest HTTP status, and whether retrying can help. */
const CODES: Record<string, { status: number; permanent: boolean }> = {
  MessagingEntityNotFound: { status: 404, permanent: true },
  MessagingEntityDisabled: { status: 403, permanent: true },
  UnauthorizedAccess: { status: 401, permanent: true },
  MessageSizeExceeded: { status: 413, permanent: true },
  QuotaExceeded: { status: 429, permanent: false },
  ServiceBusy: { status: 503, permanent: false },
  ServiceTimeout: { status: 504, permanent: false },
  GeneralError: { status: 500, permanent: false },
};

export function serviceBusFailure(attempt: Attempt, error: unknown): PublishOutcome {
  if (attempt.aborted() !== null) return attempt.networkFailure(error);
  const code = (error as { code?: unknown } | null)?.code;
  const text = errorText(error);
  const network = connectionFailure(text);
  if (network !== null) return attempt.unreachable(network, text);
  if (code === 'ServiceCommunicationProblem') return attempt.unreachable('UNKNOWN', text);
  const mapped = typeof code === 'string' ? CODES[code] : undefined;
  if (mapped === undefined) return attempt.networkFailure(error);
  return attempt.rejected(mapped.status, `${String(code)}: ${text}`.slice(0, 1000), mapped.permanent);
}

interface Held {
  client: ServiceBusClient;
  sender: ServiceBusSender;
}

export class ServiceBusPublisher implements TypedPublisher<ServiceBusConfig, ServiceBusCredentials> {
  private readonly clients = new ClientCache<Held>(async ({ client, sender }) => {
    await sender.close().catch(() => undefined);
    await client.close();
  });
  private readonly guard: HostGuard;

  constructor(deps: DestinationTypeDeps) {
    this.guard = createHostGuard(deps.outboundAllowlist);
  }

  async publish(message: OutboundMessage, target: DestinationTarget<ServiceBusConfig, ServiceBusCredentials>, options: TypedPublishOptions): Promise<PublishOutcome> {
    const endpoint = new URL(connectionStringParts(target.credentials.connection_string).get('Endpoint') ?? 'sb://invalid/');
    const attempt = new Attempt(options, { requestedUrl: `sb://${endpoint.host}/${target.config.name}`, httpMethod: 'send' });
    try {
      // The AMQP connection is opened by rhea inside the SDK: check where the endpoint resolves before it does.
      await attempt.race(this.guard.checkResolved(endpoint.hostname));
      const { sender } = this.clients.get(target.destinationId, [target.config, target.credentials], () => {
        const client = new ServiceBusClient(target.credentials.connection_string, { retryOptions: { maxRetries: 0, timeoutInMs: 30_000 } });
        return { client, sender: client.createSender(target.config.name) };
      });
      await sender.sendMessages(
        {
          body: message.body,
          contentType: message.contentType,
          messageId: message.eventId,
          subject: message.eventType,
          applicationProperties: { ...message.metadata },
        },
        { abortSignal: attempt.signal },
      );
      return attempt.success(200);
    } catch (error) {
      return serviceBusFailure(attempt, error);
    }
  }

  async evict(destinationId: string): Promise<void> {
    await this.clients.evict(destinationId);
  }

  async close(): Promise<void> {
    await this.clients.close();
  }
}
