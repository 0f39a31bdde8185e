/**
 * Destinations: where events go. Names are unique per team. The `concurrency` column mirrors the config's
 * `rate_limit` when its period is `concurrent`, so the claim query reads the cap without parsing JSON; `rate_limit`
 * and `rate_period_ms` mirror it when the period is a time (second|minute|hour), for the same reason. Disabling
 * holds the destination's pending events; enabling releases those of its active connections.
 */
import { timeRateLimitColumns } from '../../domain/destinationRateLimit.js';
import { SluiceError } from '../../domain/errors.js';
import type { Destination } from '../../domain/model.js';
import type { DestinationPatch, NameFilter, Page, PageQuery } from '../port.js';
import { nameConditions } from './nameFilter.js';
import { holdDestinationEvents, releaseDestinationEvents } from './holds.js';
import { listPage } from './pagination.js';
import { forgetBlockedUntil } from './rateBuckets.js';
import { type DestinationRow, toDestination } from './rows.js';
import { DESTINATION_KIND } from './kinds.js';
import { isUniqueViolation, type Sql, type SqlValue } from './sql.js';

// The inbound face sees its own destinations only; event destinations have their own verbs (eventDestinations.ts).
const INBOUND = `kind = '${DESTINATION_KIND.inbound}'`;

function nameConflict(name: string): SluiceError {
  return new SluiceError('CONFLICT', `A destination named "${name}" already exists in this team. Choose another name, or update the existing destination.`);
}

/** The per-destination cap of concurrent attempts, or null for the gateway default. */
export function concurrencyOf(config: Destination['config']): number | null {
  return config.rate_limit_period === 'concurrent' ? (config.rate_limit ?? null) : null;
}

export function insertDestination(sql: Sql, d: Destination): void {
  const timeLimit = timeRateLimitColumns(d.config);
  try {
    sql.run(
      `INSERT INTO destinations (id, team_id, name, description, type, config, concurrency, rate_limit, rate_period_ms, disabled_at, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
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
    );
  } catch (error) {
    if (isUniqueViolation(error)) throw nameConflict(d.name);
    throw error;
  }
}

export function getDestination(sql: Sql, teamId: string, id: string): Destination | null {
  const row = sql.get<DestinationRow>(`SELECT * FROM destinations WHERE id = ? AND team_id = ? AND ${INBOUND}`, id, teamId);
  return row === undefined ? null : toDestination(row);
}

export function listDestinations(sql: Sql, teamId: string, page: PageQuery, filter: NameFilter): Page<Destination> {
  const where = ['team_id = ?', INBOUND];
  const params: SqlValue[] = [teamId];
  nameConditions(filter, where, params);
  return listPage<DestinationRow, Destination>(sql, { table: 'destinations', where, params }, page, toDestination);
}

export function updateDestination(sql: Sql, teamId: string, id: string, patch: DestinationPatch, now: number): Destination | null {
  const current = getDestination(sql, teamId, id);
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
    sql.run(
      'UPDATE destinations SET name = ?, description = ?, config = ?, concurrency = ?, rate_limit = ?, rate_period_ms = ?, updated_at = ? WHERE id = ?',
      next.name,
      next.description,
      JSON.stringify(next.config),
      concurrencyOf(next.config),
      timeLimit.rateLimit,
      timeLimit.ratePeriodMs,
      now,
      id,
    );
  } catch (error) {
    if (isUniqueViolation(error)) throw nameConflict(next.name);
    throw error;
  }
  const before = timeRateLimitColumns(current.config);
  if (timeLimit.rateLimit !== before.rateLimit || timeLimit.ratePeriodMs !== before.ratePeriodMs) forgetBlockedUntil(sql, id, timeLimit.rateLimit !== null);
  return next;
}

export function setDestinationDisabled(
  sql: Sql,
  teamId: string,
  id: string,
  disabledAt: number | null,
  now: number,
): Destination | null {
  const current = getDestination(sql, teamId, id);
  if (current === null || (current.disabledAt === null) === (disabledAt === null)) return current;
  sql.run('UPDATE destinations SET disabled_at = ?, updated_at = ? WHERE id = ?', disabledAt, now, id);
  if (disabledAt !== null) holdDestinationEvents(sql, id, now);
  else releaseDestinationEvents(sql, id, now);
  return { ...current, disabledAt, updatedAt: now };
}

export function deleteDestination(sql: Sql, teamId: string, id: string): 'deleted' | 'not_found' | 'in_use' {
  if (getDestination(sql, teamId, id) === null) return 'not_found';
  if (sql.get('SELECT 1 FROM connections WHERE destination_id = ? LIMIT 1', id) !== undefined) return 'in_use';
  sql.run('DELETE FROM destinations WHERE id = ?', id);
  return 'deleted';
}
