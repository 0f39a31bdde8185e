/**
 * Operator events: what Sluice itself publishes into a team's event stream about its own delivery (as Outpost's
 * `alert.destination.disabled` and Svix's `endpoint.disabled`), so any destination subscribed to them (`*`,
 * `destination.*`, `delivery.exhausted`…) receives them like any other event.
 *
 * Loops are cut in two places: a `delivery.exhausted` is never published about the delivery of an operator event,
 * and a `destination.disabled` or `alert.consecutive_failure` is never delivered to the destination it is about.
 * Pure.
 */
import type { Destination, EventOrigin, EventRecord } from './model.js';

export const OPERATOR_EVENT_TYPES = {
  destinationDisabled: 'destination.disabled',
  deliveryExhausted: 'delivery.exhausted',
  consecutiveFailureAlert: 'alert.consecutive_failure',
} as const;

/** Percentages of the auto-disable limit at which a failure streak raises an alert (Outpost's levels). */
export const ALERT_LEVELS = [50, 70, 90, 100] as const;

/**
 * The alert level the streak's `consecutiveFailures`-th failure reaches, or null. A streak grows one failure at a
 * time, so each level is reached by exactly one failure per streak (a success resets the count, and the next
 * streak alerts again). Level L is reached at ceil(limit × L / 100) failures; where several levels fall on the
 * same count (a small limit), only the highest is reported, so one failure raises at most one alert.
 */
export function alertLevelReached(consecutiveFailures: number, limit: number): number | null {
  if (limit <= 0) return null;
  let reached: number | null = null;
  for (const level of ALERT_LEVELS) if (Math.ceil((limit * level) / 100) === consecutiveFailures) reached = level;
  return reached;
}

export interface ConsecutiveFailureAlertInput {
  destination: Pick<Destination, 'id' | 'type' | 'outbound'>;
  consecutiveFailures: number;
  /** The auto-disable limit the percentage is of. */
  limit: number;
  level: number;
  /** The failed attempt that reached the level. */
  lastAttempt: {
    deliveryId: string;
    /** The published event delivered (null when the delivery carries none). */
    eventId: string | null;
    eventType: string | null;
    responseStatus: number | null;
    errorCode: string | null;
    failedAt: number;
  };
}

export function consecutiveFailureAlertData(input: ConsecutiveFailureAlertInput): Record<string, unknown> {
  return {
    id: input.destination.id,
    object: 'event_destination',
    name: input.destination.outbound?.displayName ?? null,
    type: input.destination.type,
    consecutive_failures: input.consecutiveFailures,
    auto_disable_after: input.limit,
    percentage: input.level,
    will_disable: input.level === 100,
    last_attempt: {
      event_delivery_id: input.lastAttempt.deliveryId,
      event_id: input.lastAttempt.eventId,
      event_type: input.lastAttempt.eventType,
      response_status: input.lastAttempt.responseStatus,
      error_code: input.lastAttempt.errorCode,
      failed_at: new Date(input.lastAttempt.failedAt).toISOString(),
    },
  };
}

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
