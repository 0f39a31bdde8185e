/**
 * Sources: where inbound requests arrive. Names are unique per team. Deleting a source deletes its connections
 * and cancels their pending events; disabling it only makes ingest reject requests (events already accepted go on).
 */
import { SluiceError } from '../../domain/errors.js';
import type { Source } from '../../domain/model.js';
import type { NameFilter, Page, PageQuery, SourcePatch } from '../port.js';
import { nameConditions } from './nameFilter.js';
import { cancelConnectionEvents } from './holds.js';
import { listPage } from './pagination.js';
import { type SourceRow, toSource } from './rows.js';
import { SOURCE_KIND } from './kinds.js';
import { isUniqueViolation, type Sql, type SqlValue } from './sql.js';

// The inbound face sees its own sources only: a team's platform source (published events) is never shown.
const INBOUND = `kind = '${SOURCE_KIND.inbound}'`;

function nameConflict(name: string): SluiceError {
  return new SluiceError('CONFLICT', `A source named "${name}" already exists in this team. Choose another name, or update the existing source.`);
}

export function insertSource(sql: Sql, s: Source): void {
  try {
    sql.run(
      `INSERT INTO sources (id, team_id, name, description, config, disabled_at, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      s.id,
      s.teamId,
      s.name,
      s.description,
      JSON.stringify(s.config),
      s.disabledAt,
      s.createdAt,
      s.updatedAt,
    );
  } catch (error) {
    if (isUniqueViolation(error)) throw nameConflict(s.name);
    throw error;
  }
}

export function getSource(sql: Sql, teamId: string, id: string): Source | null {
  const row = sql.get<SourceRow>(`SELECT * FROM sources WHERE id = ? AND team_id = ? AND ${INBOUND}`, id, teamId);
  return row === undefined ? null : toSource(row);
}

export function getSourceForIngest(sql: Sql, id: string): Source | null {
  const row = sql.get<SourceRow>(`SELECT * FROM sources WHERE id = ? AND ${INBOUND}`, id);
  return row === undefined ? null : toSource(row);
}

export function listSources(sql: Sql, teamId: string, page: PageQuery, filter: NameFilter): Page<Source> {
  const where = ['team_id = ?', INBOUND];
  const params: SqlValue[] = [teamId];
  nameConditions(filter, where, params);
  return listPage<SourceRow, Source>(sql, { table: 'sources', where, params }, page, toSource);
}

export function updateSource(sql: Sql, teamId: string, id: string, patch: SourcePatch, now: number): Source | null {
  const current = getSource(sql, teamId, id);
  if (current === null) return null;
  const next: Source = {
    ...current,
    name: patch.name ?? current.name,
    description: patch.description === undefined ? current.description : patch.description,
    config: patch.config ?? current.config,
    updatedAt: now,
  };
  try {
    sql.run(
      'UPDATE sources SET name = ?, description = ?, config = ?, updated_at = ? WHERE id = ?',
      next.name,
      next.description,
      JSON.stringify(next.config),
      now,
      id,
    );
  } catch (error) {
    if (isUniqueViolation(error)) throw nameConflict(next.name);
    throw error;
  }
  return next;
}

export function setSourceDisabled(sql: Sql, teamId: string, id: string, disabledAt: number | null, now: number): Source | null {
  const current = getSource(sql, teamId, id);
  if (current === null || (current.disabledAt === null) === (disabledAt === null)) return current;
  sql.run('UPDATE sources SET disabled_at = ?, updated_at = ? WHERE id = ?', disabledAt, now, id);
  return { ...current, disabledAt, updatedAt: now };
}

export function deleteSource(sql: Sql, teamId: string, id: string, now: number): boolean {
  if (getSource(sql, teamId, id) === null) return false;
  for (const { id: connectionId } of sql.all<{ id: string }>('SELECT id FROM connections WHERE source_id = ?', id)) {
    cancelConnectionEvents(sql, connectionId, now);
  }
  sql.run('DELETE FROM connections WHERE source_id = ?', id);
  sql.run('DELETE FROM sources WHERE id = ?', id);
  return true;
}
