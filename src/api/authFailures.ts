/**
 * Failed authentications per client address (SLUICE_AUTH_FAILURE_LIMIT, default 60 per minute, per process).
 * Every made-up, deleted or mistyped API key and every wrong admin key uses up one of its address's tokens; while
 * they are used up, every authentication from that address is refused with 429 before its key is looked up — a
 * valid key included, or the limit would not slow down a search for one. Requests without any credential do not
 * count: they guess nothing and cost no lookup.
 *
 * A key that must be looked up (or compared) holds a token while that happens and gives it back when it proves
 * valid, so a concurrent burst of guesses gets no more than the budget through either.
 *
 * The address is Fastify's `request.ip`: the socket's peer, or the client named by X-Forwarded-For when
 * SLUICE_TRUST_PROXY says which proxies to believe. Behind a proxy without it, every client shares the proxy's
 * address and one client's failures would lock out the rest.
 */
import type { FastifyReply } from 'fastify';
import { SluiceError } from '../domain/errors.js';
import { RateLimiter, retryAfterSeconds, type RateLimit } from '../domain/rateLimit.js';

export class AuthFailureGuard {
  private readonly limiter = new RateLimiter();

  constructor(private readonly rule: RateLimit) {}

  /** Throws 429 RATE_LIMITED (with Retry-After) while `address` has used up its failures; takes nothing. */
  check(address: string, now: number, reply: FastifyReply): void {
    const waitMs = this.limiter.waitMs(address, this.rule, now);
    if (waitMs > 0) throw this.refusal(waitMs, reply);
  }

  /** Holds one of `address`'s tokens while its key is checked; throws 429 when there is none. */
  hold(address: string, now: number, reply: FastifyReply): void {
    const taken = this.limiter.take(address, this.rule, now);
    if (!taken.allowed) throw this.refusal(taken.retryAfterMs, reply);
  }

  /** The key held for proved valid: its token goes back. (A wrong key keeps it: that is the failure counted.) */
  release(address: string, now: number): void {
    this.limiter.giveBack(address, this.rule, now);
  }

  private refusal(waitMs: number, reply: FastifyReply): SluiceError {
    const seconds = retryAfterSeconds(waitMs);
    void reply.header('retry-after', String(seconds));
    return new SluiceError(
      'RATE_LIMITED',
      `Too many failed authentications from your address (more than ${this.rule.limit} per ${this.rule.period}, SLUICE_AUTH_FAILURE_LIMIT). Retry after ${seconds} s with a valid key.`,
      { retry_after_seconds: seconds },
    );
  }
}
