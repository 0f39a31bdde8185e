/**
 * A destination's rate limit by time (`rate_limit` per `rate_limit_period` second|minute|hour), pure: the bucket
 * arithmetic the stores run inside their claim transaction, so that the limit holds across every gateway process
 * sharing one database (docs/api.md, "Destination rate limits").
 *
 * The model is rateLimit.ts's token bucket: capacity `limit`, refilled continuously at `limit / period`. A
 * destination that has been quiet for a period may take a burst of `limit` attempts at once; after that attempts
 * start at the steady rate. Any window of one period therefore sees at most 2 × limit starts in the worst case
 * (a full bucket spent at its start plus the period's refill), and any window of length w at most limit + w ×
 * limit / period. A smoother model (a bucket of 1) would forbid the burst, but Hookdeck's "N per period" reads as
 * "N in a period", and a receiver that accepts N per minute accepts N in its first second too.
 *
 * The stored bucket also keeps `blockedUntil`: when a claim leaves fewer than one token, the moment the next one is
 * due. The dispatcher's next wake-up reads it (nextDueAt), so a destination held back only by its bucket is slept
 * on until its token comes back, neither polled nor left to the poll interval.
 */
import { periodMs, refill, type Bucket, type RateLimit, type RateLimitPeriod } from './rateLimit.js';

/** The values of a destination's `rate_limit_period`: `concurrent` caps attempts in flight, the others by time. */
export const DESTINATION_RATE_LIMIT_PERIODS = ['second', 'minute', 'hour', 'concurrent'] as const;
export type DestinationRateLimitPeriod = (typeof DESTINATION_RATE_LIMIT_PERIODS)[number];

/** Largest `rate_limit` per period: 10,000 in flight or per second; per minute and hour up to 1,000,000. */
export const MAX_DESTINATION_RATE_LIMIT: Record<DestinationRateLimitPeriod, number> = {
  concurrent: 10_000,
  second: 10_000,
  minute: 1_000_000,
  hour: 1_000_000,
};

/**
 * Floating-point slack: a bucket refilled exactly to its next token's due time may hold 0.999999…; it counts as 1.
 * Far below a token of any allowed rule (the smallest refill step is one token per 3,600,000 ms / 1,000,000).
 */
const EPSILON = 1e-9;

/** The time limit of a destination config, or null (none, or `concurrent`, which slots.ts handles). */
export function timeRateLimitOf(config: { rate_limit: number | null; rate_limit_period: string | null }): RateLimit | null {
  const period = config.rate_limit_period;
  if (config.rate_limit === null || period === null || period === 'concurrent') return null;
  return { limit: config.rate_limit, period: period as RateLimitPeriod };
}

/** What the destinations table carries for the claim: the limit and its period in ms, or nulls. */
export function timeRateLimitColumns(config: { rate_limit: number | null; rate_limit_period: string | null }): {
  rateLimit: number | null;
  ratePeriodMs: number | null;
} {
  const rule = timeRateLimitOf(config);
  return rule === null ? { rateLimit: null, ratePeriodMs: null } : { rateLimit: rule.limit, ratePeriodMs: periodMs(rule.period) };
}

/** A rule as the claim reads it from the destinations row: the limit per period of `periodMs` ms. */
export interface StoredRateLimit {
  limit: number;
  periodMs: number;
}

/** A claim head's rule, as both stores' heads queries carry it (nulls: no time limit). */
export interface HeadRateLimit {
  id: string;
  rate_limit: number | null;
  rate_period_ms: number | null;
}

/** The head's time limit, or null when it has none. */
export function ruleOfHead(head: HeadRateLimit): StoredRateLimit | null {
  return head.rate_limit === null || head.rate_period_ms === null ? null : { limit: head.rate_limit, periodMs: head.rate_period_ms };
}

/** A destination's bucket as stored: `tokens` as of `refilledAt` (ms). */
export interface StoredBucket {
  tokens: number;
  refilledAt: number;
}

