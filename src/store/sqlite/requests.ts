/**
 * Requests (the inbound messages) as the API inspects them, scoped by team.
 */
import type { RequestRecord } from '../../domain/model.js';
import type { Page, PageQuery, RequestFilter } from '../port.js';
import { listPage } from './pagination.js';
import { type RequestRow, toRequest } from './rows.js';
import { idOfKind } from './kinds.js';
import { jsonList, type Sql, type SqlValue } from './sql.js';

export function listRequests(sql: Sql, teamId: string, filter: RequestFilter, page: PageQuery): Page<RequestRecord> {
  // Inbound requests only (published events are evt_ rows of the same table).
  const where = ['team_id = ?', idOfKind('request')];
  const params: SqlValue[] = [teamId];
  const add = (condition: string, value: SqlValue | undefined): void => {
    if (value === undefined) return;
    where.push(condition);
    params.push(value);
  };
  add('source_id = ?', filter.sourceId);
  if (filter.rejectionCause !== undefined) add('rejection_cause IN (SELECT value FROM json_each(?))', jsonList(filter.rejectionCause));
  add('created_at >= ?', filter.createdAfter);
  add('created_at < ?', filter.createdBefore);
  return listPage<RequestRow, RequestRecord>(sql, { table: 'requests', where, params }, page, toRequest);
}

export function getRequest(sql: Sql, teamId: string, id: string): RequestRecord | null {
  const row = sql.get<RequestRow>('SELECT * FROM requests WHERE id = ? AND team_id = ?', id, teamId);
  return row === undefined ? null : toRequest(row);
}
