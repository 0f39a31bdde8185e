/**
 * An event destination's delivery log: its deliveries (dlv_ rows of the events table) with the event each one
 * delivers and its attempts, read a page at a time (one query for the page, one for its events, one for their
 * attempts), scoped by team. The id range reads the (destination_id, id) index events_destination_id (migration 009).
 */
import type { AttemptRecord, DeliveryView, EventRecord } from '../../domain/model.js';
import type { DeliveryFilter, Page, PageQuery } from '../port.js';
import { idOfKind, REQUEST_KIND } from './kinds.js';
import { listPage } from './pagination.js';
import { type AttemptRow, type EventRow, toAttempt, toEvent } from './rows.js';
import { jsonList, type Sql, type SqlValue } from './sql.js';

/** Adds the event and the attempts of each delivery. */
function withDetails(sql: Sql, deliveries: EventRecord[]): DeliveryView[] {
  if (deliveries.length === 0) return [];
  const messageIds = jsonList([...new Set(deliveries.map((d) => d.requestId))]);
  const messages = new Map(
    sql
      .all<{ id: string; external_id: string | null; event_type: string | null }>(
        'SELECT id, external_id, event_type FROM requests WHERE id IN (SELECT value FROM json_each(?))',
        messageIds,
      )
      .map((row) => [row.id, row]),
  );
  const attempts = new Map<string, AttemptRecord[]>();
  const rows = sql.all<AttemptRow>(
    'SELECT * FROM attempts WHERE event_id IN (SELECT value FROM json_each(?)) ORDER BY event_id, id',
    jsonList(deliveries.map((d) => d.id)),
  );
  for (const row of rows) {
    const list = attempts.get(row.event_id) ?? [];
    list.push(toAttempt(row));
    attempts.set(row.event_id, list);
  }
  return deliveries.map((delivery) => {
    const message = messages.get(delivery.requestId);
    return {
      delivery,
      eventId: message?.external_id ?? delivery.requestId,
      eventType: message?.event_type ?? '',
      attempts: attempts.get(delivery.id) ?? [],
    };
  });
}

export function listDeliveries(sql: Sql, teamId: string, destinationId: string, filter: DeliveryFilter, page: PageQuery): Page<DeliveryView> {
  const where = ['destination_id = ?', idOfKind('delivery'), 'team_id = ?'];
  const params: SqlValue[] = [destinationId, teamId];
  if (filter.status !== undefined) {
    where.push('status IN (SELECT value FROM json_each(?))');
    params.push(jsonList(filter.status));
  }
  if (filter.types !== undefined) {
    where.push(`request_id IN (SELECT id FROM requests WHERE team_id = ? AND kind = '${REQUEST_KIND.event}' AND event_type IN (SELECT value FROM json_each(?)))`);
    params.push(teamId, jsonList(filter.types));
  }
  const result = listPage<EventRow, EventRecord>(sql, { table: 'events', where, params }, page, toEvent);
  return { ...result, models: withDetails(sql, result.models) };
}

export function getDelivery(sql: Sql, teamId: string, destinationId: string, deliveryId: string): DeliveryView | null {
  const row = sql.get<EventRow>(
    `SELECT * FROM events WHERE id = ? AND team_id = ? AND destination_id = ? AND ${idOfKind('delivery')}`,
    deliveryId,
    teamId,
    destinationId,
  );
  return row === undefined ? null : (withDetails(sql, [toEvent(row)])[0] ?? null);
}
