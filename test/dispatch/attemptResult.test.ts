import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultRetryRule } from '../../src/domain/backoff.js';
import type { Connection, Destination, EventRecord } from '../../src/domain/model.js';
import { MAX_TIMEOUT_MS } from '../../src/destinations/http/configSchema.js';
import type { PublishOutcome } from '../../src/destinations/types.js';
import { effectiveRetry, toAttemptResult, willRetryAfterMs, type AttemptResultInput } from '../../src/dispatch/attemptResult.js';
import { LEASE_MARGIN_MS, MAX_ATTEMPT_TIMEOUT_MS, attemptTimeoutMs, leaseCovers, leaseFor } from '../../src/dispatch/timing.js';

const NOW = 1_700_000_000_000;
const fallback = defaultRetryRule(30_000, 10);

const event: EventRecord = {
  id: 'evt_000000000aaaaaaa',
  teamId: 'tm_000000000aaaaaaa',
  requestId: 'req_000000000aaaaaaa',
  connectionId: 'web_000000000aaaaaaa',
  sourceId: 'src_000000000aaaaaaa',
  destinationId: 'des_000000000aaaaaaa',
  duplicateEventId: null,
  status: 'QUEUED',
  attempts: 0,
  responseStatus: null,
  errorCode: null,
  lastAttemptAt: null,
  nextAttemptAt: null,
  successfulAt: null,
  createdAt: NOW - 1000,
  updatedAt: NOW - 1000,
};

function connection(rules: Connection['rules']): Connection {
  return {
    id: event.connectionId,
    teamId: event.teamId,
    name: 'c',
    description: null,
    sourceId: event.sourceId,
    destinationId: event.destinationId,
    rules,
    pausedAt: null,
    disabledAt: null,
    createdAt: 0,
    updatedAt: 0,
  };
}

const target = { requestedUrl: 'https://r.example/hook', httpMethod: 'POST', responseLatency: 42 };

function input(outcome: PublishOutcome, overrides: Partial<AttemptResultInput> = {}): AttemptResultInput {
  return {
    attemptId: 'att_000000000aaaaaaa',
    event,
    destinationId: event.destinationId,
    trigger: 'INITIAL',
    leaseToken: 'lease-1',
    dueAt: NOW - 500,
    retry: effectiveRetry(connection([]), fallback),
    outcome,
    startedAt: NOW - 100,
    finishedAt: NOW,
    ...overrides,
  };
}

describe('toAttemptResult', () => {
  it('records a success with latencies and no next attempt', () => {
    const result = toAttemptResult(input({ kind: 'success', status: 204, body: '', ...target }));
    assert.equal(result.nextAttemptAt, null);
    assert.equal(result.leaseToken, 'lease-1');
    assert.deepEqual(result.attempt, {
      id: 'att_000000000aaaaaaa',
      teamId: event.teamId,
      eventId: event.id,
      destinationId: event.destinationId,
      attemptNumber: 1,
      trigger: 'INITIAL',
      status: 'SUCCESSFUL',
      responseStatus: 204,
      errorCode: null,
      body: '',
      requestedUrl: target.requestedUrl,
      httpMethod: 'POST',
      deliveryLatency: 500,
      responseLatency: 42,
      successfulAt: NOW,
      createdAt: NOW - 100,
      updatedAt: NOW,
    });
  });

  it('schedules a failure by the connection rule, counting this attempt', () => {
    const retry = effectiveRetry(connection([{ type: 'retry', strategy: 'linear', interval: 50, count: 3 }]), fallback);
    const second = toAttemptResult(input({ kind: 'rejected', status: 500, body: 'x', ...target }, { retry, event: { ...event, attempts: 1 } }));
    assert.equal(second.attempt.attemptNumber, 2);
    assert.equal(second.attempt.status, 'FAILED');
    assert.equal(second.nextAttemptAt, NOW + 50);
    const last = toAttemptResult(input({ kind: 'rejected', status: 500, body: 'x', ...target }, { retry, event: { ...event, attempts: 3 } }));
    assert.equal(last.nextAttemptAt, null, 'the fourth attempt was the third retry: exhausted');
  });

  it('falls back to the gateway default rule', () => {
    const result = toAttemptResult(input({ kind: 'unreachable', errorCode: 'TIMEOUT', message: 'slow', ...target }));
    assert.equal(result.nextAttemptAt, NOW + 30_000);
    assert.equal(result.attempt.errorCode, 'TIMEOUT');
    assert.equal(result.attempt.responseStatus, null);
    assert.equal(result.attempt.body, null);
  });

  it('never schedules from a manual attempt, and measures its latency from when it was asked for', () => {
    const result = toAttemptResult(
      input({ kind: 'rejected', status: 500, body: 'x', ...target }, { trigger: 'MANUAL', leaseToken: null, dueAt: null }),
    );
    assert.equal(result.nextAttemptAt, null);
    assert.equal(result.leaseToken, null);
    assert.equal(result.attempt.deliveryLatency, 100);
  });
});

