/**
 * Requests (the inbound messages) as the API inspects them, scoped by team.
 */
import { idFloorAt } from '../../domain/ids.js';
import type { RequestRecord } from '../../domain/model.js';
import type { Page, PageQuery, RequestFilter } from '../port.js';
import type { Db } from './db.js';
import { idOfKind } from './kinds.js';
import { listPage } from './pagination.js';
import { type RequestRow, toRequest } from './rows.js';

export function listRequests(db: Db, teamId: string, filter: RequestFilter, page: PageQuery): Promise<Page<RequestRecord>> {
  return listPage<RequestRow, RequestRecord>(
    db,
    {
      table: 'requests',
      filter: (p) => {
        // Inbound requests only (published events are evt_ rows of the same table).
        const where = [`team_id = ${p.add(teamId)}`, idOfKind('request')];
        if (filter.sourceId !== undefined) where.push(`source_id = ${p.add(filter.sourceId)}`);
        if (filter.rejectionCause !== undefined) where.push(`rejection_cause = ANY(${p.add(filter.rejectionCause)}::text[])`);
        if (filter.createdAfter !== undefined) where.push(`created_at >= ${p.add(filter.createdAfter)}`);
        if (filter.createdBefore !== undefined) where.push(`created_at < ${p.add(filter.createdBefore)}`);
        // The same bounds on the id (it begins with the creation time): the index reads only the range, and
        // partitions outside it are pruned.
        if (filter.createdAfter !== undefined) where.push(`id >= ${p.add(idFloorAt('request', filter.createdAfter))}`);
        if (filter.createdBefore !== undefined) where.push(`id < ${p.add(idFloorAt('request', filter.createdBefore))}`);
        return where;
      },
    },
    page,
    toRequest,
  );
}

export async function getRequest(db: Db, teamId: string, id: string): Promise<RequestRecord | null> {
  const row = await db.row<RequestRow>('SELECT * FROM requests WHERE id = $1 AND team_id = $2', [id, teamId]);
  return row === undefined ? null : toRequest(row);
}
