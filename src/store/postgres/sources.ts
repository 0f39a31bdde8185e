/**
 * Sources: where inbound requests arrive. Names are unique per team. Deleting a source deletes its connections
 * and cancels their pending events; disabling it only makes ingest reject requests (events already accepted go on).
 * Read-modify-write verbs lock the row they read (FOR UPDATE): unlike SQLite's single writer, two processes may
 * change the same source at once.
 */
import { SluiceError } from '../../domain/errors.js';
import type { Source } from '../../domain/model.js';
import type { NameFilter, Page, PageQuery, SourcePatch } from '../port.js';
import { type Db, isUniqueViolation } from './db.js';
import { cancelConnectionEvents, lockRoutesExclusive } from './holds.js';
import { listPage } from './pagination.js';
import { nameConditions } from './nameFilter.js';
import { SOURCE_KIND } from './kinds.js';
import { type SourceRow, toSource } from './rows.js';

// The inbound face sees its own sources only: a team's platform source (published events) is never shown.
const INBOUND = `kind = '${SOURCE_KIND.inbound}'`;

function nameConflict(name: string): SluiceError {
  return new SluiceError('CONFLICT', `A source named "${name}" already exists in this team. Choose another name, or update the existing source.`);
}

export async function insertSource(db: Db, s: Source): Promise<void> {
  try {
    await db.run(
      `INSERT INTO sources (id, team_id, name, description, config, disabled_at, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [s.id, s.teamId, s.name, s.description, JSON.stringify(s.config), s.disabledAt, s.createdAt, s.updatedAt],
    );
  } catch (error) {
    if (isUniqueViolation(error)) throw nameConflict(s.name);
    throw error;
  }
}

export async function getSource(db: Db, teamId: string, id: string, lock = false): Promise<Source | null> {
  const row = await db.row<SourceRow>(`SELECT * FROM sources WHERE id = $1 AND team_id = $2 AND ${INBOUND}${lock ? ' FOR UPDATE' : ''}`, [id, teamId]);
  return row === undefined ? null : toSource(row);
}

export async function getSourceForIngest(db: Db, id: string): Promise<Source | null> {
  const row = await db.row<SourceRow>(`SELECT * FROM sources WHERE id = $1 AND ${INBOUND}`, [id]);
  return row === undefined ? null : toSource(row);
}

export function listSources(db: Db, teamId: string, page: PageQuery, filter: NameFilter): Promise<Page<Source>> {
  return listPage<SourceRow, Source>(
    db,
    {
      table: 'sources',
      filter: (p) => [`team_id = ${p.add(teamId)}`, INBOUND, ...nameConditions(filter, p)],
    },
    page,
    toSource,
  );
}

export async function updateSource(db: Db, teamId: string, id: string, patch: SourcePatch, now: number): Promise<Source | null> {
  const current = await getSource(db, teamId, id, true);
  if (current === null) return null;
  const next: Source = {
    ...current,
    name: patch.name ?? current.name,
    description: patch.description === undefined ? current.description : patch.description,
    config: patch.config ?? current.config,
    updatedAt: now,
  };
  try {
    await db.run('UPDATE sources SET name = $1, description = $2, config = $3, updated_at = $4 WHERE id = $5', [
      next.name,
      next.description,
      JSON.stringify(next.config),
      now,
      id,
    ]);
  } catch (error) {
    if (isUniqueViolation(error)) throw nameConflict(next.name);
    throw error;
  }
  return next;
}

export async function setSourceDisabled(db: Db, teamId: string, id: string, disabledAt: number | null, now: number): Promise<Source | null> {
  const current = await getSource(db, teamId, id, true);
  if (current === null || (current.disabledAt === null) === (disabledAt === null)) return current;
  await db.run('UPDATE sources SET disabled_at = $1, updated_at = $2 WHERE id = $3', [disabledAt, now, id]);
  return { ...current, disabledAt, updatedAt: now };
}

export async function deleteSource(db: Db, teamId: string, id: string, now: number): Promise<boolean> {
  if ((await getSource(db, teamId, id, true)) === null) return false;
  const connections = (await db.rows<{ id: string }>('SELECT id FROM connections WHERE source_id = $1 ORDER BY id', [id])).map((r) => r.id);
  await lockRoutesExclusive(db, connections);
  for (const connectionId of connections) await cancelConnectionEvents(db, connectionId, now);
  await db.run('DELETE FROM connections WHERE source_id = $1', [id]);
  await db.run('DELETE FROM sources WHERE id = $1', [id]);
  return true;
}
