/**
 * Published events (outbound face): messages of kind 'event' in the requests table, from the team's platform
 * source, their body the event JSON, and their deliveries (dlv_ rows of the events table), written in the caller's
 * group-commit transaction (the same model as the SQLite store). As at ingest, each delivery is checked against
 * its route at commit, under the routes' shared locks: one whose destination was deleted or disabled since
 * publishing matched it is left out rather than queued for nobody. Queued deliveries wake the workers.
 *
 * A team's event ids are unique: each is claimed in published_event_ids (migration 006; the requests table is
 * partitioned by id, and a unique index there would have to contain the id). Two processes publishing the same id
 * at once meet on its primary key: the insert of the second waits for the first, then inserts nothing (nor the
 * message), and the second answers with the event the first stored, as a repeat made later would be answered.
 */
import { idFloorAt } from '../../domain/ids.js';
import type { PublishedEvent } from '../../domain/model.js';
import type { AcceptedEvent, NewPublishedEvent, Page, PageQuery, PublishedEventFilter } from '../port.js';
import type { Db } from './db.js';
import { platformSourceId } from './eventDestinations.js';
import { lockRoutesShared } from './holds.js';
import { CONNECTION_KIND, idOfKind, REQUEST_KIND } from './kinds.js';
import { listPage } from './pagination.js';
import { type RequestRow, toPublishedEvent } from './rows.js';
import type { Tx } from './writer.js';

const INSERT_MESSAGE = `WITH claimed AS (
  INSERT INTO published_event_ids (team_id, external_id, request_id) VALUES ($2, $7, $1)
  ON CONFLICT (team_id, external_id) DO NOTHING
  RETURNING request_id
)
INSERT INTO requests
  (id, team_id, source_id, method, path, query, headers, body, body_is_json, rejection_cause, event_ids, created_at,
   kind, event_type, external_id, origin)
  SELECT $1, $2, $3, 'POST', '', '', '{}', $4, true, NULL, '[]', $5, '${REQUEST_KIND.event}', $6, $7, $8 FROM claimed
  RETURNING id`;

/** Inserted only while the route and its destination are the team's and active. */
const INSERT_DELIVERIES = `INSERT INTO events
  (id, team_id, request_id, connection_id, source_id, destination_id, status, due_at, next_attempt_at, next_trigger, created_at, updated_at)
  SELECT k.id, $1, $2, c.id, c.source_id, d.id, 'QUEUED', $3, $3, 'INITIAL', $3, $3
  FROM unnest($4::text[], $5::text[], $6::text[]) AS k(id, connection_id, destination_id)
  JOIN connections c ON c.id = k.connection_id
  JOIN destinations d ON d.id = k.destination_id AND d.id = c.destination_id
  WHERE c.team_id = $1 AND d.team_id = $1 AND c.kind = '${CONNECTION_KIND.subscription}'
    AND c.paused_at IS NULL AND c.disabled_at IS NULL AND d.disabled_at IS NULL
  RETURNING id`;

/** The message row through its id's claim: one primary-key probe, then the one partition the message id names. */
const BY_EXTERNAL_ID = `SELECT r.* FROM published_event_ids x JOIN requests r ON r.id = x.request_id
  WHERE x.team_id = $1 AND x.external_id = $2 AND r.team_id = $1 AND r.kind = '${REQUEST_KIND.event}'`;

async function destinationsOf(db: Db, messageId: string): Promise<string[]> {
  return (await db.rows<{ destination_id: string }>('SELECT destination_id FROM events WHERE request_id = $1 ORDER BY id', [messageId])).map(
    (r) => r.destination_id,
  );
}

/** Writes the event and the deliveries whose routes are still active; null when the team already has this event id. */
export async function insertPublished(tx: Tx, { event, deliveries }: NewPublishedEvent): Promise<string[] | null> {
  await lockRoutesShared(tx.db, deliveries.flatMap((d) => [d.connectionId, d.destinationId]));
  const sourceId = await platformSourceId(tx.db, event.teamId, event.createdAt);
  const message = await tx.db.row(INSERT_MESSAGE, [
    event.messageId,
    event.teamId,
    sourceId,
    event.body,
    event.createdAt,
    event.eventType,
    event.eventId,
    event.origin,
  ]);
  if (message === undefined) return null;
  if (deliveries.length === 0) return [];
  const inserted = new Set(
    (
      await tx.db.rows<{ id: string }>(INSERT_DELIVERIES, [
        event.teamId,
        event.messageId,
        event.createdAt,
        deliveries.map((d) => d.id),
        deliveries.map((d) => d.connectionId),
        deliveries.map((d) => d.destinationId),
      ])
    ).map((r) => r.id),
  );
  const kept = deliveries.filter((d) => inserted.has(d.id));
  if (kept.length > 0) {
    await tx.db.run('UPDATE requests SET event_ids = $1 WHERE id = $2', [JSON.stringify(kept.map((d) => d.id)), event.messageId]);
    tx.wake();
  }
  return kept.map((d) => d.destinationId);
}

/** A repeated event id is answered with the event already stored. */
export async function acceptEvent(tx: Tx, published: NewPublishedEvent): Promise<AcceptedEvent> {
  const existing = await tx.db.row<RequestRow>(BY_EXTERNAL_ID, [published.event.teamId, published.event.eventId]);
  const destinationIds = existing === undefined ? await insertPublished(tx, published) : null;
  if (destinationIds !== null) return { created: true, event: published.event, destinationIds };
  // Stored before, or by a concurrent publish of the same id that committed first.
  const stored = existing ?? (await tx.db.row<RequestRow>(BY_EXTERNAL_ID, [published.event.teamId, published.event.eventId]));
  if (stored === undefined) throw new Error(`Event ${published.event.eventId} was neither stored nor found; publish it again.`);
  return { created: false, event: toPublishedEvent(stored), destinationIds: await destinationsOf(tx.db, stored.id) };
}

export async function getPublishedEvent(db: Db, teamId: string, eventId: string): Promise<PublishedEvent | null> {
  const row = await db.row<RequestRow>(BY_EXTERNAL_ID, [teamId, eventId]);
  return row === undefined ? null : toPublishedEvent(row);
}

export function listPublishedEvents(db: Db, teamId: string, filter: PublishedEventFilter, page: PageQuery): Promise<Page<PublishedEvent>> {
  return listPage<RequestRow, PublishedEvent>(
    db,
    {
      table: 'requests',
      filter: (p) => {
        const where = [`team_id = ${p.add(teamId)}`, idOfKind('publishedEvent'), `kind = '${REQUEST_KIND.event}'`];
        if (filter.types !== undefined) where.push(`event_type = ANY(${p.add(filter.types)}::text[])`);
        if (filter.createdAfter !== undefined) where.push(`created_at >= ${p.add(filter.createdAfter)}`);
        if (filter.createdBefore !== undefined) where.push(`created_at < ${p.add(filter.createdBefore)}`);
        // The same bounds on the id (it begins with the creation time): the index reads only the range, and
        // partitions outside it are pruned.
        if (filter.createdAfter !== undefined) where.push(`id >= ${p.add(idFloorAt('publishedEvent', filter.createdAfter))}`);
        if (filter.createdBefore !== undefined) where.push(`id < ${p.add(idFloorAt('publishedEvent', filter.createdBefore))}`);
        return where;
      },
    },
    page,
    toPublishedEvent,
  );
}
