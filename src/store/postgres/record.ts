/**
 * The dispatcher's results: finished attempts and what they do to their events, and claims given back (the same
 * rules as the SQLite store's record.ts).
 *
 * Every attempt bumps its event's counters. A success always ends the event (SUCCESSFUL, nothing pending, lease
 * cleared, whoever held it). A failure changes the schedule only while the caller still holds the event's lease:
 * then the event is SCHEDULED for `nextAttemptAt` (trigger AUTOMATIC) or, retries exhausted, FAILED. A failure
 * without the lease (manual, or a claim that expired and was taken by another) changes the counters only.
 *
 * A batch is written with two statements whatever its size (unnest of arrays): one INSERT of the attempts, one
 * UPDATE of their events. PostgreSQL evaluates every SET expression against the row as it was, and an UPDATE that
 * waited for a concurrent writer re-reads the row's newest version before evaluating them, so `held` is decided on
 * the current lease and status even when a pause or a mute committed meanwhile. An UPDATE … FROM touches a row
 * once, so results for the same event are applied in rounds, each round holding an event at most once, in order.
 * The redundant `e.id = ANY($2)` lets the planner prune the partitions and read the primary key: on the join alone
 * it scanned every partition of `events` while their statistics were missing (a fresh or busy table).
 */
import type { AttemptResult, OutboundRecordEffects } from '../port.js';
import { disableGoneDestination } from './goneDestination.js';
import { lockRoutesExclusive } from './holds.js';
import { setEventDestinationDisabled } from './eventDestinations.js';
import { insertPublished } from './published.js';
import type { Tx } from './writer.js';

export const INSERT_ATTEMPTS_SQL = `INSERT INTO attempts
  (id, team_id, event_id, destination_id, attempt_number, trigger, status, response_status, error_code, body,
   requested_url, http_method, delivery_latency, response_latency, successful_at, created_at, updated_at)
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[], $6::text[], $7::text[], $8::int[], $9::text[],
    $10::text[], $11::text[], $12::text[], $13::bigint[], $14::bigint[], $15::bigint[], $16::bigint[], $17::bigint[])`;

const HELD = `(x.lease IS NOT NULL AND e.lease_token = x.lease AND e.status IN ('QUEUED', 'SCHEDULED'))`;
export const RECORD_SQL = `UPDATE events e SET
  attempts = e.attempts + 1, response_status = x.response_status, error_code = x.error_code, last_attempt_at = x.attempt_at,
  updated_at = $1,
  status = CASE WHEN x.success THEN 'SUCCESSFUL'
                WHEN ${HELD} THEN CASE WHEN x.next_at IS NULL THEN 'FAILED' ELSE 'SCHEDULED' END
                ELSE e.status END,
  successful_at = CASE WHEN x.success THEN coalesce(e.successful_at, x.successful_at) ELSE e.successful_at END,
  next_attempt_at = CASE WHEN x.success THEN NULL WHEN ${HELD} THEN x.next_at ELSE e.next_attempt_at END,
  due_at = CASE WHEN x.success THEN NULL WHEN ${HELD} THEN x.next_at ELSE e.due_at END,
  next_trigger = CASE WHEN NOT x.success AND ${HELD} AND x.next_at IS NOT NULL THEN 'AUTOMATIC' ELSE e.next_trigger END,
  lease_token = CASE WHEN x.success OR ${HELD} THEN NULL ELSE e.lease_token END
FROM unnest($2::text[], $3::boolean[], $4::int[], $5::text[], $6::bigint[], $7::bigint[], $8::text[], $9::bigint[])
  AS x(id, success, response_status, error_code, attempt_at, successful_at, lease, next_at)
WHERE e.id = x.id AND e.id = ANY($2::text[])`;

/** Splits results into rounds in which each event appears at most once, keeping each event's results in order. */
function rounds(results: AttemptResult[]): AttemptResult[][] {
  const out: AttemptResult[][] = [];
  const seen = new Map<string, number>();
  for (const result of results) {
    const index = seen.get(result.attempt.eventId) ?? 0;
    seen.set(result.attempt.eventId, index + 1);
    (out[index] ??= []).push(result);
  }
  return out;
}

