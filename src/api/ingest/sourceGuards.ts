/**
 * The checks ingest makes of a sender on behalf of its source: the source's rate limit (in memory, per gateway
 * process) and its verification settings (decrypted once per settings version and kept, so a busy source costs
 * a map lookup, not a decryption, per request).
 */
import type { Source } from '../../domain/model.js';
import type { SecretKeyring } from '../../domain/secretBox.js';
import { RateLimiter, retryAfterSeconds } from '../../domain/rateLimit.js';
import type { SourceAuth } from '../../domain/sourceAuth.js';
import { verifySourceRequest, type InboundProof, type Verdict } from '../../domain/verifySourceRequest.js';
import { openSourceAuth } from '../inbound/sourceConfig.js';

const MAX_OPENED = 10_000;

export class SourceGuards {
  private readonly limiter = new RateLimiter();
  /** Opened settings by their sealed text: a changed secret is a new entry, so no invalidation is needed. */
  private readonly opened = new Map<string, SourceAuth>();

  constructor(private readonly keyring: SecretKeyring) {}

  /** null when the request may go on; otherwise the seconds the sender should wait (`Retry-After`). */
  retryAfter(source: Source, now: number): number | null {
    const rule = source.config.rate_limit ?? null;
    if (rule === null) return null;
    const result = this.limiter.take(source.id, rule, now);
    return result.allowed ? null : retryAfterSeconds(result.retryAfterMs);
  }

  /** The verdict on the request, or null when the source verifies nothing. */
  verify(source: Source, proof: InboundProof): Verdict | null {
    const sealed = source.config.auth ?? null;
    if (sealed === null) return null;
    let auth = this.opened.get(sealed.sealed);
    if (auth === undefined) {
      auth = openSourceAuth(sealed, this.keyring, source.teamId, source.id);
      if (this.opened.size >= MAX_OPENED) this.opened.clear();
      this.opened.set(sealed.sealed, auth);
    }
    return verifySourceRequest(auth, proof);
  }
}
