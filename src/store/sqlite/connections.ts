/**
 * Connections: a source routed to a destination with rules. Names are unique per team and source. Pausing or
 * disabling holds the connection's pending events; undoing it releases them (trigger UNPAUSE) once the connection
 * is neither paused nor disabled and its destination is enabled. Deleting cancels its pending events.
 */
import { notFound, SluiceError } from '../../domain/errors.js';
import type { Connection } from '../../domain/model.js';
import type { ConnectionPatch, Page, PageQuery } from '../port.js';
import { cancelConnectionEvents, holdConnectionEvents, releaseConnectionEvents } from './holds.js';
import { listPage } from './pagination.js';
import { type ConnectionRow, toConnection } from './rows.js';
import { CONNECTION_KIND, DESTINATION_KIND, SOURCE_KIND } from './kinds.js';
import { isUniqueViolation, type Sql, type SqlValue } from './sql.js';

// The inbound face sees its own connections only: event destinations' routes (subscriptions) are never shown.
const INBOUND = `kind = '${CONNECTION_KIND.inbound}'`;

function nameConflict(name: string): SluiceError {
  return new SluiceError(
    'CONFLICT',
    `A connection named "${name}" already exists on this source. Choose another name, or update the existing connection.`,
  );
}

export function insertConnection(sql: Sql, c: Connection): void {
  // Both ends must be the team's own: a connection must never route one team's requests to another's destination.
  if (sql.get(`SELECT 1 FROM sources WHERE id = ? AND team_id = ? AND kind = '${SOURCE_KIND.inbound}'`, c.sourceId, c.teamId) === undefined) {
    throw notFound('source', c.sourceId);
  }
  if (sql.get(`SELECT 1 FROM destinations WHERE id = ? AND team_id = ? AND kind = '${DESTINATION_KIND.inbound}'`, c.destinationId, c.teamId) === undefined) {
    throw notFound('destination', c.destinationId);
  }
  try {
    sql.run(
      `INSERT INTO connections (id, team_id, name, description, source_id, destination_id, rules, paused_at, disabled_at, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      c.id,
      c.teamId,
      c.name,
      c.description,
      c.sourceId,
      c.destinationId,
      JSON.stringify(c.rules),
      c.pausedAt,
      c.disabledAt,
      c.createdAt,
      c.updatedAt,
    );
  } catch (error) {
    if (isUniqueViolation(error)) throw nameConflict(c.name);
    throw error;
  }
}

export function getConnection(sql: Sql, teamId: string, id: string): Connection | null {
  const row = sql.get<ConnectionRow>(`SELECT * FROM connections WHERE id = ? AND team_id = ? AND ${INBOUND}`, id, teamId);
  return row === undefined ? null : toConnection(row);
}

export function getConnectionForIngest(sql: Sql, id: string): Connection | null {
  const row = sql.get<ConnectionRow>(`SELECT * FROM connections WHERE id = ? AND ${INBOUND}`, id);
  return row === undefined ? null : toConnection(row);
}

export function listConnections(
  sql: Sql,
  teamId: string,
  page: PageQuery,
  filter: { sourceId?: string; destinationId?: string; name?: string },
): Page<Connection> {
  const where = ['team_id = ?', INBOUND];
  const params: SqlValue[] = [teamId];
  const add = (condition: string, value: string | undefined): void => {
    if (value === undefined) return;
    where.push(condition);
    params.push(value);
  };
  add('source_id = ?', filter.sourceId);
  add('destination_id = ?', filter.destinationId);
  add('name = ?', filter.name);
  return listPage<ConnectionRow, Connection>(sql, { table: 'connections', where, params }, page, toConnection);
}

export function updateConnection(sql: Sql, teamId: string, id: string, patch: ConnectionPatch, now: number): Connection | null {
  const current = getConnection(sql, teamId, id);
  if (current === null) return null;
  const next: Connection = {
    ...current,
    name: patch.name ?? current.name,
    description: patch.description === undefined ? current.description : patch.description,
    rules: patch.rules ?? current.rules,
    updatedAt: now,
  };
  try {
    sql.run(
      'UPDATE connections SET name = ?, description = ?, rules = ?, updated_at = ? WHERE id = ?',
      next.name,
      next.description,
      JSON.stringify(next.rules),
      now,
      id,
    );
  } catch (error) {
    if (isUniqueViolation(error)) throw nameConflict(next.name);
    throw error;
  }
  return next;
}

/** Sets paused_at or disabled_at; holds or releases the events when the state really changes. */
function setState(
  sql: Sql,
  teamId: string,
  id: string,
  column: 'paused_at' | 'disabled_at',
  at: number | null,
  now: number,
): Connection | null {
  const current = getConnection(sql, teamId, id);
  if (current === null) return null;
  const was = column === 'paused_at' ? current.pausedAt : current.disabledAt;
  if ((was === null) === (at === null)) return current;
  sql.run(`UPDATE connections SET ${column} = ?, updated_at = ? WHERE id = ?`, at, now, id);
  if (at !== null) holdConnectionEvents(sql, id, now);
  else releaseConnectionEvents(sql, id, now);
  return column === 'paused_at' ? { ...current, pausedAt: at, updatedAt: now } : { ...current, disabledAt: at, updatedAt: now };
}

export function setConnectionPaused(sql: Sql, teamId: string, id: string, pausedAt: number | null, now: number): Connection | null {
  return setState(sql, teamId, id, 'paused_at', pausedAt, now);
}

export function setConnectionDisabled(sql: Sql, teamId: string, id: string, disabledAt: number | null, now: number): Connection | null {
  return setState(sql, teamId, id, 'disabled_at', disabledAt, now);
}

export function deleteConnection(sql: Sql, teamId: string, id: string, now: number): boolean {
  if (getConnection(sql, teamId, id) === null) return false;
  cancelConnectionEvents(sql, id, now);
  sql.run('DELETE FROM connections WHERE id = ?', id);
  return true;
}

export function listActiveConnectionsOfSource(sql: Sql, sourceId: string): Connection[] {
  return sql
    .all<ConnectionRow>(
      `SELECT c.* FROM connections c JOIN destinations d ON d.id = c.destination_id
       WHERE c.source_id = ? AND c.${INBOUND} AND c.disabled_at IS NULL AND d.disabled_at IS NULL ORDER BY c.id`,
      sourceId,
    )
    .map(toConnection);
}
