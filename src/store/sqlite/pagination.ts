/**
 * Seed 003 cursor pagination, written once for every list. Ids sort in creation order (src/domain/ids.ts), so a
 * list is ordered by id alone and a cursor is an id. In the list's order (`desc` = newest first): `after=X` gives
 * the items following X, `before=X` the items preceding X, nearest first but returned in list order. `next` is
 * the last model's id when items follow the page, `prev` the first model's id when items precede it; both are null
 * for an empty page. `totalCount` counts the filter's matches, ignoring the cursors.
 */
import type { Page, PageQuery } from '../port.js';
import type { Sql, SqlValue } from './sql.js';

/** What to list: a table, the filter's conditions (with `?` placeholders) and their values, in order. */
export interface ListSpec {
  table: string;
  where: string[];
  params: SqlValue[];
}

function whereClause(conditions: string[]): string {
  return conditions.length === 0 ? '' : `WHERE ${conditions.join(' AND ')}`;
}

export function listPage<Row extends { id: string }, T>(
  sql: Sql,
  spec: ListSpec,
  page: PageQuery,
  toModel: (row: Row) => T,
): Page<T> {
  const desc = page.orderDirection === 'desc';
  const later = desc ? '<' : '>'; // "id comes later in the list than ?"
  const earlier = desc ? '>' : '<';
  const conditions = [...spec.where];
  const params = [...spec.params];
  if (page.after !== undefined) {
    conditions.push(`id ${later} ?`);
    params.push(page.after);
  }
  if (page.before !== undefined) {
    conditions.push(`id ${earlier} ?`);
    params.push(page.before);
  }
  // With only `before`, the page is the `limit` items nearest before the cursor: read backwards, then reverse.
  const backwards = page.before !== undefined && page.after === undefined;
  const direction = desc !== backwards ? 'DESC' : 'ASC';
  const limit = Math.max(0, Math.floor(page.limit));
  const rows = sql.all<Row>(
    `SELECT * FROM ${spec.table} ${whereClause(conditions)} ORDER BY id ${direction} LIMIT ?`,
    ...params,
    limit + 1,
  );
  const more = rows.length > limit;
  if (more) rows.length = limit;
  if (backwards) rows.reverse();

  const exists = (comparison: string, id: string): boolean =>
    sql.get(`SELECT 1 FROM ${spec.table} ${whereClause([...spec.where, `id ${comparison} ?`])} LIMIT 1`, ...spec.params, id) !==
    undefined;
  const first = rows[0];
  const last = rows[rows.length - 1];
  let next: string | null = null;
  let prev: string | null = null;
  if (first !== undefined && last !== undefined) {
    const followed = backwards ? exists(later, last.id) : more || (page.before !== undefined && exists(later, last.id));
    const preceded = backwards ? more : page.after !== undefined && exists(earlier, first.id);
    next = followed ? last.id : null;
    prev = preceded ? first.id : null;
  }
  const count = sql.get<{ n: number }>(`SELECT count(*) AS n FROM ${spec.table} ${whereClause(spec.where)}`, ...spec.params);
  return { models: rows.map(toModel), totalCount: count?.n ?? 0, next, prev };
}
