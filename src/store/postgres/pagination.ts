/**
 * Seed 003 cursor pagination, written once for every list (the same contract as the SQLite store's). Ids sort in
 * creation order under COLLATE "C" (the id columns' collation), so a list is ordered by id alone, a cursor is an id,
 * and each filter has an index ending in `id` (see the migrations and docs/postgres.md). In the list's order
 * (`desc` = newest first): `after=X` gives the items following X, `before=X` the items preceding X, nearest first
 * but returned in list order. `next` is the last model's id when items follow the page, `prev` the first model's
 * id when items precede it; both are null for an empty page. `totalCount` counts the filter's matches.
 */
import type { Page, PageQuery } from '../port.js';
import { type Db, Params, type SqlValue } from './db.js';

/**
 * What to list: a table, and the filter's conditions written against `p` (each value added through `p.add`, so
 * the placeholders are numbered in order).
 */
export interface ListSpec {
  table: string;
  filter: (p: Params) => string[];
}

function whereClause(conditions: string[]): string {
  return conditions.length === 0 ? '' : `WHERE ${conditions.join(' AND ')}`;
}

/** The filter's conditions with the extra ones `more` adds, and their values. */
function build(spec: ListSpec, more: (p: Params) => string[] = () => []): { where: string; values: SqlValue[] } {
  const p = new Params();
  const conditions = [...spec.filter(p), ...more(p)];
  return { where: whereClause(conditions), values: p.values };
}

export async function listPage<Row extends { id: string }, T>(
  db: Db,
  spec: ListSpec,
  page: PageQuery,
  toModel: (row: Row) => T,
): Promise<Page<T>> {
  const desc = page.orderDirection === 'desc';
  const later = desc ? '<' : '>'; // "id comes later in the list than $n"
  const earlier = desc ? '>' : '<';
  // With only `before`, the page is the `limit` items nearest before the cursor: read backwards, then reverse.
  const backwards = page.before !== undefined && page.after === undefined;
  const direction = desc !== backwards ? 'DESC' : 'ASC';
  const limit = Math.max(0, Math.floor(page.limit));

  let limitParam = '';
  const { where, values } = build(spec, (p) => {
    const cursors: string[] = [];
    if (page.after !== undefined) cursors.push(`id ${later} ${p.add(page.after)}`);
    if (page.before !== undefined) cursors.push(`id ${earlier} ${p.add(page.before)}`);
    limitParam = p.add(limit + 1);
    return cursors;
  });
  const rows = await db.rows<Row>(`SELECT * FROM ${spec.table} ${where} ORDER BY id ${direction} LIMIT ${limitParam}`, values);
  const more = rows.length > limit;
  if (more) rows.length = limit;
  if (backwards) rows.reverse();

  const exists = async (comparison: '<' | '>', id: string): Promise<boolean> => {
    const probe = build(spec, (p) => [`id ${comparison} ${p.add(id)}`]);
    // Nearest first: the scan of the id index starts at the cursor and stops at the first match. Without the ORDER
    // BY the planner may pick a sequential scan that "stops at the first match" too, but the newest rows sit at the
    // end of the heap, so it would read the whole table to reach them.
    const nearest = comparison === '>' ? 'ASC' : 'DESC';
    return (await db.row(`SELECT 1 FROM ${spec.table} ${probe.where} ORDER BY id ${nearest} LIMIT 1`, probe.values)) !== undefined;
  };
  const first = rows[0];
  const last = rows[rows.length - 1];
  let next: string | null = null;
  let prev: string | null = null;
  if (first !== undefined && last !== undefined) {
    const followed = backwards ? await exists(later, last.id) : more || (page.before !== undefined && (await exists(later, last.id)));
    const preceded = backwards ? more : page.after !== undefined && (await exists(earlier, first.id));
    next = followed ? last.id : null;
    prev = preceded ? first.id : null;
  }
  const counted = build(spec);
  const count = await db.row<{ n: number }>(`SELECT count(*) AS n FROM ${spec.table} ${counted.where}`, counted.values);
  return { models: rows.map(toModel), totalCount: count?.n ?? 0, next, prev };
}
