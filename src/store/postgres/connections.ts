/**
 * Connections: a source routed to a destination with rules. Names are unique per team and source. Pausing or
 * disabling holds the connection's pending events; undoing it releases them (trigger UNPAUSE) once the connection
 * is neither paused nor disabled and its destination is enabled. Deleting cancels its pending events. State
 * changes take the connection's route lock (holds.ts) before reading it.
 */
import { notFound, SluiceError } from '../../domain/errors.js';
import type { Connection } from '../../domain/model.js';
import type { ConnectionPatch, Page, PageQuery } from '../port.js';
import { type Db, isForeignKeyViolation, isUniqueViolation } from './db.js';
import { cancelConnectionEvents, holdConnectionEvents, lockRoutesExclusive, releaseConnectionEvents } from './holds.js';
import { listPage } from './pagination.js';
import { CONNECTION_KIND, DESTINATION_KIND, SOURCE_KIND } from './kinds.js';
import { type ConnectionRow, toConnection } from './rows.js';
import type { Tx } from './writer.js';

// The inbound face sees its own connections only: event destinations' routes (subscriptions) are never shown.
const INBOUND = `kind = '${CONNECTION_KIND.inbound}'`;

function nameConflict(name: string): SluiceError {
  return new SluiceError(
    'CONFLICT',
    `A connection named "${name}" already exists on this source. Choose another name, or update the existing connection.`,
  );
}

export async function insertConnection(db: Db, c: Connection): Promise<void> {
  // Both ends must be the team's own: a connection must never route one team's requests to another's destination.
  const source = `SELECT 1 FROM sources WHERE id = $1 AND team_id = $2 AND kind = '${SOURCE_KIND.inbound}'`;
  if ((await db.row(source, [c.sourceId, c.teamId])) === undefined) throw notFound('source', c.sourceId);
  const destination = `SELECT 1 FROM destinations WHERE id = $1 AND team_id = $2 AND kind = '${DESTINATION_KIND.inbound}'`;
  if ((await db.row(destination, [c.destinationId, c.teamId])) === undefined) {
    throw notFound('destination', c.destinationId);
  }
  try {
    await db.run(
      `INSERT INTO connections (id, team_id, name, description, source_id, destination_id, rules, paused_at, disabled_at, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
      [c.id, c.teamId, c.name, c.description, c.sourceId, c.destinationId, JSON.stringify(c.rules), c.pausedAt, c.disabledAt, c.createdAt, c.updatedAt],
    );
  } catch (error) {
    if (isUniqueViolation(error)) throw nameConflict(c.name);
    // The source or destination was deleted by a concurrent writer after the checks above.
    if (isForeignKeyViolation(error)) {
      const constraint = (error as { constraint?: string }).constraint ?? '';
      throw constraint.includes('destination') ? notFound('destination', c.destinationId) : notFound('source', c.sourceId);
    }
    throw error;
  }
}

export async function getConnection(db: Db, teamId: string, id: string, lock = false): Promise<Connection | null> {
  const row = await db.row<ConnectionRow>(`SELECT * FROM connections WHERE id = $1 AND team_id = $2 AND ${INBOUND}${lock ? ' FOR UPDATE' : ''}`, [id, teamId]);
  return row === undefined ? null : toConnection(row);
}

export async function getConnectionForIngest(db: Db, id: string): Promise<Connection | null> {
  const row = await db.row<ConnectionRow>(`SELECT * FROM connections WHERE id = $1 AND ${INBOUND}`, [id]);
  return row === undefined ? null : toConnection(row);
}

export function listConnections(
  db: Db,
  teamId: string,
  page: PageQuery,
  filter: { sourceId?: string; destinationId?: string; name?: string },
): Promise<Page<Connection>> {
  return listPage<ConnectionRow, Connection>(
    db,
    {
      table: 'connections',
      filter: (p) => {
        const where = [`team_id = ${p.add(teamId)}`, INBOUND];
        if (filter.sourceId !== undefined) where.push(`source_id = ${p.add(filter.sourceId)}`);
        if (filter.destinationId !== undefined) where.push(`destination_id = ${p.add(filter.destinationId)}`);
        if (filter.name !== undefined) where.push(`name = ${p.add(filter.name)}`);
        return where;
      },
    },
    page,
    toConnection,
  );
}

export async function updateConnection(db: Db, teamId: string, id: string, patch: ConnectionPatch, now: number): Promise<Connection | null> {
  const current = await getConnection(db, teamId, id, true);
  if (current === null) return null;
  const next: Connection = {
    ...current,
    name: patch.name ?? current.name,
    description: patch.description === undefined ? current.description : patch.description,
    rules: patch.rules ?? current.rules,
    updatedAt: now,
  };
  try {
    await db.run('UPDATE connections SET name = $1, description = $2, rules = $3, updated_at = $4 WHERE id = $5', [
      next.name,
      next.description,
      JSON.stringify(next.rules),
      now,
      id,
    ]);
  } catch (error) {
    if (isUniqueViolation(error)) throw nameConflict(next.name);
    throw error;
  }
  return next;
}

/** Sets paused_at or disabled_at; holds or releases the events when the state really changes. */
async function setState(
  tx: Tx,
  teamId: string,
  id: string,
  column: 'paused_at' | 'disabled_at',
  at: number | null,
  now: number,
): Promise<Connection | null> {
  await lockRoutesExclusive(tx.db, [id]);
  const current = await getConnection(tx.db, teamId, id, true);
  if (current === null) return null;
  const was = column === 'paused_at' ? current.pausedAt : current.disabledAt;
  if ((was === null) === (at === null)) return current;
  await tx.db.run(`UPDATE connections SET ${column} = $1, updated_at = $2 WHERE id = $3`, [at, now, id]);
  if (at !== null) await holdConnectionEvents(tx.db, id, now);
  else await releaseConnectionEvents(tx, id, now);
  return column === 'paused_at' ? { ...current, pausedAt: at, updatedAt: now } : { ...current, disabledAt: at, updatedAt: now };
}

export function setConnectionPaused(tx: Tx, teamId: string, id: string, pausedAt: number | null, now: number): Promise<Connection | null> {
  return setState(tx, teamId, id, 'paused_at', pausedAt, now);
}

export function setConnectionDisabled(tx: Tx, teamId: string, id: string, disabledAt: number | null, now: number): Promise<Connection | null> {
  return setState(tx, teamId, id, 'disabled_at', disabledAt, now);
}

export async function deleteConnection(db: Db, teamId: string, id: string, now: number): Promise<boolean> {
  await lockRoutesExclusive(db, [id]);
  if ((await getConnection(db, teamId, id, true)) === null) return false;
  await cancelConnectionEvents(db, id, now);
  await db.run('DELETE FROM connections WHERE id = $1', [id]);
  return true;
}

export async function listActiveConnectionsOfSource(db: Db, sourceId: string): Promise<Connection[]> {
  return (
    await db.rows<ConnectionRow>(
      `SELECT c.* FROM connections c JOIN destinations d ON d.id = c.destination_id
       WHERE c.source_id = $1 AND c.${INBOUND} AND c.disabled_at IS NULL AND d.disabled_at IS NULL ORDER BY c.id`,
      [sourceId],
    )
  ).map(toConnection);
}
