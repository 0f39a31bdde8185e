/**
 * What the API asks of the delivery engine. The dispatcher implements it; the API depends only on this.
 */
import type { AttemptRecord } from '../domain/model.js';

export interface DeliveryEngine {
  /**
   * New due events were committed: look for work now instead of at the next poll. With `destinationIds` (the
   * destinations of the new events), the engine may leave them to the claim that follows its running attempts.
   */
  wake(destinationIds?: readonly string[]): void;
  /**
   * Makes an attempt now with trigger MANUAL, records it, and returns it; null when the team has no such event.
   * A successful manual attempt cancels pending automatic retries; a failed one leaves the schedule as it was.
   */
  retryNow(teamId: string, eventId: string): Promise<AttemptRecord | null>;
  /**
   * An event destination's config or credentials changed, or it was deleted: forget what was derived from the old
   * ones (decrypted credentials, its publisher's clients).
   */
  forgetDestination(destinationId: string): void;
}
