/**
 * The bucket arithmetic behind destinations' rate limits by time: a full bucket on first use, continuous refill up
 * to the limit, the next token's exact due time, and the bound every claim sequence keeps (properties).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  availableTokens,
  chargeBucket,
  chargesOf,
  nextTokenAt,
  settleBucket,
  timeRateLimitColumns,
  timeRateLimitOf,
  type ReadBucket,
  type StoredBucket,
  type StoredRateLimit,
} from '../../src/domain/destinationRateLimit.js';

const perSecond = (limit: number): StoredRateLimit => ({ limit, periodMs: 1000 });

describe('settleBucket, chargeBucket and nextTokenAt', () => {
  it('starts full, refills continuously, never above the limit, and says when the next token is due', () => {
    const rule = perSecond(4);
    const fresh = settleBucket(null, rule, 10_000);
    assert.deepEqual(fresh, { tokens: 4, refilledAt: 10_000 });
    const spent = chargeBucket(fresh, 4, rule);
    assert.deepEqual(spent, { tokens: 0, refilledAt: 10_000, blockedUntil: 10_250 });
    assert.equal(availableTokens(settleBucket(spent, rule, 10_249)), 0);
    assert.equal(availableTokens(settleBucket(spent, rule, 10_250)), 1);
    assert.equal(availableTokens(settleBucket(spent, rule, 60_000)), 4, 'a long pause refills to the limit, not beyond');
    assert.equal(chargeBucket(fresh, 3, rule).blockedUntil, null, 'a token left: not blocked');
    assert.throws(() => chargeBucket(fresh, 5, rule), /Cannot take 5 tokens/);
  });

  it('a clock that went back (another process, a little behind) refills nothing and loses nothing', () => {
    const rule = perSecond(2);
    const bucket: StoredBucket = { tokens: 0.5, refilledAt: 5000 };
    assert.deepEqual(settleBucket(bucket, rule, 4000), { tokens: 0.5, refilledAt: 5000 });
  });

  it('per minute and per hour: the next token after an empty bucket is period / limit away, rounded up to a ms', () => {
    assert.equal(nextTokenAt({ tokens: 0, refilledAt: 0 }, { limit: 7, periodMs: 60_000 }), 8572);
    assert.equal(nextTokenAt({ tokens: 0, refilledAt: 0 }, { limit: 1_000_000, periodMs: 3_600_000 }), 4);
  });

  it('property: the next token is due exactly at nextTokenAt (none a ms before)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.constantFrom(1000, 60_000, 3_600_000),
        fc.double({ min: 0, max: 0.999, noNaN: true }),
        (limit, periodMs, tokens) => {
          const rule = { limit, periodMs };
          const bucket = { tokens, refilledAt: 1_000_000 };
          const at = nextTokenAt(bucket, rule);
          assert.ok(at !== null && at > bucket.refilledAt);
          assert.ok(availableTokens(settleBucket(bucket, rule, at)) >= 1, 'a token at nextTokenAt');
          assert.equal(availableTokens(settleBucket(bucket, rule, at - 1)), 0, 'none a millisecond before');
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('property: claims that take every token they find start at most limit + elapsed × rate in any window', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 50 }),
        fc.constantFrom(1000, 60_000),
        fc.array(fc.integer({ min: 0, max: 5000 }), { minLength: 1, maxLength: 60 }),
        fc.array(fc.integer({ min: 0, max: 30 }), { minLength: 60, maxLength: 60 }),
        (limit, periodMs, gaps, wanted) => {
          const rule = { limit, periodMs };
          let stored: StoredBucket | null = null;
          let now = 0;
          const starts: number[] = [];
          gaps.forEach((gap, i) => {
            now += gap;
            const settled = settleBucket(stored, rule, now);
            const take = Math.min(availableTokens(settled), wanted[i] ?? 0);
            stored = chargeBucket(settled, take, rule);
            for (let k = 0; k < take; k++) starts.push(now);
          });
          // Any window [a, b] holds at most limit + (b − a) × limit / period starts (a full bucket plus its refill).
          for (let i = 0; i < starts.length; i++) {
            for (let j = i; j < starts.length; j++) {
              const a = starts[i] ?? 0;
              const b = starts[j] ?? 0;
              const bound = limit + ((b - a) * limit) / periodMs;
              assert.ok(j - i + 1 <= bound + 1e-6, `${j - i + 1} starts in [${a}, ${b}] exceed ${bound}`);
            }
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('chargesOf', () => {
  const rule = perSecond(2);
  const read = (tokens: number, blockedUntil: number | null): ReadBucket => ({ rule, bucket: { tokens, refilledAt: 1000 }, blockedUntil });

  it('writes the buckets it leased from, and an empty one whose stored next token is not its own; nothing else', () => {
    const buckets = new Map<string, ReadBucket>([
      ['des_leased', read(2, null)],
      ['des_idle_full', read(2, null)],
      ['des_empty_known', read(0, 1500)],
      ['des_empty_unknown', read(0, null)],
      ['des_refilled_stale', read(1.5, 900)],
    ]);
    const writes = chargesOf(buckets, ['des_leased', 'des_leased', 'des_unlimited']);
    assert.deepEqual(
      writes.map((w) => [w.id, w.charged.tokens, w.charged.blockedUntil]),
      [
        ['des_leased', 0, 1500],
        ['des_empty_unknown', 0, 1500],
        ['des_refilled_stale', 1.5, null],
      ],
    );
  });
});

describe('timeRateLimitOf and timeRateLimitColumns', () => {
  it('a time period is a time limit; concurrent and none are not', () => {
    assert.deepEqual(timeRateLimitOf({ rate_limit: 3, rate_limit_period: 'minute' }), { limit: 3, period: 'minute' });
    assert.equal(timeRateLimitOf({ rate_limit: 3, rate_limit_period: 'concurrent' }), null);
    assert.equal(timeRateLimitOf({ rate_limit: null, rate_limit_period: null }), null);
    assert.deepEqual(timeRateLimitColumns({ rate_limit: 10, rate_limit_period: 'hour' }), { rateLimit: 10, ratePeriodMs: 3_600_000 });
    assert.deepEqual(timeRateLimitColumns({ rate_limit: 10, rate_limit_period: 'concurrent' }), { rateLimit: null, ratePeriodMs: null });
  });
});
