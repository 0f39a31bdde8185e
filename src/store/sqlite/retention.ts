/**
 * Retention: deletes the oldest messages (inbound requests and published events) created before a cutoff, with
 * their events (deliveries) and those events' attempts, a small batch per call so ingest never waits long behind
 * it. Ids carry their creation time (src/domain/ids.ts), so "older than the cutoff" is a range of the primary key
 * per message kind: no scan, and no extra index to maintain on ingest. Also the /v2 idempotency keys.
 */
import type { IdKind } from '../../domain/glossary.js';
import { idFloorAt } from '../../domain/ids.js';
import type { Sql } from './sql.js';

export { purgeIdempotencyKeys } from './idempotency.js';

const EVENTS_OF = 'SELECT e.id FROM events e WHERE e.request_id IN (SELECT value FROM json_each(?))';

/** Both kinds of message share the requests table, each in its own id range (req_…, evt_…). */
const MESSAGE_KINDS: IdKind[] = ['request', 'publishedEvent'];

function expiredIds(sql: Sql, kind: IdKind, cutoff: number, limit: number): string[] {
  if (limit <= 0) return [];
  return sql
    .all<{ id: string }>(
      'SELECT id FROM requests WHERE id >= ? AND id < ? AND created_at < ? ORDER BY id LIMIT ?',
      idFloorAt(kind, 0),
      idFloorAt(kind, cutoff),
      cutoff,
      limit,
    )
    .map((row) => row.id);
}

export function purgeBefore(sql: Sql, cutoff: number, batch: number): number {
  if (batch <= 0) return 0;
  const ids: string[] = [];
  for (const kind of MESSAGE_KINDS) ids.push(...expiredIds(sql, kind, cutoff, batch - ids.length));
  if (ids.length === 0) return 0;
  const list = JSON.stringify(ids);
  sql.run(`DELETE FROM attempts WHERE event_id IN (${EVENTS_OF})`, list);
  sql.run('DELETE FROM events WHERE request_id IN (SELECT value FROM json_each(?))', list);
  sql.run('DELETE FROM requests WHERE id IN (SELECT value FROM json_each(?))', list);
  return ids.length;
}
