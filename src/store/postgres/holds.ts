/**
 * What pausing, disabling and deleting do to the queue (the same rules as the SQLite store). Holding takes pending
 * events (QUEUED, SCHEDULED) out of it: status HOLD, no due time, no lease (an attempt in flight then records only
 * its counters). Releasing puts HOLD events whose connection is now active back in it, due at once with trigger
 * UNPAUSE (and wakes the workers). Cancelling (a deleted connection) ends pending and held events for good.
 *
 * Route locks. SQLite runs one write at a time; PostgreSQL runs an ingest and a pause side by side, and under READ
 * COMMITTED each would miss the other's uncommitted rows: an ingest that read "paused" could commit a HOLD event
 * just after the unpause released the held ones (held for ever), or one that read "active" could commit a QUEUED
 * event after the pause held the rest. So a change of a connection's or destination's state takes an exclusive
 * transaction-scoped advisory lock on its id, and an ingest takes shared ones on the ids it routes to before it
 * reads their state: the two are ordered, and each sees what the other committed. Advisory locks live in the lock
 * manager's memory (no row is written, unlike SELECT … FOR SHARE, which would make every ingest write a MultiXact
 * on the connection row), and shared ones never wait for each other, so ingests do not contend among themselves.
 */
import type { Db } from './db.js';
import type { Tx } from './writer.js';

/** Sluice's advisory-lock namespace for route state ("SL" + 2); the second key is hashtext(id). */
export const ROUTE_LOCK_NAMESPACE = 0x534c0002;

async function lockRoutes(db: Db, ids: readonly string[], mode: 'shared' | 'exclusive'): Promise<void> {
  if (ids.length === 0) return;
  // A fixed order, so two writers locking several ids cannot wait for each other in a cycle.
  const sorted = [...new Set(ids)].sort();
  const fn = mode === 'shared' ? 'pg_advisory_xact_lock_shared' : 'pg_advisory_xact_lock';
  await db.run(`SELECT ${fn}(${ROUTE_LOCK_NAMESPACE}, hashtext(k)) FROM unnest($1::text[]) AS k`, [sorted]);
}

/** Taken by a change of the state of these connections or destinations, before it reads that state. */
export function lockRoutesExclusive(db: Db, ids: readonly string[]): Promise<void> {
  return lockRoutes(db, ids, 'exclusive');
}

/** Taken by an ingest on the connections and destinations it routes to, before it reads their state. */
export function lockRoutesShared(db: Db, ids: readonly string[]): Promise<void> {
  return lockRoutes(db, ids, 'shared');
}

const HOLD = `UPDATE events SET status = 'HOLD', due_at = NULL, lease_token = NULL, next_attempt_at = NULL, updated_at = $1`;
// QUEUED and SCHEDULED events always have a due time (a lease moves it, never clears it): saying so lets the hold
// read events_destination_due (pending events only) instead of every event the destination ever had.
const PENDING = `status IN ('QUEUED', 'SCHEDULED') AND due_at IS NOT NULL`;

export async function holdConnectionEvents(db: Db, connectionId: string, now: number): Promise<void> {
  await db.run(`${HOLD} WHERE connection_id = $2 AND destination_id = (SELECT destination_id FROM connections WHERE id = $2) AND ${PENDING}`, [
    now,
    connectionId,
  ]);
}

export async function holdDestinationEvents(db: Db, destinationId: string, now: number): Promise<void> {
  await db.run(`${HOLD} WHERE destination_id = $2 AND ${PENDING}`, [now, destinationId]);
}

const RELEASE = `UPDATE events SET status = 'QUEUED', due_at = $1, next_attempt_at = $1, next_trigger = 'UNPAUSE', updated_at = $1`;
/** The connection is neither paused nor disabled and its destination is not disabled. */
export const ACTIVE_CONNECTION = `SELECT c.id FROM connections c JOIN destinations d ON d.id = c.destination_id
  WHERE c.paused_at IS NULL AND c.disabled_at IS NULL AND d.disabled_at IS NULL`;

export async function releaseConnectionEvents(tx: Tx, connectionId: string, now: number): Promise<void> {
  const released = await tx.db.run(
    `${RELEASE} WHERE connection_id = $2 AND status = 'HOLD' AND connection_id IN (${ACTIVE_CONNECTION} AND c.id = $2)`,
    [now, connectionId],
  );
  if (released > 0) tx.wake();
}

export async function releaseDestinationEvents(tx: Tx, destinationId: string, now: number): Promise<void> {
  const released = await tx.db.run(
    `${RELEASE} WHERE destination_id = $2 AND status = 'HOLD' AND connection_id IN (${ACTIVE_CONNECTION} AND c.destination_id = $2)`,
    [now, destinationId],
  );
  if (released > 0) tx.wake();
}

const CANCEL = `UPDATE events SET status = 'CANCELLED', due_at = NULL, lease_token = NULL, next_attempt_at = NULL, updated_at = $1`;

export async function cancelConnectionEvents(db: Db, connectionId: string, now: number): Promise<void> {
  // Pending events have a due time (events_destination_due); held ones are in events_held.
  const destination = `(SELECT destination_id FROM connections WHERE id = $2)`;
  await db.run(`${CANCEL} WHERE connection_id = $2 AND destination_id = ${destination} AND ${PENDING}`, [now, connectionId]);
  await db.run(`${CANCEL} WHERE connection_id = $2 AND status = 'HOLD'`, [now, connectionId]);
}
