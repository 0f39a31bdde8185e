/**
 * The dispatcher's outbound side: how an attempt of a delivery (a published event to an event destination)
 * is made, and what recording it may publish. One publisher per destination type, created once from the catalog
 * on first use and reused for every message; each attempt gets the destination's config and its credentials,
 * decrypted once per version of the destination (cached by id + updated_at) and never logged.
 *
 * Everything else — claiming, timeouts, retries, recording, logging — is the same engine as the inbound face's.
 */
import { decryptSecret, type SecretKeyring } from '../domain/secretBox.js';
import { eventDestinationSecretBinding, type AttemptTrigger, type Destination, type EventRecord, type RequestRecord } from '../domain/model.js';
import {
  alertLevelReached,
  announcesExhaustion,
  consecutiveFailureAlertData,
  deliveryExhaustedData,
  destinationDisabledData,
  destinationGoneData,
  OPERATOR_EVENT_TYPES,
} from '../domain/operatorEvents.js';
import { eventMetadata } from '../domain/publishedEvent.js';
import type { DestinationType, DestinationTypeDeps, OutboundMessage, PublishOutcome, TypedPublisher } from '../destinations/types.js';
import type { EventPublisher } from '../publish/eventPublisher.js';
import type { AttemptResult, NewPublishedEvent, OutboundRecordEffects } from '../store/port.js';
import type { DispatchLogger } from './logger.js';

export interface OutboundDeliveryOptions {
  /** The destination types this gateway delivers to (src/destinations/catalog.ts). */
  types: readonly DestinationType[];
  deps: DestinationTypeDeps;
  keyring: SecretKeyring;
  /** Prepares operator events (destination.disabled, alert.consecutive_failure, delivery.exhausted). */
  publisher: EventPublisher;
  /** Consecutive failed attempts that disable a destination (alerts at 50/70/90/100 % of it); 0 = never. */
  autoDisableAfter: number;
  logger: DispatchLogger;
}

/** What an outbound attempt needs of the claimed (or manually loaded) delivery. */
export interface OutboundAttempt {
  event: EventRecord;
  request: RequestRecord;
  destination: Destination;
  trigger: AttemptTrigger;
  timeoutMs: number;
  signal: AbortSignal;
  now: number;
}

type AnyPublisher = TypedPublisher<unknown, unknown>;

function unusable(message: string): PublishOutcome {
  // Retrying cannot help until the destination (or the gateway's configuration) changes.
  return { kind: 'unreachable', errorCode: 'UNKNOWN', message, permanent: true, requestedUrl: '', httpMethod: '', responseLatency: 0 };
}

export class OutboundDelivery {
  private readonly types: Map<string, DestinationType>;
  private readonly publishers = new Map<string, AnyPublisher>();
  private readonly credentials = new Map<string, { updatedAt: number; value: unknown }>();

  constructor(private readonly options: OutboundDeliveryOptions) {
    this.types = new Map(options.types.map((type) => [type.type, type]));
  }

  async publish(attempt: OutboundAttempt): Promise<PublishOutcome> {
    const { destination, request, event } = attempt;
    const fields = destination.outbound;
    const published = request.published;
    if (fields === undefined || published === undefined) return unusable('This delivery has no published event or event destination to deliver.');
    const publisher = this.publisherFor(destination.type);
    if (publisher === undefined) return unusable(`This gateway cannot deliver to destinations of type ${destination.type}.`);
    let credentials: unknown;
    try {
      credentials = this.credentialsOf(destination);
    } catch {
      // Never the error's text: it could quote what it failed to read.
      return unusable('The destination\'s credentials cannot be decrypted (was SLUICE_ENCRYPTION_KEY changed?). Set them again with PATCH.');
    }
    const message: OutboundMessage = {
      eventId: published.eventId,
      eventType: published.eventType,
      body: request.body,
      contentType: 'application/json',
      createdAt: request.createdAt,
      metadata: eventMetadata({ eventId: published.eventId, eventType: published.eventType, createdAt: request.createdAt }),
      attemptNumber: event.attempts + 1,
    };
    try {
      return await publisher.publish(message, { destinationId: destination.id, config: fields.config, credentials }, {
        timeoutMs: attempt.timeoutMs,
        signal: attempt.signal,
        now: attempt.now,
      });
    } catch (error) {
      // The contract says publishers never throw for a delivery failure; a bug in one must still not lose the attempt.
      this.options.logger.error({ err: error, destinationId: destination.id, type: destination.type }, 'Destination publisher threw; recorded as a failed attempt');
      return { kind: 'unreachable', errorCode: 'UNKNOWN', message: `The ${destination.type} publisher failed unexpectedly.`, requestedUrl: '', httpMethod: '', responseLatency: 0 };
    }
  }

