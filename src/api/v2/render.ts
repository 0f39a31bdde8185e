/**
 * Engine records → the /v2 face's JSON (seed 000 and FACTS.md shapes). Delivery statuses are the engine's,
 * folded into Deck's three: SUCCESSFUL → success; FAILED and CANCELLED → failure; QUEUED, SCHEDULED and HOLD
 * (its destination inactive) → pending. Credentials are shown masked by their type, never in full.
 */
import { eventDestinationTimeout, type AttemptRecord, type DeliveryView, type Destination, type EventStatus } from '../../domain/model.js';
import type { DestinationType } from '../../destinations/types.js';
import { iso, isoOrNull } from '../inbound/render.js';

export const DELIVERY_STATUSES = ['success', 'failure', 'pending'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

const ENGINE_STATUSES: Record<DeliveryStatus, EventStatus[]> = {
  success: ['SUCCESSFUL'],
  failure: ['FAILED', 'CANCELLED'],
  pending: ['QUEUED', 'SCHEDULED', 'HOLD'],
};

export function deliveryStatus(status: EventStatus): DeliveryStatus {
  if (status === 'SUCCESSFUL') return 'success';
  if (status === 'FAILED' || status === 'CANCELLED') return 'failure';
  return 'pending';
}

export function engineStatuses(statuses: readonly DeliveryStatus[]): EventStatus[] {
  return statuses.flatMap((status) => ENGINE_STATUSES[status]);
}

/** A response body shown parsed when it is a JSON object or array, else as text (as the inbound face does). */
function responseBody(body: string | null): unknown {
  if (body === null || body === '') return body;
  const first = body.trimStart()[0];
  if (first === '{' || first === '[') {
    try {
      return JSON.parse(body) as unknown;
    } catch {
      return body;
    }
  }
  return body;
}

export function renderDeliveryAttempt(attempt: AttemptRecord) {
  return {
    id: attempt.id,
    object: 'event_delivery_attempt' as const,
    attempt_number: attempt.attemptNumber,
    trigger: attempt.trigger.toLowerCase(),
    status: attempt.status === 'SUCCESSFUL' ? 'success' : 'failure',
    response_status: attempt.responseStatus,
    error_code: attempt.errorCode,
    response_body: responseBody(attempt.body),
    duration_ms: attempt.responseLatency,
    created_at: iso(attempt.createdAt),
  };
}

export function renderDelivery(view: DeliveryView) {
  const { delivery } = view;
  return {
    id: delivery.id,
    object: 'event_delivery' as const,
    status: deliveryStatus(delivery.status),
    event_type: view.eventType,
    event_id: view.eventId,
    event_destination_id: delivery.destinationId,
    attempts: view.attempts.map(renderDeliveryAttempt),
    next_attempt_at: isoOrNull(delivery.nextAttemptAt),
    response_status: delivery.responseStatus,
    error_code: delivery.errorCode,
    created_at: iso(delivery.createdAt),
    delivered_at: isoOrNull(delivery.successfulAt),
  };
}

/**
 * The event destination object. `credentials` are the decrypted ones (or null when they cannot be read): only
 * their masked form leaves this function.
 */
export function renderEventDestination(destination: Destination, type: DestinationType | undefined, credentials: Record<string, unknown> | null) {
  const fields = destination.outbound;
  const masked = type !== undefined && credentials !== null ? type.maskCredentials(credentials) : {};
  return {
    id: destination.id,
    object: 'event_destination' as const,
    name: fields?.displayName ?? destination.name,
    type: destination.type,
    events: fields?.subscription ?? [],
    status: destination.disabledAt === null ? 'active' : 'inactive',
    timeout: eventDestinationTimeout(destination),
    [destination.type]: { ...(fields?.config ?? {}), ...masked },
    created_at: iso(destination.createdAt),
    updated_at: iso(destination.updatedAt),
  };
}

export function renderDestinationType(type: DestinationType) {
  const field = (f: DestinationType['configFields'][number]) => ({ ...f });
  return {
    type: type.type,
    label: type.label,
    description: type.description,
    config_fields: type.configFields.map(field),
    credential_fields: type.credentialFields.map(field),
  };
}
