/**
 * The `gcp_pubsub` publisher: one PubSub client per destination (@google-cloud/pubsub, gRPC), reused; each
 * attempt publishes the event JSON as `data` with the metadata as attributes and waits for the message id. The
 * client batches concurrent messages for a few milliseconds (each still gets its own answer) and retries
 * nothing itself. With an endpoint override, `http://` means plaintext gRPC (as the official emulator, which
 * the SDK supports through the same `apiEndpoint` + insecure-credentials path as PUBSUB_EMULATOR_HOST — passed
 * here as options, never through the environment), `https://` means TLS.
 */
import { PubSub, type Topic } from '@google-cloud/pubsub';
import { Attempt, connectionFailure, errorText } from '../support/attempt.js';
import { ClientCache } from '../support/clientCache.js';
import { createHostGuard, type HostGuard } from '../support/hostGuard.js';
import type { DestinationTarget, DestinationTypeDeps, OutboundMessage, PublishOutcome, TypedPublisher, TypedPublishOptions } from '../types.js';
import { readServiceAccount, type PubsubConfig, type PubsubCredentials } from './config.js';

/** gRPC status → HTTP status (the usual mapping) and whether retrying can help. */
const GRPC_STATUS: Record<number, { status: number; permanent: boolean }> = {
  2: { status: 500, permanent: false }, // UNKNOWN
  3: { status: 400, permanent: true }, // INVALID_ARGUMENT
  5: { status: 404, permanent: true }, // NOT_FOUND
  6: { status: 409, permanent: false }, // ALREADY_EXISTS
  7: { status: 403, permanent: true }, // PERMISSION_DENIED
  8: { status: 429, permanent: false }, // RESOURCE_EXHAUSTED
  9: { status: 400, permanent: true }, // FAILED_PRECONDITION
  10: { status: 409, permanent: false }, // ABORTED
  11: { status: 400, permanent: true }, // OUT_OF_RANGE
  12: { status: 501, permanent: true }, // UNIMPLEMENTED
  13: { status: 500, permanent: false }, // INTERNAL
  14: { status: 503, permanent: false }, // UNAVAILABLE
  15: { status: 500, permanent: false }, // DATA_LOSS
  16: { status: 401, permanent: true }, // UNAUTHENTICATED
};

export function pubsubFailure(attempt: Attempt, error: unknown): PublishOutcome {
  if (attempt.aborted() !== null) return attempt.networkFailure(error);
  const code = (error as { code?: unknown } | null)?.code;
  const text = errorText(error);
  if (typeof code !== 'number') return attempt.networkFailure(error);
  if (code === 4) return attempt.unreachable('TIMEOUT', text);
  if (code === 1) return attempt.unreachable('CANCELLED', text);
  if (code === 14) {
    // UNAVAILABLE is also how gRPC reports a connection that never opened: tell those apart by the cause.
    const network = connectionFailure(text);
    if (network !== null) return attempt.unreachable(network, text);
  }
  const mapped = GRPC_STATUS[code] ?? { status: 500, permanent: false };
  return attempt.rejected(mapped.status, text.slice(0, 1000), mapped.permanent);
}

export class PubsubPublisher implements TypedPublisher<PubsubConfig, PubsubCredentials> {
  private readonly clients = new ClientCache<{ pubsub: PubSub; topic: Topic }>(({ pubsub }) => pubsub.close());
  private readonly guard: HostGuard;

  constructor(deps: DestinationTypeDeps) {
    this.guard = createHostGuard(deps.outboundAllowlist);
  }

  private client(target: DestinationTarget<PubsubConfig, PubsubCredentials>) {
    const { config } = target;
    return this.clients.get(target.destinationId, [config, target.credentials], () => {
      const key = readServiceAccount(target.credentials.service_account_json);
      if (typeof key === 'string') throw new InvalidCredentials(`service_account_json ${key}`);
      const endpoint = config.endpoint === undefined ? undefined : new URL(config.endpoint);
      const pubsub = new PubSub({
        projectId: config.project_id,
        credentials: { client_email: key.client_email, private_key: key.private_key },
        ...(endpoint === undefined
          ? {}
          : { apiEndpoint: endpoint.host, port: Number(endpoint.port || (endpoint.protocol === 'https:' ? 443 : 80)), emulatorMode: endpoint.protocol === 'http:' }),
      });
      const topic = pubsub.topic(config.topic, {
        batching: { maxMessages: 100, maxMilliseconds: 5 },
        // One try: retries are the dispatcher's.
        gaxOpts: { maxRetries: 0 },
      });
      return { pubsub, topic };
    });
  }

  async publish(message: OutboundMessage, target: DestinationTarget<PubsubConfig, PubsubCredentials>, options: TypedPublishOptions): Promise<PublishOutcome> {
    const { config } = target;
    const attempt = new Attempt(options, {
      requestedUrl: `${config.endpoint ?? 'https://pubsub.googleapis.com'}/v1/projects/${config.project_id}/topics/${config.topic}`,
      httpMethod: 'Publish',
    });
    try {
      // gRPC resolves names itself, so the guard checks the endpoint's addresses before the client connects.
      if (config.endpoint !== undefined) await attempt.race(this.guard.checkResolved(new URL(config.endpoint).hostname));
      const { topic } = this.client(target);
      const messageId = await attempt.race(topic.publishMessage({ data: message.body, attributes: { ...message.metadata } }));
      return attempt.success(200, `messageId: ${messageId}`);
    } catch (error) {
      if (error instanceof InvalidCredentials) return attempt.rejected(401, error.message, true);
      return pubsubFailure(attempt, error);
    }
  }

  async evict(destinationId: string): Promise<void> {
    await this.clients.evict(destinationId);
  }

  async close(): Promise<void> {
    await this.clients.close();
  }
}

class InvalidCredentials extends Error {}
