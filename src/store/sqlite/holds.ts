/**
 * What pausing, disabling and deleting do to the queue. Holding takes pending events (QUEUED, SCHEDULED) out of it:
 * status HOLD, no due time, no lease (an attempt in flight then records only its counters). Releasing puts HOLD
 * events whose connection is now active back in it, due at once with trigger UNPAUSE. Cancelling (a deleted
 * connection) ends pending and held events for good.
 */
import type { Sql } from './sql.js';

const HOLD = `UPDATE events SET status = 'HOLD', due_at = NULL, lease_token = NULL, next_attempt_at = NULL, updated_at = ?`;
const PENDING = `status IN ('QUEUED', 'SCHEDULED')`;

export function holdConnectionEvents(sql: Sql, connectionId: string, now: number): void {
  sql.run(`${HOLD} WHERE connection_id = ? AND ${PENDING}`, now, connectionId);
}

/** A pending event always has a due time: the condition lets events_destination_due find them (not a walk of every event the destination ever had). */
export const HOLD_DESTINATION_SQL = `${HOLD} WHERE destination_id = ? AND due_at IS NOT NULL AND ${PENDING}`;

export function holdDestinationEvents(sql: Sql, destinationId: string, now: number): void {
  sql.run(HOLD_DESTINATION_SQL, now, destinationId);
}

const RELEASE = `UPDATE events SET status = 'QUEUED', due_at = @now, next_attempt_at = @now, next_trigger = 'UNPAUSE', updated_at = @now`;
/** The connection is neither paused nor disabled and its destination is not disabled. */
export const ACTIVE_CONNECTION = `SELECT c.id FROM connections c JOIN destinations d ON d.id = c.destination_id
  WHERE c.paused_at IS NULL AND c.disabled_at IS NULL AND d.disabled_at IS NULL`;

export function releaseConnectionEvents(sql: Sql, connectionId: string, now: number): void {
  sql.run(
    `${RELEASE} WHERE connection_id = @id AND status = 'HOLD' AND connection_id IN (${ACTIVE_CONNECTION} AND c.id = @id)`,
    { now, id: connectionId },
  );
}

/**
 * `+destination_id` keeps the planner on events_connection (connection_id, status): the held events of each of the
 * destination's active connections, not a walk of every event the destination ever had.
 */
export const RELEASE_DESTINATION_SQL = `${RELEASE} WHERE +destination_id = @id AND status = 'HOLD' AND connection_id IN (${ACTIVE_CONNECTION} AND c.destination_id = @id)`;

export function releaseDestinationEvents(sql: Sql, destinationId: string, now: number): void {
  sql.run(RELEASE_DESTINATION_SQL, { now, id: destinationId });
}

const CANCEL = `UPDATE events SET status = 'CANCELLED', due_at = NULL, lease_token = NULL, next_attempt_at = NULL, updated_at = ?`;

export function cancelConnectionEvents(sql: Sql, connectionId: string, now: number): void {
  sql.run(`${CANCEL} WHERE connection_id = ? AND status IN ('QUEUED', 'SCHEDULED', 'HOLD')`, now, connectionId);
}
