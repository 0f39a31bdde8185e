/**
 * Which face a row belongs to. The config tables (sources, destinations, connections) and requests have a `kind`
 * column; the high-volume tables (events, attempts) tell the faces apart by id prefix (domain/glossary.ts), with a
 * range on the id that the (team_id, id) indexes serve directly, so one face's volume never slows the other's lists.
 */
import { ID_PREFIX, type IdKind } from '../../domain/glossary.js';

export const SOURCE_KIND = { inbound: 'source', platform: 'platform' } as const;
export const DESTINATION_KIND = { inbound: 'destination', event: 'event_destination' } as const;
export const CONNECTION_KIND = { inbound: 'connection', subscription: 'subscription' } as const;
export const REQUEST_KIND = { inbound: 'request', event: 'event' } as const;

/**
 * `column` holds an id of this kind: `<prefix>_` ≤ id < `<prefix>` + '`' (the character after '_'). Written as
 * literals, not parameters, so that SQLite can prove a partial index on the same range usable.
 */
export function idOfKind(kind: IdKind, column = 'id'): string {
  const prefix = ID_PREFIX[kind];
  if (!/^[a-z]+$/.test(prefix)) throw new Error(`Id prefix ${prefix} cannot be used in a range condition.`);
  return `${column} >= '${prefix}_' AND ${column} < '${prefix}\`'`;
}