  /**
   * The record's outbound effects: the failure count, and the operator events it may publish, prepared now (the
   * store publishes each only if the record has that effect). A failure to prepare them never blocks the record.
   */
  async effects(attempt: Pick<OutboundAttempt, 'event' | 'request' | 'destination' | 'trigger'>, result: AttemptResult): Promise<OutboundRecordEffects> {
    const effects: OutboundRecordEffects = { autoDisableAfter: this.options.autoDisableAfter, onDisabled: null, onExhausted: null };
    if (result.attempt.status !== 'FAILED') return effects;
    const { destination, event, request } = attempt;
    const at = result.attempt.updatedAt;
    try {
      const published = request.published;
      const limit = effects.autoDisableAfter;
      if (limit > 0) {
        // Neither event is ever delivered to the destination it is about: it would only fail again.
        const prepare = await this.options.publisher.preparer(destination.teamId, 'sluice', destination.id);
        const data = destinationDisabledData({ destination, consecutiveFailures: limit, disabledAt: at });
        effects.onDisabled = prepare({ type: OPERATOR_EVENT_TYPES.destinationDisabled, data });
        const lastAttempt = {
          deliveryId: event.id,
          eventId: published?.eventId ?? null,
          eventType: published?.eventType ?? null,
          responseStatus: result.attempt.responseStatus,
          errorCode: result.attempt.errorCode,
          failedAt: at,
        };
        effects.alertAt = (consecutiveFailures) => {
          const level = alertLevelReached(consecutiveFailures, limit);
          if (level === null) return null;
          try {
            const alert = consecutiveFailureAlertData({ destination, consecutiveFailures, limit, level, lastAttempt });
            return prepare({ type: OPERATOR_EVENT_TYPES.consecutiveFailureAlert, data: alert });
          } catch (error) {
            // Runs inside the record's transaction: throwing would lose the attempt, not just the alert.
            this.options.logger.error({ err: error, destinationId: destination.id }, 'Could not prepare the alert; the attempt is recorded without it');
            return null;
          }
        };
      }
      if (attempt.trigger !== 'MANUAL' && result.nextAttemptAt === null && published !== undefined && announcesExhaustion(published.origin)) {
        const data = deliveryExhaustedData({
          delivery: event,
          eventId: published.eventId,
          eventType: published.eventType,
          attempts: result.attempt.attemptNumber,
          responseStatus: result.attempt.responseStatus,
          errorCode: result.attempt.errorCode,
          failedAt: at,
        });
        // Not to the destination that just failed it: it would only fail again.
        effects.onExhausted = await this.options.publisher.prepare(destination.teamId, { type: OPERATOR_EVENT_TYPES.deliveryExhausted, data }, 'sluice', destination.id);
      }
    } catch (error) {
      this.options.logger.error({ err: error, destinationId: destination.id }, 'Could not prepare operator events; the attempt is recorded without them');
    }
    return effects;
  }

  /**
   * The `destination.disabled` event for a destination (either face) that answered 410 Gone, prepared for the
   * record to publish if it disables the destination; null when it could not be prepared (never blocks the record).
   */
  async goneEvent(destination: Destination, at: number): Promise<NewPublishedEvent | null> {
    try {
      const data = destinationGoneData(destination, at);
      return await this.options.publisher.prepare(destination.teamId, { type: OPERATOR_EVENT_TYPES.destinationDisabled, data }, 'sluice', destination.id);
    } catch (error) {
      this.options.logger.error({ err: error, destinationId: destination.id }, 'Could not prepare the destination.disabled event; the destination is disabled without it');
      return null;
    }
  }

  /** The destination changed or was deleted: drop its decrypted credentials and its publishers' clients. */
  async forget(destinationId: string): Promise<void> {
    this.credentials.delete(destinationId);
    await Promise.all([...this.publishers.values()].map((publisher) => publisher.evict(destinationId)));
  }

  async close(): Promise<void> {
    await Promise.all([...this.publishers.values()].map((publisher) => publisher.close()));
    this.publishers.clear();
    this.credentials.clear();
  }

  private publisherFor(type: string): AnyPublisher | undefined {
    let publisher = this.publishers.get(type);
    if (publisher === undefined) {
      const entry = this.types.get(type);
      if (entry === undefined) return undefined;
      publisher = entry.createPublisher(this.options.deps);
      this.publishers.set(type, publisher);
    }
    return publisher;
  }

  /** Decrypted once per version of the destination: an update (new updated_at) is read afresh. */
  private credentialsOf(destination: Destination): unknown {
    const sealed = destination.outbound?.credentials ?? null;
    if (sealed === null) return {};
    const hit = this.credentials.get(destination.id);
    if (hit !== undefined && hit.updatedAt === destination.updatedAt) return hit.value;
    const value = JSON.parse(decryptSecret(this.options.keyring, sealed, eventDestinationSecretBinding(destination.teamId, destination.id))) as unknown;
    this.credentials.set(destination.id, { updatedAt: destination.updatedAt, value });
    return value;
  }
}
