/**
 * The HTTP destination (inbound face): one attempt = one request built by domain/forwardRequest, sent by the
 * shared HttpSender (keep-alive pool, SSRF guard, no redirects, capped response body, typed outcomes).
 */
import { buildForwardRequest } from '../../domain/forwardRequest.js';
import type { PublishInput, PublishOutcome, Publisher } from '../types.js';
import { HttpSender, type HttpSend, type HttpSenderOptions } from './sender.js';

export { parseRetryAfter } from './sender.js';

export interface HttpPublisherOptions extends HttpSenderOptions {
  /** The gateway's shared sender (the HTTP sender thread), closed by its owner; else one of its own, in-thread. */
  sender?: HttpSend;
}

export class HttpPublisher implements Publisher {
  private readonly sender: HttpSend;
  private readonly ownsSender: boolean;

  constructor(options: HttpPublisherOptions) {
    this.sender = options.sender ?? new HttpSender(options);
    this.ownsSender = options.sender === undefined;
  }

  async publish(input: PublishInput, signal: AbortSignal): Promise<PublishOutcome> {
    let outgoing;
    try {
      outgoing = buildForwardRequest(input.request, input.destination.config, {
        eventId: input.eventId,
        requestId: input.request.id,
        sourceName: input.sourceName,
        attemptNumber: input.attemptNumber,
        trigger: input.trigger,
        willRetryAfterMs: input.willRetryAfterMs,
        signingSecret: input.signingSecret,
      });
    } catch (error) {
      const message = `The destination URL cannot be used: ${error instanceof Error ? error.message : String(error)}`;
      return { kind: 'unreachable', errorCode: 'PROTOCOL_ERROR', message, requestedUrl: input.destination.config.url, httpMethod: input.request.method, responseLatency: 0 };
    }
    // The timeout is the dispatcher's to choose; it arrives as `input.timeoutMs` and is enforced by the sender,
    // where the client's own knobs are.
    return this.sender.send(outgoing, input.timeoutMs, signal);
  }

  async close(): Promise<void> {
    if (this.ownsSender) await this.sender.close();
  }
}
