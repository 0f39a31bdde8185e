/**
 * The dispatcher's results: finished attempts and what they do to their events, and claims given back.
 *
 * Every attempt bumps its event's counters. A success always ends the event (SUCCESSFUL, nothing pending, lease
 * cleared, whoever held it). A failure changes the schedule only while the caller still holds the event's lease:
 * then the event is SCHEDULED for `nextAttemptAt` (trigger AUTOMATIC) or, retries exhausted, FAILED. A failure
 * without the lease (manual, or a claim that expired and was taken by another) changes the counters only, so it
 * can neither resurrect a muted, held or finished event nor disturb the schedule of the current holder.
 */
import type { AttemptResult } from '../port.js';
import { disableGoneDestination } from './goneDestination.js';
import { applyOutboundEffects, holdsLease } from './outboundRecord.js';
import type { Sql } from './sql.js';

const INSERT_ATTEMPT = `INSERT INTO attempts
  (id, team_id, event_id, destination_id, attempt_number, trigger, status, response_status, error_code, body,
   requested_url, http_method, delivery_latency, response_latency, successful_at, created_at, updated_at)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

// Positional: binding by name costs better-sqlite3 a property lookup per parameter, on every attempt.
const RECORD_SUCCESS = `UPDATE events SET
  attempts = attempts + 1, response_status = ?, error_code = ?, last_attempt_at = ?,
  updated_at = ?, status = 'SUCCESSFUL', successful_at = coalesce(successful_at, ?),
  next_attempt_at = NULL, due_at = NULL, lease_token = NULL
  WHERE id = ?`;

// SQLite evaluates every SET expression against the row as it was, so `held` means the same in each CASE.
const HELD = `(lease_token = @lease AND status IN ('QUEUED', 'SCHEDULED'))`;
const RECORD_FAILURE = `UPDATE events SET
  attempts = attempts + 1, response_status = @responseStatus, error_code = @errorCode, last_attempt_at = @attemptAt,
  updated_at = @now,
  status = CASE WHEN ${HELD} THEN iif(@nextAt IS NULL, 'FAILED', 'SCHEDULED') ELSE status END,
  next_attempt_at = CASE WHEN ${HELD} THEN @nextAt ELSE next_attempt_at END,
  due_at = CASE WHEN ${HELD} THEN @nextAt ELSE due_at END,
  next_trigger = CASE WHEN ${HELD} AND @nextAt IS NOT NULL THEN 'AUTOMATIC' ELSE next_trigger END,
  lease_token = CASE WHEN ${HELD} THEN NULL ELSE lease_token END
  WHERE id = @id`;

export function recordAttempts(sql: Sql, results: AttemptResult[], now: number): void {
  for (const result of results) {
    const { attempt: a, leaseToken, nextAttemptAt, outbound } = result;
    // Deliveries to event destinations only (outbound face); inbound attempts skip this read and the effects.
    const heldLease = outbound !== undefined && holdsLease(sql, result);
    sql.run(
      INSERT_ATTEMPT,
      a.id,
      a.teamId,
      a.eventId,
      a.destinationId,
      a.attemptNumber,
      a.trigger,
      a.status,
      a.responseStatus,
      a.errorCode,
      a.body,
      a.requestedUrl,
      a.httpMethod,
      a.deliveryLatency,
      a.responseLatency,
      a.successfulAt,
      a.createdAt,
      a.updatedAt,
    );
    if (a.status === 'SUCCESSFUL') {
      sql.run(RECORD_SUCCESS, a.responseStatus, a.errorCode, a.createdAt, now, a.successfulAt ?? a.createdAt, a.eventId);
    } else {
      const counters = { id: a.eventId, responseStatus: a.responseStatus, errorCode: a.errorCode, attemptAt: a.createdAt, now };
      // A manual attempt binds a NULL lease, which matches nothing (NULL = x is never true in SQL).
      sql.run(RECORD_FAILURE, { ...counters, lease: leaseToken, nextAt: nextAttemptAt });
    }
    if (outbound !== undefined) applyOutboundEffects(sql, result, outbound, heldLease, now);
    if (result.gone !== undefined) disableGoneDestination(sql, result, result.gone, now);
  }
}

export function releaseClaims(sql: Sql, claims: { eventId: string; leaseToken: string }[], now: number): void {
  for (const claim of claims) {
    sql.run('UPDATE events SET due_at = ?, lease_token = NULL WHERE id = ? AND lease_token = ?', now, claim.eventId, claim.leaseToken);
  }
}

/** Releases every lease (see SqliteStore.recoverStaleClaims); returns how many events were leased. */
export function releaseAllClaims(sql: Sql, now: number): number {
  return sql.run('UPDATE events SET due_at = ?, lease_token = NULL WHERE lease_token IS NOT NULL', now);
}
