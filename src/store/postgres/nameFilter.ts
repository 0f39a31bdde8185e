/**
 * The name conditions of the sources and destinations lists (NameFilter), as the SQLite store's: an exact name
 * reads the unique (team_id, name) index; a contained text is matched case-insensitively over the team's rows
 * (strpos, not LIKE, so `_` and `%` in the text are plain characters).
 */
import type { NameFilter } from '../port.js';
import type { Params } from './db.js';

export function nameConditions(filter: NameFilter, p: Params): string[] {
  const conditions: string[] = [];
  if (filter.name !== undefined) conditions.push(`name = ${p.add(filter.name)}`);
  if (filter.nameContains !== undefined) conditions.push(`strpos(lower(name), ${p.add(filter.nameContains.toLowerCase())}) > 0`);
  return conditions;
}
