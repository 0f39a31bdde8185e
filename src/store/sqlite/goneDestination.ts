/**
 * A destination that answered 410 Gone, disabled in the transaction that records the attempt: its pending events
 * are held (HOLD, enabling it queues them again with trigger UNPAUSE) and the prepared `destination.disabled`
 * operator event is published, only if this record is the one that disabled it.
 */
import type { AttemptResult, DestinationGoneEffects } from '../port.js';
import { holdDestinationEvents } from './holds.js';
import { insertPublished } from './published.js';
import type { Sql } from './sql.js';

export function disableGoneDestination(sql: Sql, result: AttemptResult, gone: DestinationGoneEffects, now: number): void {
  const id = result.attempt.destinationId;
  if (sql.run('UPDATE destinations SET disabled_at = ?, updated_at = ? WHERE id = ? AND disabled_at IS NULL', now, now, id) === 0) return;
  holdDestinationEvents(sql, id, now);
  if (gone.onDisabled !== null) insertPublished(sql, gone.onDisabled);
}
