/**
 * Attempts as the API inspects them, scoped by team.
 */
import type { AttemptRecord } from '../../domain/model.js';
import type { AttemptFilter, Page, PageQuery } from '../port.js';
import type { Db } from './db.js';
import { idOfKind } from './kinds.js';
import { listPage } from './pagination.js';
import { type AttemptRow, toAttempt } from './rows.js';

export function listAttempts(db: Db, teamId: string, filter: AttemptFilter, page: PageQuery): Promise<Page<AttemptRecord>> {
  return listPage<AttemptRow, AttemptRecord>(
    db,
    {
      table: 'attempts',
      // The inbound face's attempts only (those of deliveries are dla_ rows of the same table).
      filter: (p) => [`team_id = ${p.add(teamId)}`, idOfKind('attempt'), ...(filter.eventId === undefined ? [] : [`event_id = ${p.add(filter.eventId)}`])],
    },
    page,
    toAttempt,
  );
}

export async function getAttempt(db: Db, teamId: string, id: string): Promise<AttemptRecord | null> {
  const row = await db.row<AttemptRow>('SELECT * FROM attempts WHERE id = $1 AND team_id = $2', [id, teamId]);
  return row === undefined ? null : toAttempt(row);
}
