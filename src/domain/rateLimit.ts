/**
 * Rate limits as token buckets, pure (the clock is passed in). A limit of `limit` per `period` lets a burst of
 * `limit` through at once and then refills continuously at `limit / period`, so a sender that keeps to the rate is
 * never refused and one that bursts is refused with the exact wait until its next token (`Retry-After`).
 *
 * `RateLimiter` keeps one bucket per key in memory: the limit applies per gateway process (see docs/api.md).
 * Memory stays bounded: when the map grows past `maxKeys`, buckets that have refilled completely (the same as no
 * bucket at all) are dropped, and if that is not enough, the oldest ones.
 */

export const RATE_LIMIT_PERIODS = ['second', 'minute', 'hour'] as const;
export type RateLimitPeriod = (typeof RATE_LIMIT_PERIODS)[number];

const PERIOD_MS: Record<RateLimitPeriod, number> = { second: 1000, minute: 60_000, hour: 3_600_000 };

export interface RateLimit {
  limit: number;
  period: RateLimitPeriod;
}

export interface Bucket {
  tokens: number;
  /** When `tokens` was last brought up to date, in ms. */
  updatedAt: number;
}

export type TakeResult = { allowed: true; bucket: Bucket } | { allowed: false; bucket: Bucket; retryAfterMs: number };

export function periodMs(period: RateLimitPeriod): number {
  return PERIOD_MS[period];
}

/** The bucket refilled up to `now` (never above `limit`). */
export function refill(bucket: Bucket | undefined, rule: RateLimit, now: number): Bucket {
  if (bucket === undefined) return { tokens: rule.limit, updatedAt: now };
  const elapsed = Math.max(0, now - bucket.updatedAt);
  const tokens = Math.min(rule.limit, bucket.tokens + (elapsed * rule.limit) / periodMs(rule.period));
  return { tokens, updatedAt: Math.max(now, bucket.updatedAt) };
}

/** How long until a bucket holding `tokens` (fewer than one) has a whole token again. */
function msUntilToken(tokens: number, rule: RateLimit): number {
  return Math.ceil(((1 - tokens) * periodMs(rule.period)) / rule.limit);
}

/** Takes one token if there is one; otherwise says how long until there will be. */
export function takeToken(bucket: Bucket | undefined, rule: RateLimit, now: number): TakeResult {
  const current = refill(bucket, rule, now);
  if (current.tokens >= 1) return { allowed: true, bucket: { tokens: current.tokens - 1, updatedAt: current.updatedAt } };
  return { allowed: false, bucket: current, retryAfterMs: msUntilToken(current.tokens, rule) };
}

/** `Retry-After` in whole seconds (at least 1: HTTP has no finer unit, and 0 would invite an immediate retry). */
export function retryAfterSeconds(retryAfterMs: number): number {
  return Math.max(1, Math.ceil(retryAfterMs / 1000));
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket & { rule: RateLimit }>();

  constructor(private readonly maxKeys = 100_000) {}

  /** One request under `key` with `rule`. A rule that changed for a key starts a fresh bucket. */
  take(key: string, rule: RateLimit, now: number): TakeResult {
    const result = takeToken(this.held(key, rule), rule, now);
    // Re-inserting keeps the map in least-recently-used order for eviction.
    this.buckets.delete(key);
    this.buckets.set(key, { ...result.bucket, rule });
    if (this.buckets.size > this.maxKeys) this.evict(now);
    return result;
  }

  /** How long until `key` has a token under `rule`, taking none (0: it has one now). */
  waitMs(key: string, rule: RateLimit, now: number): number {
    const held = this.held(key, rule);
    if (held === undefined) return 0;
    const current = refill(held, rule, now);
    return current.tokens >= 1 ? 0 : msUntilToken(current.tokens, rule);
  }

  /** Returns a token taken for `key` under `rule` by a request that turned out not to count. */
  giveBack(key: string, rule: RateLimit, now: number): void {
    const held = this.held(key, rule);
    if (held === undefined) return;
    const current = refill(held, rule, now);
    this.buckets.set(key, { tokens: Math.min(rule.limit, current.tokens + 1), updatedAt: current.updatedAt, rule });
  }

  private held(key: string, rule: RateLimit): (Bucket & { rule: RateLimit }) | undefined {
    const held = this.buckets.get(key);
    return held !== undefined && held.rule.limit === rule.limit && held.rule.period === rule.period ? held : undefined;
  }

  get size(): number {
    return this.buckets.size;
  }

  private evict(now: number): void {
    for (const [key, bucket] of this.buckets) {
      if (refill(bucket, bucket.rule, now).tokens >= bucket.rule.limit) this.buckets.delete(key);
    }
    for (const key of this.buckets.keys()) {
      if (this.buckets.size <= this.maxKeys * 0.9) break;
      this.buckets.delete(key);
    }
  }
}
