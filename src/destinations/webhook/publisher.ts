/**
 * The `webhook` publisher: one POST of the event JSON per attempt, signed by Standard Webhooks (`webhook-id` =
 * event id, `webhook-timestamp` = now in unix seconds, `webhook-signature` with the current secret and, during a
 * rotation, the previous one), metadata as `x-sluice-*` headers, then the destination's custom headers. Sent by
 * the shared HttpSender (keep-alive pool, SSRF guard, no redirects, capped body); a 2xx is success.
 */
import { signingSecretsAt, webhookSignatureHeader } from '../../domain/standardWebhooks.js';
import { HttpSender, type HttpSend, type OutgoingHttpRequest } from '../http/sender.js';
import { metadataHeaders } from '../support/metadataHeaders.js';
import type { DestinationTarget, DestinationTypeDeps, OutboundMessage, PublishOutcome, TypedPublisher, TypedPublishOptions } from '../types.js';
import type { WebhookConfig, WebhookCredentials } from './config.js';

export const USER_AGENT = 'Sluice-Webhooks/1';

/** The request for one attempt. Pure: the clock comes in as `now`. */
export function buildWebhookRequest(message: OutboundMessage, config: WebhookConfig, credentials: WebhookCredentials, now: number): OutgoingHttpRequest {
  const timestamp = Math.floor(now / 1000);
  const headers: Record<string, string> = { 'user-agent': USER_AGENT, ...config.custom_headers };
  Object.assign(headers, metadataHeaders(message));
  headers['content-type'] = message.contentType;
  headers['webhook-id'] = message.eventId;
  headers['webhook-timestamp'] = String(timestamp);
  headers['webhook-signature'] = webhookSignatureHeader(signingSecretsAt(credentials, now), message.eventId, timestamp, message.body);
  return { url: config.url, method: 'POST', headers, body: message.body };
}

export class WebhookPublisher implements TypedPublisher<WebhookConfig, WebhookCredentials> {
  private readonly sender: HttpSend;
  /** A shared sender (deps.httpSender) is closed by its owner, not here. */
  private readonly ownsSender: boolean;

  constructor(deps: DestinationTypeDeps) {
    this.sender = deps.httpSender ?? new HttpSender(deps);
    this.ownsSender = deps.httpSender === undefined;
  }

  async publish(message: OutboundMessage, target: DestinationTarget<WebhookConfig, WebhookCredentials>, options: TypedPublishOptions): Promise<PublishOutcome> {
    let request: OutgoingHttpRequest;
    try {
      request = buildWebhookRequest(message, target.config, target.credentials, options.now);
    } catch (error) {
      // Only a stored secret that is not a whsec_ secret gets here; parseCredentials never lets one in.
      const text = `The destination cannot sign deliveries: ${error instanceof Error ? error.message : String(error)} Set a new secret.`;
      return { kind: 'unreachable', errorCode: 'UNKNOWN', message: text, permanent: true, requestedUrl: target.config.url, httpMethod: 'POST', responseLatency: 0 };
    }
    return this.sender.send(request, options.timeoutMs, options.signal);
  }

  /** Nothing is held per destination: the pool is shared by origin. */
  async evict(_destinationId: string): Promise<void> {}

  async close(): Promise<void> {
    if (this.ownsSender) await this.sender.close();
  }
}
