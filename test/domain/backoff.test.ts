import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  MAX_RETRY_DELAY_MS,
  classifyOutcome,
  defaultRetryRule,
  nextAttemptAt,
  retryDelayMs,
  scheduledDelayAfter,
  type OutcomeSummary,
} from '../../src/domain/backoff.js';
import type { RetryRule } from '../../src/domain/model.js';
import { parseStatusPatterns } from '../../src/domain/retryStatusCodes.js';

const NOW = 1_700_000_000_000;
const status = (code: number, retryAfterMs?: number): OutcomeSummary => ({ kind: 'response', status: code, retryAfterMs });
const linear: RetryRule = { type: 'retry', strategy: 'linear', interval: 1000, count: 3 };

describe('retryDelayMs', () => {
  it('follows the seed default: 10 retries, 30 s × 2^n, up to 4 h 16 m', () => {
    const rule = defaultRetryRule(30_000, 10);
    assert.deepEqual(rule, { type: 'retry', strategy: 'exponential', interval: 30_000, count: 10 });
    const delays = Array.from({ length: 10 }, (_, n) => retryDelayMs(rule, n));
    assert.deepEqual(delays, [30, 60, 120, 240, 480, 960, 1920, 3840, 7680, 15360].map((s) => s * 1000));
    assert.equal(delays.at(-1), (4 * 3600 + 16 * 60) * 1000);
  });

  it('keeps a linear rule at its interval', () => {
    assert.deepEqual([0, 1, 5].map((n) => retryDelayMs(linear, n)), [1000, 1000, 1000]);
  });

  it('caps a runaway exponential wait', () => {
    assert.equal(retryDelayMs(defaultRetryRule(30_000, 100), 99), MAX_RETRY_DELAY_MS);
  });
});

describe('scheduledDelayAfter', () => {
  it('allows exactly `count` retries after the first attempt', () => {
    assert.equal(scheduledDelayAfter(linear, 0), null);
    assert.equal(scheduledDelayAfter(linear, 1), 1000);
    assert.equal(scheduledDelayAfter(linear, 3), 1000);
    assert.equal(scheduledDelayAfter(linear, 4), null);
    assert.equal(scheduledDelayAfter({ ...linear, count: 0 }, 1), null);
  });
});

describe('classifyOutcome', () => {
  it('sorts outcomes into success / retryable / retry-after / permanent', () => {
    const none = parseStatusPatterns([]);
    assert.equal(classifyOutcome(status(204), none), 'success');
    assert.equal(classifyOutcome(status(500), none), 'retryable');
    assert.equal(classifyOutcome(status(302), none), 'retryable');
    assert.equal(classifyOutcome(status(429, 5000), none), 'retry-after');
    assert.equal(classifyOutcome(status(503, 5000), none), 'retry-after');
    assert.equal(classifyOutcome(status(500, 5000), none), 'retryable', 'Retry-After only counts on 429/503');
    assert.equal(classifyOutcome(status(429), none), 'retryable');
    assert.equal(classifyOutcome(status(404), parseStatusPatterns(['500-599'])), 'permanent');
    assert.equal(classifyOutcome({ kind: 'network', errorCode: 'TIMEOUT' }, parseStatusPatterns(['500-599'])), 'retryable');
    assert.equal(classifyOutcome({ kind: 'network', errorCode: 'BLOCKED_ADDRESS' }, none), 'permanent');
  });
});

describe('nextAttemptAt', () => {
  const base = { rule: defaultRetryRule(30_000, 10), patterns: parseStatusPatterns([]), now: NOW };

  it('schedules a failed attempt by the rule, and stops after the last retry', () => {
    assert.equal(nextAttemptAt({ ...base, attemptsMade: 1, outcome: status(500) }), NOW + 30_000);
    assert.equal(nextAttemptAt({ ...base, attemptsMade: 3, outcome: status(500) }), NOW + 120_000);
    assert.equal(nextAttemptAt({ ...base, attemptsMade: 10, outcome: status(500) }), NOW + 15_360_000);
    assert.equal(nextAttemptAt({ ...base, attemptsMade: 11, outcome: status(500) }), null);
  });

  it('never retries a 2xx or a status the rule excludes', () => {
    assert.equal(nextAttemptAt({ ...base, attemptsMade: 1, outcome: status(200) }), null);
    const patterns = parseStatusPatterns(['500-599', '!503']);
    assert.equal(nextAttemptAt({ ...base, patterns, attemptsMade: 1, outcome: status(400) }), null);
    assert.equal(nextAttemptAt({ ...base, patterns, attemptsMade: 1, outcome: status(503) }), null);
    assert.equal(nextAttemptAt({ ...base, patterns, attemptsMade: 1, outcome: status(502) }), NOW + 30_000);
  });

  it('retries network errors whatever the status patterns, while the count allows', () => {
    const patterns = parseStatusPatterns(['404']);
    const outcome: OutcomeSummary = { kind: 'network', errorCode: 'CONNECTION_REFUSED' };
    assert.equal(nextAttemptAt({ ...base, rule: linear, patterns, attemptsMade: 2, outcome }), NOW + 1000);
    assert.equal(nextAttemptAt({ ...base, rule: linear, patterns, attemptsMade: 4, outcome }), null);
  });

  it('honours Retry-After on 429/503 within [1×, 2×] of the scheduled wait', () => {
    const at = (code: number, retryAfterMs: number) => nextAttemptAt({ ...base, attemptsMade: 1, outcome: status(code, retryAfterMs) });
    assert.equal(at(429, 45_000), NOW + 45_000, 'inside the bounds: as asked');
    assert.equal(at(503, 1_000), NOW + 30_000, 'shorter than scheduled: the schedule');
    assert.equal(at(429, 3_600_000), NOW + 60_000, 'longer than twice: twice');
    assert.equal(nextAttemptAt({ ...base, attemptsMade: 11, outcome: status(429, 1000) }), null, 'exhausted stays exhausted');
  });
});
