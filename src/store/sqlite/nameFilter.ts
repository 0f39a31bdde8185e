/**
 * The name conditions of the sources and destinations lists (NameFilter): an exact name reads the unique
 * (team_id, name) index; a contained text is matched case-insensitively over the team's rows (names are ASCII
 * letters, digits, _ and -, so lower() is exact), which at 10,000 names is a few milliseconds.
 */
import type { NameFilter } from '../port.js';
import type { SqlValue } from './sql.js';

export function nameConditions(filter: NameFilter, where: string[], params: SqlValue[]): void {
  if (filter.name !== undefined) {
    where.push('name = ?');
    params.push(filter.name);
  }
  if (filter.nameContains !== undefined) {
    where.push('instr(lower(name), ?) > 0');
    params.push(filter.nameContains.toLowerCase());
  }
}
