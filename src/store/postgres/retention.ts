/**
 * Retention: deletes the oldest messages (inbound requests and published events) created before a cutoff, with
 * their events (deliveries) and those events' attempts, a small batch per call, in one statement (its own
 * transaction) so ingest never waits long behind it. Ids carry their creation time (src/domain/ids.ts), so "older
 * than the cutoff" is a range of the primary key per message kind (req_…, evt_… share the requests table).
 * Every gateway process runs the retention job: `FOR UPDATE SKIP LOCKED` lets concurrent purges take disjoint
 * batches instead of queueing on the same rows, and the count returned is what this call deleted.
 *
 * The tables are partitioned by week (migration 006): the retention job first drops the partitions wholly past the
 * cutoff (partitions.ts), so this purge only meets the rows of the partition the cutoff falls inside (the id range
 * prunes the rest) and anything in the DEFAULT partitions.
 */
import { ID_PREFIX } from '../../domain/glossary.js';
import { idFloorAt } from '../../domain/ids.js';
import type { Db } from './db.js';

export { purgeIdempotencyKeys } from './idempotency.js';

/** The expired messages of one kind: its id range up to the cutoff's id floor ($n), at most `limit`. */
function expired(kind: 'request' | 'publishedEvent', floorParam: string, limit: string): string {
  const prefix = ID_PREFIX[kind];
  return `SELECT id FROM requests WHERE id >= '${prefix}_' AND id < ${floorParam} AND created_at < $3 ORDER BY id LIMIT ${limit} FOR UPDATE SKIP LOCKED`;
}

const PURGE = `
WITH inbound AS (${expired('request', '$1', '$4')}),
published AS (${expired('publishedEvent', '$2', 'greatest(0, $4 - (SELECT count(*) FROM inbound))')}),
victims AS (SELECT id FROM inbound UNION ALL SELECT id FROM published),
doomed_events AS (SELECT e.id FROM events e WHERE e.request_id IN (SELECT id FROM victims)),
purged_attempts AS (DELETE FROM attempts WHERE event_id IN (SELECT id FROM doomed_events)),
purged_events AS (DELETE FROM events WHERE id IN (SELECT id FROM doomed_events)),
purged_event_ids AS (DELETE FROM published_event_ids WHERE request_id IN (SELECT id FROM published))
DELETE FROM requests WHERE id IN (SELECT id FROM victims)`;

export async function purgeBefore(db: Db, cutoff: number, batch: number): Promise<number> {
  if (batch <= 0) return 0;
  return db.run(PURGE, [idFloorAt('request', cutoff), idFloorAt('publishedEvent', cutoff), cutoff, batch]);
}
