/**
 * The failure alerts' levels (Outpost's 50/70/90/100 % of the auto-disable limit): which failure of a streak
 * reaches which level, one alert per failure at most, and the alert's payload.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { alertLevelReached, consecutiveFailureAlertData } from '../../src/domain/operatorEvents.js';

function levelsOfStreak(limit: number): [number, number][] {
  const out: [number, number][] = [];
  for (let count = 1; count <= limit + 5; count++) {
    const level = alertLevelReached(count, limit);
    if (level !== null) out.push([count, level]);
  }
  return out;
}

test('each level is reached by exactly one failure of a streak', () => {
  assert.deepEqual(levelsOfStreak(100), [[50, 50], [70, 70], [90, 90], [100, 100]]);
  assert.deepEqual(levelsOfStreak(10), [[5, 50], [7, 70], [9, 90], [10, 100]]);
  assert.deepEqual(levelsOfStreak(7), [[4, 50], [5, 70], [7, 100]], 'ceil(6.3) = 7: 90 % falls on the limit, only 100 % is raised');
  assert.deepEqual(levelsOfStreak(3), [[2, 50], [3, 100]]);
  assert.deepEqual(levelsOfStreak(1), [[1, 100]]);
});

test('no alert without a limit or past it', () => {
  assert.equal(alertLevelReached(5, 0), null);
  assert.equal(alertLevelReached(0, 10), null);
  assert.equal(alertLevelReached(11, 10), null);
});

test('the alert names the destination, the count, the limit, the level and the failed attempt', () => {
  const data = consecutiveFailureAlertData({
    destination: { id: 'evtd_1', type: 'webhook', outbound: { displayName: 'orders', config: {}, credentials: null, subscription: ['*'], consecutiveFailures: 7 } },
    consecutiveFailures: 7,
    limit: 10,
    level: 70,
    lastAttempt: { deliveryId: 'evd_1', eventId: 'evt_1', eventType: 'order.paid', responseStatus: 500, errorCode: null, failedAt: Date.UTC(2026, 0, 2) },
  });
  assert.deepEqual(data, {
    id: 'evtd_1',
    object: 'event_destination',
    name: 'orders',
    type: 'webhook',
    consecutive_failures: 7,
    auto_disable_after: 10,
    percentage: 70,
    will_disable: false,
    last_attempt: { event_delivery_id: 'evd_1', event_id: 'evt_1', event_type: 'order.paid', response_status: 500, error_code: null, failed_at: '2026-01-02T00:00:00.000Z' },
  });
  const atLimit = consecutiveFailureAlertData({
    destination: { id: 'x', type: 'webhook' },
    consecutiveFailures: 10,
    limit: 10,
    level: 100,
    lastAttempt: { deliveryId: 'd', eventId: null, eventType: null, responseStatus: null, errorCode: 'TIMEOUT', failedAt: 0 },
  });
  assert.equal(atLimit.will_disable, true);
});
