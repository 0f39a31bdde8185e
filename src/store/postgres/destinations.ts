/**
 * Destinations: where events go. Names are unique per team. The `concurrency` column mirrors the config's
 * `rate_limit` when its period is `concurrent`, so the claim reads the cap without parsing JSON (`rate_limit` and
 * `rate_period_ms` mirror it when the period is a time: second|minute|hour). Disabling holds
 * the destination's pending events; enabling releases those of its active connections (and wakes the workers).
 * A state change takes the destination's route lock (holds.ts) before it reads the row, then locks the row.
 */
import { timeRateLimitColumns } from '../../domain/destinationRateLimit.js';
import { SluiceError } from '../../domain/errors.js';
import type { Destination } from '../../domain/model.js';
import type { DestinationPatch, NameFilter, Page, PageQuery } from '../port.js';
import { nameConditions } from './nameFilter.js';
import { type Db, isUniqueViolation } from './db.js';
import { holdDestinationEvents, lockRoutesExclusive, releaseDestinationEvents } from './holds.js';
import { listPage } from './pagination.js';
import { forgetBlockedUntil } from './rateBuckets.js';
import { DESTINATION_KIND } from './kinds.js';
import { type DestinationRow, toDestination } from './rows.js';
import type { Tx } from './writer.js';

// The inbound face sees its own destinations only; event destinations have their own verbs (eventDestinations.ts).
const INBOUND = `kind = '${DESTINATION_KIND.inbound}'`;

function nameConflict(name: string): SluiceError {
  return new SluiceError('CONFLICT', `A destination named "${name}" already exists in this team. Choose another name, or update the existing destination.`);
}

/** The per-destination cap of concurrent attempts, or null for the gateway default. */
export function concurrencyOf(config: Destination['config']): number | null {
  return config.rate_limit_period === 'concurrent' ? (config.rate_limit ?? null) : null;
}

export async function insertDestination(db: Db, d: Destination): Promise<void> {
  const timeLimit = timeRateLimitColumns(d.config);
  try {
    await db.run(
      `INSERT INTO destinations (id, team_id, name, description, type, config, concurrency, rate_limit, rate_period_ms, disabled_at, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
      [
        d.id,
        d.teamId,
        d.name,
        d.description,
        d.type,
        JSON.stringify(d.config),
        concurrencyOf(d.config),
        timeLimit.rateLimit,
        timeLimit.ratePeriodMs,
        d.disabledAt,
        d.createdAt,
        d.updatedAt,
      ],
    );
  } catch (error) {
    if (isUniqueViolation(error)) throw nameConflict(d.name);
    throw error;
  }
}

export async function getDestination(db: Db, teamId: string, id: string, lock = false): Promise<Destination | null> {
  const row = await db.row<DestinationRow>(`SELECT * FROM destinations WHERE id = $1 AND team_id = $2 AND ${INBOUND}${lock ? ' FOR UPDATE' : ''}`, [id, teamId]);
  return row === undefined ? null : toDestination(row);
}

export function listDestinations(db: Db, teamId: string, page: PageQuery, filter: NameFilter): Promise<Page<Destination>> {
  return listPage<DestinationRow, Destination>(
    db,
    {
      table: 'destinations',
      filter: (p) => [`team_id = ${p.add(teamId)}`, INBOUND, ...nameConditions(filter, p)],
    },
    page,
    toDestination,
  );
}

export async function updateDestination(db: Db, teamId: string, id: string, patch: DestinationPatch, now: number): Promise<Destination | null> {
  const current = await getDestination(db, teamId, id, true);
  if (current === null) return null;
  const next: Destination = {
    ...current,
    name: patch.name ?? current.name,
    description: patch.description === undefined ? current.description : patch.description,
    config: patch.config ?? current.config,
    updatedAt: now,
  };
  const timeLimit = timeRateLimitColumns(next.config);
  try {
    await db.run(
      'UPDATE destinations SET name = $1, description = $2, config = $3, concurrency = $4, rate_limit = $5, rate_period_ms = $6, updated_at = $7 WHERE id = $8',
      [
        next.name,
        next.description,
        JSON.stringify(next.config),
        concurrencyOf(next.config),
        timeLimit.rateLimit,
        timeLimit.ratePeriodMs,
        now,
        id,
      ],
    );
  } catch (error) {
    if (isUniqueViolation(error)) throw nameConflict(next.name);
    throw error;
  }
  const before = timeRateLimitColumns(current.config);
  if (timeLimit.rateLimit !== before.rateLimit || timeLimit.ratePeriodMs !== before.ratePeriodMs) await forgetBlockedUntil(db, id, timeLimit.rateLimit !== null);
  return next;
}

export async function setDestinationDisabled(
  tx: Tx,
  teamId: string,
  id: string,
  disabledAt: number | null,
  now: number,
): Promise<Destination | null> {
  await lockRoutesExclusive(tx.db, [id]);
  const current = await getDestination(tx.db, teamId, id, true);
  if (current === null || (current.disabledAt === null) === (disabledAt === null)) return current;
  await tx.db.run('UPDATE destinations SET disabled_at = $1, updated_at = $2 WHERE id = $3', [disabledAt, now, id]);
  if (disabledAt !== null) await holdDestinationEvents(tx.db, id, now);
  else await releaseDestinationEvents(tx, id, now);
  return { ...current, disabledAt, updatedAt: now };
}

export async function deleteDestination(db: Db, teamId: string, id: string): Promise<'deleted' | 'not_found' | 'in_use'> {
  if ((await getDestination(db, teamId, id, true)) === null) return 'not_found';
  if ((await db.row('SELECT 1 FROM connections WHERE destination_id = $1 LIMIT 1', [id])) !== undefined) return 'in_use';
  await db.run('DELETE FROM destinations WHERE id = $1', [id]);
  return 'deleted';
}
