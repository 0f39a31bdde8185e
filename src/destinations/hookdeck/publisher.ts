/**
 * The `hookdeck` publisher: one POST of the event JSON to `<endpoint>/<token>` (a Hookdeck source), with the
 * metadata as `x-sluice-*` headers, through the shared HttpSender (keep-alive pool, SSRF guard, no redirects,
 * capped body). A 2xx is success. 401/403/404/410 mean the token is wrong or its source is gone: permanent. The
 * token is a credential, so the attempt records the URL with it masked.
 */
import { HttpSender, type HttpSend } from '../http/sender.js';
import { maskSecret } from '../support/mask.js';
import { metadataHeaders } from '../support/metadataHeaders.js';
import type { DestinationTarget, DestinationTypeDeps, OutboundMessage, PublishOutcome, TypedPublisher, TypedPublishOptions } from '../types.js';
import type { HookdeckConfig, HookdeckCredentials } from './config.js';

export const USER_AGENT = 'Sluice-Hookdeck/1';
const PERMANENT_STATUSES = new Set([401, 403, 404, 410]);

export class HookdeckPublisher implements TypedPublisher<HookdeckConfig, HookdeckCredentials> {
  private readonly sender: HttpSend;
  /** A shared sender (deps.httpSender) is closed by its owner, not here. */
  private readonly ownsSender: boolean;

  constructor(deps: DestinationTypeDeps) {
    this.sender = deps.httpSender ?? new HttpSender(deps);
    this.ownsSender = deps.httpSender === undefined;
  }

  async publish(message: OutboundMessage, target: DestinationTarget<HookdeckConfig, HookdeckCredentials>, options: TypedPublishOptions): Promise<PublishOutcome> {
    const { endpoint } = target.config;
    const { token } = target.credentials;
    const headers = { 'user-agent': USER_AGENT, ...metadataHeaders(message), 'content-type': message.contentType };
    const outcome = await this.sender.send({ url: `${endpoint}/${encodeURIComponent(token)}`, method: 'POST', headers, body: message.body }, options.timeoutMs, options.signal);
    const recorded = { ...outcome, requestedUrl: `${endpoint}/${maskSecret(token)}` };
    if (recorded.kind === 'rejected' && PERMANENT_STATUSES.has(recorded.status)) recorded.permanent = true;
    return recorded;
  }

  /** Nothing is held per destination: the pool is shared by origin. */
  async evict(_destinationId: string): Promise<void> {}

  async close(): Promise<void> {
    if (this.ownsSender) await this.sender.close();
  }
}