/** Records the batch; wakes the workers when a retry falls due within `wakeWithinMs` (sooner than they would poll). */
export async function recordAttempts(tx: Tx, results: AttemptResult[], now: number, wakeWithinMs: number): Promise<void> {
  if (results.length === 0) return;
  const attempts = results.map((r) => r.attempt);
  await tx.db.run(INSERT_ATTEMPTS_SQL, [
    attempts.map((a) => a.id),
    attempts.map((a) => a.teamId),
    attempts.map((a) => a.eventId),
    attempts.map((a) => a.destinationId),
    attempts.map((a) => a.attemptNumber),
    attempts.map((a) => a.trigger),
    attempts.map((a) => a.status),
    attempts.map((a) => a.responseStatus),
    attempts.map((a) => a.errorCode),
    attempts.map((a) => a.body),
    attempts.map((a) => a.requestedUrl),
    attempts.map((a) => a.httpMethod),
    attempts.map((a) => a.deliveryLatency),
    attempts.map((a) => a.responseLatency),
    attempts.map((a) => a.successfulAt),
    attempts.map((a) => a.createdAt),
    attempts.map((a) => a.updatedAt),
  ]);
  for (const round of rounds(results)) {
    const held = await heldLeases(tx, round);
    await tx.db.run(RECORD_SQL, [
      now,
      round.map((r) => r.attempt.eventId),
      round.map((r) => r.attempt.status === 'SUCCESSFUL'),
      round.map((r) => r.attempt.responseStatus),
      round.map((r) => r.attempt.errorCode),
      round.map((r) => r.attempt.createdAt),
      round.map((r) => r.attempt.successfulAt ?? r.attempt.createdAt),
      // A manual attempt binds a NULL lease, which holds nothing.
      round.map((r) => r.leaseToken),
      round.map((r) => r.nextAttemptAt),
    ]);
    for (const result of round) {
      if (result.outbound !== undefined) await applyOutboundEffects(tx, result, result.outbound, held.has(result.attempt.eventId), now);
      if (result.gone !== undefined) await disableGoneDestination(tx, result, result.gone, now);
    }
  }
  const soon = results.some((r) => r.attempt.status !== 'SUCCESSFUL' && r.leaseToken !== null && r.nextAttemptAt !== null && r.nextAttemptAt <= now + wakeWithinMs);
  if (soon) tx.wake();
}

/**
 * Deliveries to event destinations only (outbound face): which of the round's events the record will reschedule
 * (their lease is still the caller's), read before the update and locked (FOR UPDATE), so no concurrent writer can
 * change the answer between this read and the update. Inbound attempts skip this read.
 */
async function heldLeases(tx: Tx, round: AttemptResult[]): Promise<Set<string>> {
  const outbound = round.filter((r) => r.outbound !== undefined && r.leaseToken !== null);
  if (outbound.length === 0) return new Set();
  const rows = await tx.db.rows<{ id: string }>(
    `SELECT e.id FROM events e JOIN unnest($1::text[], $2::text[]) AS x(id, lease) ON e.id = x.id
     WHERE e.lease_token = x.lease AND e.status IN ('QUEUED', 'SCHEDULED') FOR UPDATE OF e`,
    [outbound.map((r) => r.attempt.eventId), outbound.map((r) => r.leaseToken)],
  );
  return new Set(rows.map((r) => r.id));
}

/**
 * What recording an attempt of a delivery does to its event destination (as the SQLite store's outboundRecord.ts):
 * count consecutive failures (a success resets the count), publish the alert `alertAt` makes of the count reached,
 * disable the destination when the count reaches its limit (holding its pending deliveries, under its route
 * lock), and publish the operator events the dispatcher prepared — `destination.disabled` only if this record
 * disabled it, `delivery.exhausted` only if this record ended the delivery FAILED.
 */
async function applyOutboundEffects(tx: Tx, result: AttemptResult, effects: OutboundRecordEffects, heldLease: boolean, now: number): Promise<void> {
  const { attempt } = result;
  if (attempt.status === 'SUCCESSFUL') {
    await tx.db.run('UPDATE destinations SET consecutive_failures = 0 WHERE id = $1 AND consecutive_failures <> 0', [attempt.destinationId]);
    return;
  }
  if (heldLease && result.nextAttemptAt === null && effects.onExhausted !== null) await insertPublished(tx, effects.onExhausted);
  const counted = await tx.db.row<{ consecutive_failures: number; disabled_at: number | null }>(
    'UPDATE destinations SET consecutive_failures = consecutive_failures + 1 WHERE id = $1 RETURNING consecutive_failures, disabled_at',
    [attempt.destinationId],
  );
  if (counted === undefined || counted.disabled_at !== null) return;
  const alert = effects.alertAt?.(counted.consecutive_failures) ?? null;
  if (alert !== null) await insertPublished(tx, alert);
  if (effects.autoDisableAfter > 0 && counted.consecutive_failures >= effects.autoDisableAfter) {
    await lockRoutesExclusive(tx.db, [attempt.destinationId]);
    await setEventDestinationDisabled(tx, attempt.destinationId, true, now);
    if (effects.onDisabled !== null) await insertPublished(tx, effects.onDisabled);
  }
}

/** Claims given back: due again at `now`, and the workers woken. A wrong token releases nothing. */
export async function releaseClaims(tx: Tx, claims: { eventId: string; leaseToken: string }[], now: number): Promise<void> {
  if (claims.length === 0) return;
  const released = await tx.db.run(
    `UPDATE events e SET due_at = $1, lease_token = NULL FROM unnest($2::text[], $3::text[]) AS x(id, lease)
     WHERE e.id = x.id AND e.lease_token = x.lease`,
    [now, claims.map((c) => c.eventId), claims.map((c) => c.leaseToken)],
  );
  if (released > 0) tx.wake();
}
