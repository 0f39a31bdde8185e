/**
 * What recording an attempt of a delivery does to its event destination, in the record's transaction: count
 * consecutive failures (a success resets the count), publish the alert the dispatcher's `alertAt` makes of the
 * count reached (50/70/90/100 % of the limit), disable the destination when the count reaches its limit (holding
 * its pending deliveries), and publish the operator events the dispatcher prepared — `destination.disabled` only
 * if this record disabled it, `delivery.exhausted` only if this record ended the delivery FAILED.
 */
import type { AttemptResult, OutboundRecordEffects } from '../port.js';
import { setEventDestinationDisabled } from './eventDestinations.js';
import { insertPublished } from './published.js';
import type { Sql } from './sql.js';

const HELD = `SELECT 1 FROM events WHERE id = ? AND lease_token = ? AND status IN ('QUEUED', 'SCHEDULED')`;

/** Read before the record: whether it will change the delivery's schedule (its lease is still the caller's). */
export function holdsLease(sql: Sql, result: AttemptResult): boolean {
  return result.leaseToken !== null && sql.get(HELD, result.attempt.eventId, result.leaseToken) !== undefined;
}

export function applyOutboundEffects(sql: Sql, result: AttemptResult, effects: OutboundRecordEffects, heldLease: boolean, now: number): void {
  const { attempt } = result;
  if (attempt.status === 'SUCCESSFUL') {
    sql.run('UPDATE destinations SET consecutive_failures = 0 WHERE id = ? AND consecutive_failures <> 0', attempt.destinationId);
    return;
  }
  if (heldLease && result.nextAttemptAt === null && effects.onExhausted !== null) insertPublished(sql, effects.onExhausted);
  const counted = sql.get<{ consecutive_failures: number; disabled_at: number | null }>(
    'UPDATE destinations SET consecutive_failures = consecutive_failures + 1 WHERE id = ? RETURNING consecutive_failures, disabled_at',
    attempt.destinationId,
  );
  if (counted === undefined || counted.disabled_at !== null) return;
  const alert = effects.alertAt?.(counted.consecutive_failures) ?? null;
  if (alert !== null) insertPublished(sql, alert);
  if (effects.autoDisableAfter > 0 && counted.consecutive_failures >= effects.autoDisableAfter) {
    setEventDestinationDisabled(sql, attempt.destinationId, true, now);
    if (effects.onDisabled !== null) insertPublished(sql, effects.onDisabled);
  }
}
