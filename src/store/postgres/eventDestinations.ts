/**
 * Event destinations (outbound face): destinations of kind 'event_destination', each with its route, an implicit
 * connection (kind 'subscription') from the team's platform source (the same model as the SQLite store). The
 * route lets the engine treat a delivery exactly like an inbound event (claim, retry rule, hold on disable).
 *
 * As for the inbound face, a change of an event destination's state takes its route lock (holds.ts) first, so a
 * publish racing a disable or a delete is ordered with it and never leaves a delivery queued for nobody.
 */
import { newId } from '../../domain/ids.js';
import { eventDestinationTimeout, type Destination, type Rule } from '../../domain/model.js';
import type { EventDestinationFilter, EventDestinationPatch, OutboundRoute, Page, PageQuery } from '../port.js';
import type { Db } from './db.js';
import { cancelConnectionEvents, holdDestinationEvents, lockRoutesExclusive, releaseDestinationEvents } from './holds.js';
import { CONNECTION_KIND, DESTINATION_KIND, SOURCE_KIND } from './kinds.js';
import { listPage } from './pagination.js';
import { type DestinationRow, toDestination } from './rows.js';
import type { Tx } from './writer.js';

const KIND = `kind = '${DESTINATION_KIND.event}'`;

/**
 * The team's platform source (published events belong to it), created on first use. Two processes creating it at
 * once meet on the unique index sources_platform: the second inserts nothing and reads the first's.
 */
export async function platformSourceId(db: Db, teamId: string, now: number): Promise<string> {
  const find = `SELECT id FROM sources WHERE team_id = $1 AND kind = '${SOURCE_KIND.platform}'`;
  const existing = await db.row<{ id: string }>(find, [teamId]);
  if (existing !== undefined) return existing.id;
  // The name cannot be an inbound source name (those never contain ':'), so it never takes one from a user.
  const inserted = await db.row<{ id: string }>(
    `INSERT INTO sources (id, team_id, name, description, config, disabled_at, created_at, updated_at, kind)
     VALUES ($1, $2, 'platform:events', 'Published events (/v2/events)', $3, NULL, $4, $4, '${SOURCE_KIND.platform}')
     ON CONFLICT DO NOTHING RETURNING id`,
    [newId('platformSource', now), teamId, JSON.stringify({ allowed_http_methods: [], custom_response: null }), now],
  );
  const id = inserted?.id ?? (await db.row<{ id: string }>(find, [teamId]))?.id;
  if (id === undefined) throw new Error(`The platform source of team ${teamId} could not be created.`);
  return id;
}

function requireOutbound(d: Destination): NonNullable<Destination['outbound']> {
  if (d.outbound === undefined) throw new Error('An event destination needs its outbound fields.');
  return d.outbound;
}

export async function insertEventDestination(db: Db, d: Destination, route: { id: string; rules: Rule[] }): Promise<void> {
  const outbound = requireOutbound(d);
  const sourceId = await platformSourceId(db, d.teamId, d.createdAt);
  await db.run(
    `INSERT INTO destinations (id, team_id, name, description, type, config, concurrency, disabled_at, created_at, updated_at,
       kind, display_name, credentials, subscription, consecutive_failures, timeout_ms)
     VALUES ($1, $2, $3, $4, $5, $6, NULL, $7, $8, $9, '${DESTINATION_KIND.event}', $10, $11, $12, 0, $13)`,
    [
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
    ],
  );
  await db.run(
    `INSERT INTO connections (id, team_id, name, description, source_id, destination_id, rules, paused_at, disabled_at, created_at, updated_at, kind)
     VALUES ($1, $2, $3, NULL, $4, $5, $6, NULL, NULL, $7, $7, '${CONNECTION_KIND.subscription}')`,
    [route.id, d.teamId, `subscription:${d.id}`, sourceId, d.id, JSON.stringify(route.rules), d.createdAt],
  );
}

export async function getEventDestination(db: Db, teamId: string, id: string, lock = false): Promise<Destination | null> {
  const row = await db.row<DestinationRow>(`SELECT * FROM destinations WHERE id = $1 AND team_id = $2 AND ${KIND}${lock ? ' FOR UPDATE' : ''}`, [id, teamId]);
  return row === undefined ? null : toDestination(row);
}