describe('effectiveRetry', () => {
  it('reads the status patterns, and treats unreadable ones as "retry every non-2xx"', () => {
    const good = effectiveRetry(connection([{ type: 'retry', strategy: 'exponential', interval: 1, count: 1, response_status_codes: ['!404'] }]), fallback);
    assert.equal(good.patterns.length, 1);
    assert.equal(good.invalidPatterns, undefined);
    const bad = effectiveRetry(connection([{ type: 'retry', strategy: 'exponential', interval: 1, count: 1, response_status_codes: ['5xx'] }]), fallback);
    assert.deepEqual(bad.patterns, []);
    assert.match(bad.invalidPatterns ?? '', /5xx/);
  });
});

describe('willRetryAfterMs', () => {
  const retry = effectiveRetry(connection([]), fallback);
  it('announces the scheduled wait for automatic attempts, none after the last', () => {
    assert.equal(willRetryAfterMs(retry, event, 'INITIAL', NOW), 30_000);
    assert.equal(willRetryAfterMs(retry, { ...event, attempts: 2 }, 'AUTOMATIC', NOW), 120_000);
    assert.equal(willRetryAfterMs(retry, { ...event, attempts: 10 }, 'AUTOMATIC', NOW), null);
  });
  it('announces the pending retry for manual attempts', () => {
    assert.equal(willRetryAfterMs(retry, { ...event, status: 'SCHEDULED', nextAttemptAt: NOW + 5000 }, 'MANUAL', NOW), 5000);
    assert.equal(willRetryAfterMs(retry, { ...event, status: 'FAILED' }, 'MANUAL', NOW), null);
  });
});

describe('timing', () => {
  const destination = (timeout: number) => ({ config: { timeout } }) as Destination;

  it('allows the longest timeout the API accepts', () => {
    assert.equal(MAX_ATTEMPT_TIMEOUT_MS, MAX_TIMEOUT_MS);
  });

  it('uses the destination timeout, else the default, within bounds', () => {
    assert.equal(attemptTimeoutMs(destination(1500), { defaultTimeoutMs: 5000 }), 1500);
    assert.equal(attemptTimeoutMs(destination(0), { defaultTimeoutMs: 5000 }), 5000);
    assert.equal(attemptTimeoutMs(destination(10_000_000), { defaultTimeoutMs: 5000 }), MAX_ATTEMPT_TIMEOUT_MS);
  });

  it('always leases longer than the attempt it covers', () => {
    for (const timeout of [1, 5000, MAX_ATTEMPT_TIMEOUT_MS, 10_000_000]) {
      const lease = leaseFor(timeout);
      assert.ok(leaseCovers(lease, Math.min(timeout, MAX_ATTEMPT_TIMEOUT_MS)));
      assert.ok(lease >= Math.min(timeout, MAX_ATTEMPT_TIMEOUT_MS) + LEASE_MARGIN_MS);
    }
    assert.equal(leaseCovers(leaseFor(5000), 5001), false);
  });
});
