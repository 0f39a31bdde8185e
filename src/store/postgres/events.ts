/**
 * Events (deliveries) as the API inspects and acts on them: list with the seed's filters, get, mute, and the load
 * a manual attempt needs. Every query is scoped by team; each filter has an index ending in `id` (docs/postgres.md).
 */
import { idFloorAt } from '../../domain/ids.js';
import type { EventRecord } from '../../domain/model.js';
import type { ClaimedEvent, EventFilter, EventPage, PageQuery } from '../port.js';
import { ContextLoader } from './claim.js';
import { type Db, Params, type SqlValue } from './db.js';
import { idOfKind } from './kinds.js';
import { listPage } from './pagination.js';
import { type EventRow, toEvent } from './rows.js';

export function eventConditions(p: Params, teamId: string, filter: EventFilter): string[] {
  // The inbound face's events only (deliveries of published events are dlv_ rows of the same table).
  const where = [`team_id = ${p.add(teamId)}`, idOfKind('event')];
  const add = (column: string, operator: string, value: SqlValue | undefined): void => {
    if (value !== undefined) where.push(`${column} ${operator} ${p.add(value)}`);
  };
  // One value: plain equality, so (team_id, status, id) also gives the list's order (before PostgreSQL 17, = ANY on
  // a leading column of an index does not). Several: one SQL text whatever their number.
  const addList = (column: string, type: string, values: readonly (string | number)[] | undefined): void => {
    if (values === undefined) return;
    const [only] = values;
    where.push(values.length === 1 && only !== undefined ? `${column} = ${p.add(only)}` : `${column} = ANY(${p.add(values)}::${type}[])`);
  };
  addList('status', 'text', filter.status);
  add('source_id', '=', filter.sourceId);
  add('destination_id', '=', filter.destinationId);
  add('connection_id', '=', filter.connectionId);
  add('request_id', '=', filter.requestId);
  addList('response_status', 'int', filter.responseStatus);
  addList('error_code', 'text', filter.errorCode);
  add('created_at', '>=', filter.createdAfter);
  add('created_at', '<', filter.createdBefore);
  // The same bounds on the id, which begins with the creation time: the indexes ending in `id` then read only the range.
  if (filter.createdAfter !== undefined) add('id', '>=', idFloorAt('event', filter.createdAfter));
  if (filter.createdBefore !== undefined) add('id', '<', idFloorAt('event', filter.createdBefore));
  return where;
}

/** A body search's window: the id of its oldest event, and whether older ones were left out (see BodySearch). */
interface SearchWindow {
  oldestId: string | null;
  searchedFrom?: number;
}

async function searchWindow(db: Db, teamId: string, filter: EventFilter, scanLimit: number): Promise<SearchWindow> {
  const p = new Params();
  const where = eventConditions(p, teamId, filter);
  // An index walk of the other conditions (no body read); a second row past the edge means older events were left out.
  const rows = await db.rows<{ id: string; created_at: number }>(
    `SELECT id, created_at FROM events WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT 2 OFFSET ${p.add(Math.max(0, scanLimit - 1))}`,
    p.values,
  );
  const [oldest, beyond] = rows;
  if (oldest === undefined) return { oldestId: null };
  return beyond === undefined ? { oldestId: oldest.id } : { oldestId: oldest.id, searchedFrom: oldest.created_at };
}

/**
 * The filter's conditions, and a body search's: within the window, a byte match on the stored body (bytea
 * position(), whatever the content type; no index serves it, hence the window).
 */
export async function eventFilterConditions(db: Db, teamId: string, filter: EventFilter): Promise<{ conditions: (p: Params) => string[]; searchedFrom?: number }> {
  const search = filter.bodyContains;
  if (search === undefined) return { conditions: (p) => eventConditions(p, teamId, filter) };
  const window = await searchWindow(db, teamId, filter, search.scanLimit);
  const needle = Buffer.from(search.text, 'utf8');
  const conditions = (p: Params): string[] => [
    ...eventConditions(p, teamId, filter),
    ...(window.oldestId === null ? [] : [`id >= ${p.add(window.oldestId)}`]),
    `EXISTS (SELECT 1 FROM requests r WHERE r.id = events.request_id AND position(${p.add(needle)}::bytea IN r.body) > 0)`,
  ];
  return window.searchedFrom === undefined ? { conditions } : { conditions, searchedFrom: window.searchedFrom };
}

export async function listEvents(db: Db, teamId: string, filter: EventFilter, page: PageQuery): Promise<EventPage> {
  const { conditions, searchedFrom } = await eventFilterConditions(db, teamId, filter);
  const listed = await listPage<EventRow, EventRecord>(db, { table: 'events', filter: conditions }, page, toEvent);
  return searchedFrom === undefined ? listed : { ...listed, searchedFrom };
}

export async function getEvent(db: Db, teamId: string, id: string): Promise<EventRecord | null> {
  const row = await db.row<EventRow>('SELECT * FROM events WHERE id = $1 AND team_id = $2', [id, teamId]);
  return row === undefined ? null : toEvent(row);
}

export async function muteEvent(db: Db, teamId: string, id: string, now: number): Promise<EventRecord | null> {
  const row = await db.row<EventRow>(
    `UPDATE events SET status = CASE WHEN status IN ('SUCCESSFUL', 'FAILED') THEN status ELSE 'CANCELLED' END,
       next_attempt_at = NULL, due_at = NULL, lease_token = NULL, updated_at = $1
     WHERE id = $2 AND team_id = $3 RETURNING *`,
    [now, id, teamId],
  );
  return row === undefined ? null : toEvent(row);
}

export async function loadForManualAttempt(db: Db, teamId: string, eventId: string): Promise<Omit<ClaimedEvent, 'leaseToken' | 'dueAt'> | null> {
  const row = await db.row<EventRow>('SELECT * FROM events WHERE id = $1 AND team_id = $2', [eventId, teamId]);
  if (row === undefined) return null;
  return (await ContextLoader.load(db, [row])).load(row, 'MANUAL');
}
