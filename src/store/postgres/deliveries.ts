/**
 * An event destination's delivery log: its deliveries (dlv_ rows of the events table) with the event each one
 * delivers and its attempts, read a page at a time (one query for the page, one for its events, one for their
 * attempts), scoped by team. `destination_id = … AND id in the dlv_ range ORDER BY id` reads events_destination.
 */
import type { AttemptRecord, DeliveryView, EventRecord } from '../../domain/model.js';
import type { DeliveryFilter, Page, PageQuery } from '../port.js';
import type { Db } from './db.js';
import { idOfKind, REQUEST_KIND } from './kinds.js';
import { listPage } from './pagination.js';
import { type AttemptRow, type EventRow, toAttempt, toEvent } from './rows.js';

/** Adds the event and the attempts of each delivery. */
async function withDetails(db: Db, deliveries: EventRecord[]): Promise<DeliveryView[]> {
  if (deliveries.length === 0) return [];
  const messages = new Map(
    (
      await db.rows<{ id: string; external_id: string | null; event_type: string | null }>(
        'SELECT id, external_id, event_type FROM requests WHERE id = ANY($1::text[])',
        [[...new Set(deliveries.map((d) => d.requestId))]],
      )
    ).map((row) => [row.id, row]),
  );
  const attempts = new Map<string, AttemptRecord[]>();
  const rows = await db.rows<AttemptRow>('SELECT * FROM attempts WHERE event_id = ANY($1::text[]) ORDER BY event_id, id', [deliveries.map((d) => d.id)]);
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

export async function listDeliveries(db: Db, teamId: string, destinationId: string, filter: DeliveryFilter, page: PageQuery): Promise<Page<DeliveryView>> {
  const result = await listPage<EventRow, EventRecord>(
    db,
    {
      table: 'events',
      filter: (p) => {
        const where = [`destination_id = ${p.add(destinationId)}`, idOfKind('delivery'), `team_id = ${p.add(teamId)}`];
        if (filter.status !== undefined) where.push(`status = ANY(${p.add(filter.status)}::text[])`);
        if (filter.types !== undefined) {
          where.push(
            `request_id IN (SELECT id FROM requests WHERE team_id = ${p.add(teamId)} AND kind = '${REQUEST_KIND.event}' AND event_type = ANY(${p.add(filter.types)}::text[]))`,
          );
        }
        return where;
      },
    },
    page,
    toEvent,
  );
  return { ...result, models: await withDetails(db, result.models) };
}

export async function getDelivery(db: Db, teamId: string, destinationId: string, deliveryId: string): Promise<DeliveryView | null> {
  const row = await db.row<EventRow>(`SELECT * FROM events WHERE id = $1 AND team_id = $2 AND destination_id = $3 AND ${idOfKind('delivery')}`, [
    deliveryId,
    teamId,
    destinationId,
  ]);
  return row === undefined ? null : ((await withDetails(db, [toEvent(row)]))[0] ?? null);
}