export function listEventDestinations(db: Db, teamId: string, filter: EventDestinationFilter, page: PageQuery): Promise<Page<Destination>> {
  return listPage<DestinationRow, Destination>(
    db,
    {
      table: 'destinations',
      filter: (p) => {
        const where = [`team_id = ${p.add(teamId)}`, KIND];
        if (filter.type !== undefined) where.push(`type = ANY(${p.add(filter.type)}::text[])`);
        if (filter.status === 'active') where.push('disabled_at IS NULL');
        if (filter.status === 'inactive') where.push('disabled_at IS NOT NULL');
        return where;
      },
    },
    page,
    toDestination,
  );
}

/**
 * Sets `disabled_at` (or clears it, with the failure counter) and holds or releases the pending deliveries. The
 * caller holds the destination's route lock.
 */
export async function setEventDestinationDisabled(tx: Tx, id: string, disabled: boolean, now: number): Promise<void> {
  if (disabled) {
    if ((await tx.db.run('UPDATE destinations SET disabled_at = $1, updated_at = $1 WHERE id = $2 AND disabled_at IS NULL', [now, id])) > 0) {
      await holdDestinationEvents(tx.db, id, now);
    }
    return;
  }
  // Enabling starts the count afresh: otherwise the next failure would disable it again at once.
  const enabled = await tx.db.run(
    'UPDATE destinations SET disabled_at = NULL, consecutive_failures = 0, updated_at = $1 WHERE id = $2 AND disabled_at IS NOT NULL',
    [now, id],
  );
  if (enabled > 0) await releaseDestinationEvents(tx, id, now);
}

export async function updateEventDestination(tx: Tx, teamId: string, id: string, patch: EventDestinationPatch, now: number): Promise<Destination | null> {
  await lockRoutesExclusive(tx.db, [id]);
  const current = await getEventDestination(tx.db, teamId, id, true);
  if (current === null) return null;
  const outbound = requireOutbound(current);
  await tx.db.run('UPDATE destinations SET display_name = $1, config = $2, credentials = $3, subscription = $4, timeout_ms = $5, updated_at = $6 WHERE id = $7', [
    patch.displayName ?? outbound.displayName,
    JSON.stringify(patch.config ?? outbound.config),
    patch.credentials !== undefined ? patch.credentials : outbound.credentials,
    JSON.stringify(patch.subscription ?? outbound.subscription),
    patch.timeoutMs !== undefined ? patch.timeoutMs : eventDestinationTimeout(current),
    now,
    id,
  ]);
  if (patch.disabled !== undefined) await setEventDestinationDisabled(tx, id, patch.disabled, now);
  return getEventDestination(tx.db, teamId, id);
}

export async function deleteEventDestination(db: Db, teamId: string, id: string, now: number): Promise<boolean> {
  const routes = async () =>
    (await db.rows<{ id: string }>(`SELECT id FROM connections WHERE destination_id = $1 AND kind = '${CONNECTION_KIND.subscription}' ORDER BY id`, [id])).map(
      (r) => r.id,
    );
  await lockRoutesExclusive(db, [id, ...(await routes())]);
  if ((await getEventDestination(db, teamId, id, true)) === null) return false;
  for (const routeId of await routes()) {
    await cancelConnectionEvents(db, routeId, now);
    await db.run('DELETE FROM connections WHERE id = $1', [routeId]);
  }
  await db.run('DELETE FROM destinations WHERE id = $1', [id]);
  return true;
}

export async function listOutboundRoutes(db: Db, teamId: string): Promise<OutboundRoute[]> {
  const rows = await db.rows<{ destination_id: string; connection_id: string; subscription: string | null }>(
    `SELECT d.id AS destination_id, c.id AS connection_id, d.subscription AS subscription
     FROM destinations d JOIN connections c ON c.destination_id = d.id AND c.kind = '${CONNECTION_KIND.subscription}'
     WHERE d.team_id = $1 AND d.${KIND} AND d.disabled_at IS NULL ORDER BY d.id`,
    [teamId],
  );
  return rows.map((row) => ({ destinationId: row.destination_id, connectionId: row.connection_id, subscription: JSON.parse(row.subscription ?? '[]') as string[] }));
}
