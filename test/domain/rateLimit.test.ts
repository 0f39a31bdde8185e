/**
 * Token buckets: a burst up to the limit, then a steady refill; the wait given to a refused caller is exactly the
 * time to its next token; a changed rule starts a new bucket; the keyed limiter stays bounded in memory.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RateLimiter, retryAfterSeconds, takeToken, type Bucket, type RateLimit } from '../../src/domain/rateLimit.js';

describe('takeToken', () => {
  const rule: RateLimit = { limit: 10, period: 'second' };

  it('lets a burst of `limit` through, refuses the next with the time to one token, and refills continuously', () => {
    let bucket: Bucket | undefined;
    for (let i = 0; i < 10; i++) {
      const result = takeToken(bucket, rule, 0);
      assert.equal(result.allowed, true, `request ${i}`);
      bucket = result.bucket;
    }
    const refused = takeToken(bucket, rule, 0);
    assert.equal(refused.allowed, false);
    if (!refused.allowed) assert.equal(refused.retryAfterMs, 100);
    const halfway = takeToken(bucket, rule, 50);
    assert.equal(halfway.allowed, false);
    if (!halfway.allowed) assert.equal(halfway.retryAfterMs, 50);
    const later = takeToken(bucket, rule, 100);
    assert.equal(later.allowed, true);
    // A long pause refills to the limit, never beyond.
    const rested = takeToken(later.bucket, rule, 60_000);
    assert.equal(rested.bucket.tokens, 9);
  });

  it('a sender keeping to the rate is never refused', () => {
    const perMinute: RateLimit = { limit: 60, period: 'minute' };
    let bucket: Bucket | undefined;
    for (let i = 0; i < 1000; i++) {
      const result = takeToken(bucket, perMinute, i * 1000);
      assert.equal(result.allowed, true, `request ${i}`);
      bucket = result.bucket;
    }
  });

  it('a clock going backwards refills nothing', () => {
    const first = takeToken(undefined, { limit: 1, period: 'hour' }, 10_000);
    const back = takeToken(first.bucket, { limit: 1, period: 'hour' }, 0);
    assert.equal(back.allowed, false);
    if (!back.allowed) assert.equal(back.retryAfterMs, 3_600_000);
  });

  it('Retry-After is whole seconds, at least 1', () => {
    assert.equal(retryAfterSeconds(1), 1);
    assert.equal(retryAfterSeconds(1000), 1);
    assert.equal(retryAfterSeconds(1001), 2);
    assert.equal(retryAfterSeconds(0), 1);
  });
});

describe('RateLimiter', () => {
  it('keeps one bucket per key; a hostile burst on one key does not touch another', () => {
    const limiter = new RateLimiter();
    const rule: RateLimit = { limit: 3, period: 'minute' };
    const verdicts = Array.from({ length: 50 }, () => limiter.take('a', rule, 0).allowed);
    assert.equal(verdicts.filter(Boolean).length, 3);
    assert.equal(limiter.take('b', rule, 0).allowed, true);
  });

  it('a changed rule for a key starts a fresh bucket', () => {
    const limiter = new RateLimiter();
    assert.equal(limiter.take('a', { limit: 1, period: 'hour' }, 0).allowed, true);
    assert.equal(limiter.take('a', { limit: 1, period: 'hour' }, 0).allowed, false);
    assert.equal(limiter.take('a', { limit: 2, period: 'hour' }, 0).allowed, true);
  });

  it('waitMs tells how long until a key has a token, and takes none', () => {
    const limiter = new RateLimiter();
    const rule: RateLimit = { limit: 2, period: 'second' };
    assert.equal(limiter.waitMs('a', rule, 0), 0, 'an unknown key has a full bucket');
    limiter.take('a', rule, 0);
    assert.equal(limiter.waitMs('a', rule, 0), 0, 'one token left');
    limiter.take('a', rule, 0);
    assert.equal(limiter.waitMs('a', rule, 0), 500, 'empty: one token refills in 1000 ms / 2');
    assert.equal(limiter.waitMs('a', rule, 0), 500, 'asking again took nothing');
    assert.equal(limiter.waitMs('a', rule, 400), 100);
    assert.equal(limiter.waitMs('a', rule, 500), 0);
    assert.equal(limiter.waitMs('a', { limit: 3, period: 'second' }, 0), 0, 'another rule: another bucket');
  });

  it('stays bounded under many keys, dropping full buckets first and keeping the busy ones', () => {
    const limiter = new RateLimiter(100);
    const rule: RateLimit = { limit: 2, period: 'second' };
    limiter.take('busy', rule, 0);
    limiter.take('busy', rule, 0);
    for (let i = 0; i < 1000; i++) limiter.take(`idle-${i}`, rule, 10_000 + i);
    assert.ok(limiter.size <= 100, `size ${limiter.size}`);
    // Keys taken at the very end are still limited.
    const last = 'idle-999';
    assert.equal(limiter.take(last, rule, 11_000).allowed, true);
    assert.equal(limiter.take(last, rule, 11_000).allowed, false);
  });
});
