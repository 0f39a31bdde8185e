/**
 * Event destinations (outbound face): destinations of kind 'event_destination', each with its route, an implicit
 * connection (kind 'subscription') from the team's platform source. The route is what lets the engine treat a
 * delivery exactly like an inbound event (claim, retry rule, hold on disable); it has no state of its own.
 *
 * `name` holds an internal unique token (the user's name, which need not be unique, is `display_name`), so that
 * these rows never collide with the inbound face's unique destination names.
 */
import { newId } from '../../domain/ids.js';
import { eventDestinationTimeout, type Destination, type Rule } from '../../domain/model.js';
import type { EventDestinationFilter, EventDestinationPatch, OutboundRoute, Page, PageQuery } from '../port.js';
import { cancelConnectionEvents, holdDestinationEvents, releaseDestinationEvents } from './holds.js';
import { CONNECTION_KIND, DESTINATION_KIND, SOURCE_KIND } from './kinds.js';
import { listPage } from './pagination.js';
import { type DestinationRow, toDestination } from './rows.js';
import { jsonList, type Sql, type SqlValue } from './sql.js';

const KIND = `kind = '${DESTINATION_KIND.event}'`;

/** The team's platform source (published events belong to it), created on first use. */
export function platformSourceId(sql: Sql, teamId: string, now: number): string {
  const existing = sql.get<{ id: string }>(`SELECT id FROM sources WHERE team_id = ? AND kind = '${SOURCE_KIND.platform}'`, teamId);
  if (existing !== undefined) return existing.id;
  const id = newId('platformSource', now);
  // The name cannot be an inbound source name (those never contain ':'), so it never takes one from a user.
  sql.run(
    `INSERT INTO sources (id, team_id, name, description, config, disabled_at, created_at, updated_at, kind)
     VALUES (?, ?, 'platform:events', 'Published events (/v2/events)', ?, NULL, ?, ?, '${SOURCE_KIND.platform}')`,
    id,
    teamId,
    JSON.stringify({ allowed_http_methods: [], custom_response: null }),
    now,
    now,
  );
  return id;
}

function requireOutbound(d: Destination): NonNullable<Destination['outbound']> {
  if (d.outbound === undefined) throw new Error('An event destination needs its outbound fields.');
  return d.outbound;
}

export function insertEventDestination(sql: Sql, d: Destination, route: { id: string; rules: Rule[] }): void {
  const outbound = requireOutbound(d);
  const sourceId = platformSourceId(sql, d.teamId, d.createdAt);
  sql.run(
    `INSERT INTO destinations (id, team_id, name, description, type, config, concurrency, disabled_at, created_at, updated_at,
       kind, display_name, credentials, subscription, consecutive_failures, timeout_ms)
     VALUES (?, ?, ?, ?, ?, ?, NULL, ?, ?, ?, '${DESTINATION_KIND.event}', ?, ?, ?, 0, ?)`,
    d.id,
    d.teamId,
    `event_destination:${d.id}`,
    d.description,
    d.type,
    JSON.stringify(outbound.config),
    d.disabledAt,
    d.createdAt,
    d.updatedAt,
    outbound.displayName,
    outbound.credentials,
    JSON.stringify(outbound.subscription),
    eventDestinationTimeout(d),
  );
  sql.run(
    `INSERT INTO connections (id, team_id, name, description, source_id, destination_id, rules, paused_at, disabled_at, created_at, updated_at, kind)
     VALUES (?, ?, ?, NULL, ?, ?, ?, NULL, NULL, ?, ?, '${CONNECTION_KIND.subscription}')`,
    route.id,
    d.teamId,
    `subscription:${d.id}`,
    sourceId,
    d.id,
    JSON.stringify(route.rules),
    d.createdAt,
    d.createdAt,
  );
}

