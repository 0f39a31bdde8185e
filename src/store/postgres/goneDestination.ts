/**
 * A destination that answered 410 Gone, disabled in the transaction that records the attempt (as the SQLite
 * store's goneDestination.ts): under its route lock, its pending events held, and the prepared
 * `destination.disabled` operator event published only if this record is the one that disabled it.
 */
import type { AttemptResult, DestinationGoneEffects } from '../port.js';
import { holdDestinationEvents, lockRoutesExclusive } from './holds.js';
import { insertPublished } from './published.js';
import type { Tx } from './writer.js';

export async function disableGoneDestination(tx: Tx, result: AttemptResult, gone: DestinationGoneEffects, now: number): Promise<void> {
  const id = result.attempt.destinationId;
  await lockRoutesExclusive(tx.db, [id]);
  if ((await tx.db.run('UPDATE destinations SET disabled_at = $1, updated_at = $1 WHERE id = $2 AND disabled_at IS NULL', [now, id])) === 0) return;
  await holdDestinationEvents(tx.db, id, now);
  if (gone.onDisabled !== null) await insertPublished(tx, gone.onDisabled);
}
