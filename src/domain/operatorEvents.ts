/**
 * Operator events: what Sluice itself publishes into a team's event stream about its own delivery (as Outpost's
 * `alert.destination.disabled` and Svix's `endpoint.disabled`), so any destination subscribed to them (`*`,
 * `destination.*`, `delivery.exhausted`…) receives them like any other event.
 *
 * Loops are cut in two places: a `delivery.exhausted` is never published about the delivery of an operator event,
 * and a `destination.disabled` is never delivered to the destination it is about. Pure.
 */
import type { Destination, EventOrigin, EventRecord } from './model.js';

export const OPERATOR_EVENT_TYPES = {
  destinationDisabled: 'destination.disabled',
  deliveryExhausted: 'delivery.exhausted',
} as const;

export interface DestinationDisabledInput {
  destination: Pick<Destination, 'id' | 'type' | 'outbound'>;
  /** The consecutive failures that reached the limit. */
  consecutiveFailures: number;
  disabledAt: number;
}

export function destinationDisabledData(input: DestinationDisabledInput): Record<string, unknown> {
  return {
    id: input.destination.id,
    object: 'event_destination',
    name: input.destination.outbound?.displayName ?? null,
    type: input.destination.type,
    status: 'inactive',
    reason: 'consecutive_failures',
    consecutive_failures: input.consecutiveFailures,
    disabled_at: new Date(input.disabledAt).toISOString(),
  };
}

/**
 * The payload of `destination.disabled` when a destination answered 410 Gone: disabled at once, whatever its
 * failure count (the receiver said the endpoint no longer exists). Either face: an event destination or an
 * inbound (`des_`) destination.
 */
export function destinationGoneData(destination: Pick<Destination, 'id' | 'type' | 'outbound' | 'name'>, disabledAt: number): Record<string, unknown> {
  return {
    id: destination.id,
    object: destination.outbound === undefined ? 'destination' : 'event_destination',
    name: destination.outbound?.displayName ?? destination.name,
    type: destination.type,
    status: 'inactive',
    reason: 'gone',
    response_status: 410,
    disabled_at: new Date(disabledAt).toISOString(),
  };
}

export interface DeliveryExhaustedInput {
  delivery: Pick<EventRecord, 'id' | 'destinationId' | 'createdAt'>;
  eventId: string;
  eventType: string;
  /** Attempts made, the last one included. */
  attempts: number;
  responseStatus: number | null;
  errorCode: string | null;
  failedAt: number;
}

export function deliveryExhaustedData(input: DeliveryExhaustedInput): Record<string, unknown> {
  return {
    id: input.delivery.id,
    object: 'event_delivery',
    status: 'failure',
    event_id: input.eventId,
    event_type: input.eventType,
    event_destination_id: input.delivery.destinationId,
    attempts: input.attempts,
    response_status: input.responseStatus,
    error_code: input.errorCode,
    created_at: new Date(input.delivery.createdAt).toISOString(),
    failed_at: new Date(input.failedAt).toISOString(),
  };
}

/** True when a delivery's exhaustion may be announced: never for the delivery of an operator event. */
export function announcesExhaustion(origin: EventOrigin): boolean {
  return origin !== 'sluice';
}