export function getEventDestination(sql: Sql, teamId: string, id: string): Destination | null {
  const row = sql.get<DestinationRow>(`SELECT * FROM destinations WHERE id = ? AND team_id = ? AND ${KIND}`, id, teamId);
  return row === undefined ? null : toDestination(row);
}

export function listEventDestinations(sql: Sql, teamId: string, filter: EventDestinationFilter, page: PageQuery): Page<Destination> {
  const where = ['team_id = ?', KIND];
  const params: SqlValue[] = [teamId];
  if (filter.type !== undefined) {
    where.push('type IN (SELECT value FROM json_each(?))');
    params.push(jsonList(filter.type));
  }
  if (filter.status === 'active') where.push('disabled_at IS NULL');
  if (filter.status === 'inactive') where.push('disabled_at IS NOT NULL');
  return listPage<DestinationRow, Destination>(sql, { table: 'destinations', where, params }, page, toDestination);
}

/** Sets `disabled_at` (or clears it, with the failure counter) and holds or releases the pending deliveries. */
export function setEventDestinationDisabled(sql: Sql, id: string, disabled: boolean, now: number): void {
  if (disabled) {
    if (sql.run('UPDATE destinations SET disabled_at = ?, updated_at = ? WHERE id = ? AND disabled_at IS NULL', now, now, id) > 0) {
      holdDestinationEvents(sql, id, now);
    }
    return;
  }
  // Enabling starts the count afresh: otherwise the next failure would disable it again at once.
  if (sql.run('UPDATE destinations SET disabled_at = NULL, consecutive_failures = 0, updated_at = ? WHERE id = ? AND disabled_at IS NOT NULL', now, id) > 0) {
    releaseDestinationEvents(sql, id, now);
  }
}

export function updateEventDestination(sql: Sql, teamId: string, id: string, patch: EventDestinationPatch, now: number): Destination | null {
  const current = getEventDestination(sql, teamId, id);
  if (current === null) return null;
  const outbound = requireOutbound(current);
  sql.run(
    'UPDATE destinations SET display_name = ?, config = ?, credentials = ?, subscription = ?, timeout_ms = ?, updated_at = ? WHERE id = ?',
    patch.displayName ?? outbound.displayName,
    JSON.stringify(patch.config ?? outbound.config),
    patch.credentials !== undefined ? patch.credentials : outbound.credentials,
    JSON.stringify(patch.subscription ?? outbound.subscription),
    patch.timeoutMs !== undefined ? patch.timeoutMs : eventDestinationTimeout(current),
    now,
    id,
  );
  if (patch.disabled !== undefined) setEventDestinationDisabled(sql, id, patch.disabled, now);
  return getEventDestination(sql, teamId, id);
}

export function deleteEventDestination(sql: Sql, teamId: string, id: string, now: number): boolean {
  if (getEventDestination(sql, teamId, id) === null) return false;
  const routes = sql.all<{ id: string }>(`SELECT id FROM connections WHERE destination_id = ? AND kind = '${CONNECTION_KIND.subscription}'`, id);
  for (const route of routes) {
    cancelConnectionEvents(sql, route.id, now);
    sql.run('DELETE FROM connections WHERE id = ?', route.id);
  }
  sql.run('DELETE FROM destinations WHERE id = ?', id);
  return true;
}

export function listOutboundRoutes(sql: Sql, teamId: string): OutboundRoute[] {
  return sql
    .all<{ destination_id: string; connection_id: string; subscription: string | null }>(
      `SELECT d.id AS destination_id, c.id AS connection_id, d.subscription AS subscription
       FROM destinations d JOIN connections c ON c.destination_id = d.id AND c.kind = '${CONNECTION_KIND.subscription}'
       WHERE d.team_id = ? AND d.${KIND} AND d.disabled_at IS NULL ORDER BY d.id`,
      teamId,
    )
    .map((row) => ({ destinationId: row.destination_id, connectionId: row.connection_id, subscription: JSON.parse(row.subscription ?? '[]') as string[] }));
}
