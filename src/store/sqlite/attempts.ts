/**
 * Attempts as the API inspects them, scoped by team.
 */
import type { AttemptRecord } from '../../domain/model.js';
import type { AttemptFilter, Page, PageQuery } from '../port.js';
import { listPage } from './pagination.js';
import { type AttemptRow, toAttempt } from './rows.js';
import { idOfKind } from './kinds.js';
import type { Sql, SqlValue } from './sql.js';

export function listAttempts(sql: Sql, teamId: string, filter: AttemptFilter, page: PageQuery): Page<AttemptRecord> {
  // The inbound face's attempts only (those of deliveries are dla_ rows of the same table).
  const where = ['team_id = ?', idOfKind('attempt')];
  const params: SqlValue[] = [teamId];
  if (filter.eventId !== undefined) {
    where.push('event_id = ?');
    params.push(filter.eventId);
  }
  return listPage<AttemptRow, AttemptRecord>(sql, { table: 'attempts', where, params }, page, toAttempt);
}

export function getAttempt(sql: Sql, teamId: string, id: string): AttemptRecord | null {
  const row = sql.get<AttemptRow>('SELECT * FROM attempts WHERE id = ? AND team_id = ?', id, teamId);
  return row === undefined ? null : toAttempt(row);
}