/** The bucket after a claim took `taken` tokens, with when its next whole token is due (null: it holds one now). */
export interface ChargedBucket extends StoredBucket {
  blockedUntil: number | null;
}

function asRule(rule: StoredRateLimit): RateLimit {
  // rateLimit.ts speaks in named periods; a stored period is one of them, so the conversion is exact.
  const period = (['second', 'minute', 'hour'] as const).find((p) => periodMs(p) === rule.periodMs);
  if (period === undefined) throw new Error(`Unknown rate limit period of ${rule.periodMs} ms.`);
  return { limit: rule.limit, period };
}

/** The bucket refilled up to `now`; a destination without a stored bucket starts full. */
export function settleBucket(bucket: StoredBucket | null, rule: StoredRateLimit, now: number): StoredBucket {
  const current: Bucket | undefined = bucket === null ? undefined : { tokens: bucket.tokens, updatedAt: bucket.refilledAt };
  const settled = refill(current, asRule(rule), now);
  return { tokens: settled.tokens, refilledAt: settled.updatedAt };
}

/** Whole tokens in a settled bucket: how many attempts may start now. */
export function availableTokens(bucket: StoredBucket): number {
  return Math.max(0, Math.floor(bucket.tokens + EPSILON));
}

/** A settled bucket after `taken` attempts started (at most its available tokens), with its next token's due time. */
export function chargeBucket(settled: StoredBucket, taken: number, rule: StoredRateLimit): ChargedBucket {
  if (taken > availableTokens(settled)) throw new Error(`Cannot take ${taken} tokens from a bucket holding ${settled.tokens}.`);
  const tokens = settled.tokens - taken;
  return { tokens, refilledAt: settled.refilledAt, blockedUntil: nextTokenAt({ tokens, refilledAt: settled.refilledAt }, rule) };
}

/**
 * The first whole millisecond at which a bucket holding fewer than one token has a whole one again, by the same
 * test availableTokens applies (null: it holds one now). The closed form can be a millisecond off either way in
 * floating point; the two loops settle it (each runs at most once or twice).
 */
export function nextTokenAt(bucket: StoredBucket, rule: StoredRateLimit): number | null {
  const hasToken = (at: number) => bucket.tokens + ((at - bucket.refilledAt) * rule.limit) / rule.periodMs + EPSILON >= 1;
  if (hasToken(bucket.refilledAt)) return null;
  let at = bucket.refilledAt + Math.max(1, Math.ceil(((1 - bucket.tokens) * rule.periodMs) / rule.limit));
  while (at - 1 > bucket.refilledAt && hasToken(at - 1)) at -= 1;
  while (!hasToken(at)) at += 1;
  return at;
}

/** A bucket as one claim read it: settled at the claim's time, with its rule and the blockedUntil it had stored. */
export interface ReadBucket {
  rule: StoredRateLimit;
  bucket: StoredBucket;
  blockedUntil: number | null;
}

/**
 * The buckets a claim must write: those it leased from (`leasedFrom`, one entry per leased event), charged, and
 * those it found empty whose stored blockedUntil is not their next token's time (a rule just changed, say).
 * Others are left as they are: their stored state, refilled, is the same bucket.
 */
export function chargesOf(read: ReadonlyMap<string, ReadBucket>, leasedFrom: readonly string[]): { id: string; charged: ChargedBucket }[] {
  const taken = new Map<string, number>();
  for (const id of leasedFrom) if (read.has(id)) taken.set(id, (taken.get(id) ?? 0) + 1);
  const writes: { id: string; charged: ChargedBucket }[] = [];
  for (const [id, held] of read) {
    const count = taken.get(id) ?? 0;
    const charged = chargeBucket(held.bucket, count, held.rule);
    if (count > 0 || charged.blockedUntil !== held.blockedUntil) writes.push({ id, charged });
  }
  return writes;
}
