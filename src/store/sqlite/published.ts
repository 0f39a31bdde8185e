/**
 * Published events (outbound face): messages of kind 'event' in the requests table, from the team's platform
 * source, their body the event JSON, and their deliveries (dlv_ rows of the events table), written in the caller's
 * group-commit transaction. As at ingest, each delivery is checked against its route at commit: one whose
 * destination was deleted or disabled since publishing matched it is left out rather than queued for nobody.
 */
import type { PublishedEvent } from '../../domain/model.js';
import type { AcceptedEvent, NewPublishedEvent, Page, PageQuery, PublishedEventFilter } from '../port.js';
import { platformSourceId } from './eventDestinations.js';
import { CONNECTION_KIND, idOfKind, REQUEST_KIND } from './kinds.js';
import { listPage } from './pagination.js';
import { type RequestRow, toPublishedEvent } from './rows.js';
import { jsonList, type Sql, type SqlValue } from './sql.js';

const INSERT_MESSAGE = `INSERT INTO requests
  (id, team_id, source_id, method, path, query, headers, body, body_is_json, rejection_cause, event_ids, created_at,
   kind, event_type, external_id, origin)
  VALUES (?, ?, ?, 'POST', '', '', '{}', ?, 1, NULL, ?, ?, '${REQUEST_KIND.event}', ?, ?, ?)`;

/** Inserted only while the route and its destination are the team's and active. */
const INSERT_DELIVERY = `INSERT INTO events
  (id, team_id, request_id, connection_id, source_id, destination_id, status, due_at, next_attempt_at, next_trigger, created_at, updated_at)
  SELECT @id, @teamId, @requestId, c.id, c.source_id, d.id, 'QUEUED', @createdAt, @createdAt, 'INITIAL', @createdAt, @createdAt
  FROM connections c JOIN destinations d ON d.id = c.destination_id
  WHERE c.id = @connectionId AND d.id = @destinationId AND c.team_id = @teamId AND d.team_id = @teamId
    AND c.kind = '${CONNECTION_KIND.subscription}' AND c.paused_at IS NULL AND c.disabled_at IS NULL AND d.disabled_at IS NULL`;

const BY_EXTERNAL_ID = `SELECT * FROM requests WHERE team_id = ? AND external_id = ? AND kind = '${REQUEST_KIND.event}'`;

function destinationsOf(sql: Sql, messageId: string): string[] {
  return sql.all<{ destination_id: string }>('SELECT destination_id FROM events WHERE request_id = ? ORDER BY destination_id', messageId).map((r) => r.destination_id);
}

/** Writes the event and the deliveries whose routes are still active; returns their destinations, in id order. */
export function insertPublished(sql: Sql, { event, deliveries }: NewPublishedEvent): string[] {
  const sourceId = platformSourceId(sql, event.teamId, event.createdAt);
  const kept: { id: string; destinationId: string }[] = [];
  for (const delivery of deliveries) {
    const inserted = sql.run(INSERT_DELIVERY, {
      id: delivery.id,
      teamId: event.teamId,
      requestId: event.messageId,
      connectionId: delivery.connectionId,
      destinationId: delivery.destinationId,
      createdAt: event.createdAt,
    });
    if (inserted > 0) kept.push(delivery);
  }
  sql.run(
    INSERT_MESSAGE,
    event.messageId,
    event.teamId,
    sourceId,
    event.body,
    JSON.stringify(kept.map((d) => d.id)),
    event.createdAt,
    event.eventType,
    event.eventId,
    event.origin,
  );
  return kept.map((d) => d.destinationId).sort();
}

/** A repeated event id is answered with the event already stored (the lookup and the insert share the transaction). */
export function acceptEvent(sql: Sql, published: NewPublishedEvent): AcceptedEvent {
  const existing = sql.get<RequestRow>(BY_EXTERNAL_ID, published.event.teamId, published.event.eventId);
  if (existing !== undefined) return { created: false, event: toPublishedEvent(existing), destinationIds: destinationsOf(sql, existing.id) };
  return { created: true, event: published.event, destinationIds: insertPublished(sql, published) };
}

export function getPublishedEvent(sql: Sql, teamId: string, eventId: string): PublishedEvent | null {
  const row = sql.get<RequestRow>(BY_EXTERNAL_ID, teamId, eventId);
  return row === undefined ? null : toPublishedEvent(row);
}

export function listPublishedEvents(sql: Sql, teamId: string, filter: PublishedEventFilter, page: PageQuery): Page<PublishedEvent> {
  const where = ['team_id = ?', idOfKind('publishedEvent'), `kind = '${REQUEST_KIND.event}'`];
  const params: SqlValue[] = [teamId];
  if (filter.types !== undefined) {
    where.push('event_type IN (SELECT value FROM json_each(?))');
    params.push(jsonList(filter.types));
  }
  if (filter.createdAfter !== undefined) {
    where.push('created_at >= ?');
    params.push(filter.createdAfter);
  }
  if (filter.createdBefore !== undefined) {
    where.push('created_at < ?');
    params.push(filter.createdBefore);
  }
  return listPage<RequestRow, PublishedEvent>(sql, { table: 'requests', where, params }, page, toPublishedEvent);
}
