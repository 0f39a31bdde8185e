/**
 * Which face a row belongs to (the same scheme as the SQLite store). The config tables (sources, destinations,
 * connections) and requests have a `kind` column; the high-volume tables (events, attempts) tell the faces apart
 * by id prefix (domain/glossary.ts), with a range on the id that the (…, id) indexes serve directly. The ranges
 * compare under the id columns' COLLATE "C" (byte order), where '`' is the character after '_'.
 */
import { ID_PREFIX, type IdKind } from '../../domain/glossary.js';

export const SOURCE_KIND = { inbound: 'source', platform: 'platform' } as const;
export const DESTINATION_KIND = { inbound: 'destination', event: 'event_destination' } as const;
export const CONNECTION_KIND = { inbound: 'connection', subscription: 'subscription' } as const;
export const REQUEST_KIND = { inbound: 'request', event: 'event' } as const;

/** `column` holds an id of this kind: `<prefix>_` ≤ id < `<prefix>` + '`'. Literals, so partial indexes could match. */
export function idOfKind(kind: IdKind, column = 'id'): string {
  const prefix = ID_PREFIX[kind];
  if (!/^[a-z]+$/.test(prefix)) throw new Error(`Id prefix ${prefix} cannot be used in a range condition.`);
  return `${column} >= '${prefix}_' AND ${column} < '${prefix}\`'`;
}
