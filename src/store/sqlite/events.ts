/**
 * Events (deliveries) as the API inspects and acts on them: list with the seed's filters (and a bounded search in
 * the bodies), get, mute, and the load a manual attempt needs. Every query is scoped by team.
 */
import { ID_PREFIX } from '../../domain/glossary.js';
import { idFloorAt } from '../../domain/ids.js';
import type { EventRecord } from '../../domain/model.js';
import type { ClaimedEvent, EventFilter, EventPage, PageQuery } from '../port.js';
import { ContextLoader } from './claim.js';
import { listPage } from './pagination.js';
import { type EventRow, toEvent } from './rows.js';
import { idOfKind } from './kinds.js';
import { jsonList, type Sql, type SqlValue } from './sql.js';

/** The filter's conditions (with `?` placeholders) and values; with a body search, its window (see BodySearch). */
export function eventWhere(sql: Sql, teamId: string, filter: EventFilter): { where: string[]; params: SqlValue[]; searchedFrom?: number } {
  // The inbound face's events only (deliveries of published events are dlv_ rows of the same table). A time range
  // bounds the id too (ids begin with their creation time), instead of the kind's range: SQLite's index range takes
  // one bound per side, so the (team_id, id) index then reads only that time range (a live poll of the last seconds
  // reads a few rows, not the team's whole history).
  const where = ['team_id = ?'];
  const params: SqlValue[] = [teamId];
  if (filter.createdAfter === undefined && filter.createdBefore === undefined) where.push(idOfKind('event'));
  else {
    where.push('id >= ?', 'id < ?');
    params.push(
      filter.createdAfter === undefined ? idFloorAt('event', 0) : idFloorAt('event', filter.createdAfter),
      filter.createdBefore === undefined ? `${ID_PREFIX.event}\`` : idFloorAt('event', filter.createdBefore),
    );
  }
  const add = (condition: string, value: SqlValue | undefined): void => {
    if (value === undefined) return;
    where.push(condition);
    params.push(value);
  };
  const addList = (column: string, values: readonly (string | number)[] | undefined): void => {
    if (values !== undefined) add(`${column} IN (SELECT value FROM json_each(?))`, jsonList(values));
  };
  addList('status', filter.status);
  add('source_id = ?', filter.sourceId);
  add('destination_id = ?', filter.destinationId);
  add('connection_id = ?', filter.connectionId);
  add('request_id = ?', filter.requestId);
  addList('response_status', filter.responseStatus);
  addList('error_code', filter.errorCode);
  add('created_at >= ?', filter.createdAfter);
  add('created_at < ?', filter.createdBefore);
  const search = filter.bodyContains;
  if (search === undefined) return { where, params };
  // The window: the newest `scanLimit` events of the other conditions (an index walk, no body read). A second row
  // past its edge means older events were left out.
  const edge = sql.all<{ id: string; created_at: number }>(
    `SELECT id, created_at FROM events WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT 2 OFFSET ?`,
    ...params,
    Math.max(0, search.scanLimit - 1),
  );
  const [oldest, beyond] = edge;
  add('id >= ?', oldest?.id);
  // instr() on two blobs compares bytes: the stored body as received, whatever its content type.
  add('EXISTS (SELECT 1 FROM requests r WHERE r.id = events.request_id AND instr(r.body, ?) > 0)', Buffer.from(search.text, 'utf8'));
  return beyond === undefined || oldest === undefined ? { where, params } : { where, params, searchedFrom: oldest.created_at };
}

export function listEvents(sql: Sql, teamId: string, filter: EventFilter, page: PageQuery): EventPage {
  const { where, params, searchedFrom } = eventWhere(sql, teamId, filter);
  const listed = listPage<EventRow, EventRecord>(sql, { table: 'events', where, params }, page, toEvent);
  return searchedFrom === undefined ? listed : { ...listed, searchedFrom };
}

export function getEvent(sql: Sql, teamId: string, id: string): EventRecord | null {
  const row = sql.get<EventRow>('SELECT * FROM events WHERE id = ? AND team_id = ?', id, teamId);
  return row === undefined ? null : toEvent(row);
}

export function muteEvent(sql: Sql, teamId: string, id: string, now: number): EventRecord | null {
  const row = sql.get<EventRow>(
    `UPDATE events SET status = iif(status IN ('SUCCESSFUL', 'FAILED'), status, 'CANCELLED'),
       next_attempt_at = NULL, due_at = NULL, lease_token = NULL, updated_at = ?
     WHERE id = ? AND team_id = ? RETURNING *`,
    now,
    id,
    teamId,
  );
  return row === undefined ? null : toEvent(row);
}

export function loadForManualAttempt(sql: Sql, teamId: string, eventId: string): Omit<ClaimedEvent, 'leaseToken' | 'dueAt'> | null {
  const row = sql.get<EventRow>('SELECT * FROM events WHERE id = ? AND team_id = ?', eventId, teamId);
  return row === undefined ? null : new ContextLoader(sql).load(row, 'MANUAL');
}
