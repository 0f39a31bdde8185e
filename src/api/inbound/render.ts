/**
 * Records (camelCase, times in ms) → the inbound face's JSON (snake_case, ISO 8601 UTC times). Field order here is
 * the order on the wire (the response schemas in schemas.ts list the same order).
 */
import { isUtf8 } from 'node:buffer';
import type {
  AttemptRecord,
  Connection,
  Destination,
  EventRecord,
  RequestRecord,
  Source,
} from '../../domain/model.js';
import { renderSourceConfig } from './sourceConfig.js';

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

export function isoOrNull(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

/** The ingest URL of a source (or of a connection: `/e/web_…` delivers to that connection only). */
export function ingestUrl(publicUrl: string, id: string): string {
  return `${publicUrl}/e/${id}`;
}

export function renderSource(source: Source, publicUrl: string) {
  return {
    id: source.id,
    name: source.name,
    description: source.description,
    team_id: source.teamId,
    url: ingestUrl(publicUrl, source.id),
    config: renderSourceConfig(source.config),
    disabled_at: isoOrNull(source.disabledAt),
    created_at: iso(source.createdAt),
    updated_at: iso(source.updatedAt),
  };
}

export function renderDestination(destination: Destination) {
  return {
    id: destination.id,
    name: destination.name,
    description: destination.description,
    team_id: destination.teamId,
    type: destination.type,
    config: destination.config,
    disabled_at: isoOrNull(destination.disabledAt),
    created_at: iso(destination.createdAt),
    updated_at: iso(destination.updatedAt),
  };
}

export function renderConnection(connection: Connection, source: Source, destination: Destination, publicUrl: string) {
  return {
    id: connection.id,
    name: connection.name,
    full_name: `${source.name} -> ${connection.name}`,
    description: connection.description,
    team_id: connection.teamId,
    source: renderSource(source, publicUrl),
    destination: renderDestination(destination),
    rules: connection.rules,
    paused_at: isoOrNull(connection.pausedAt),
    disabled_at: isoOrNull(connection.disabledAt),
    created_at: iso(connection.createdAt),
    updated_at: iso(connection.updatedAt),
  };
}

export function renderEvent(event: EventRecord) {
  return {
    id: event.id,
    team_id: event.teamId,
    webhook_id: event.connectionId,
    source_id: event.sourceId,
    destination_id: event.destinationId,
    request_id: event.requestId,
    duplicate_event_id: event.duplicateEventId,
    status: event.status,
    attempts: event.attempts,
    response_status: event.responseStatus,
    error_code: event.errorCode,
    last_attempt_at: isoOrNull(event.lastAttemptAt),
    next_attempt_at: isoOrNull(event.nextAttemptAt),
    successful_at: isoOrNull(event.successfulAt),
    updated_at: iso(event.updatedAt),
    created_at: iso(event.createdAt),
  };
}

export interface RenderedBody {
  body: unknown;
  body_encoding?: 'base64';
}

/**
 * A stored body for the API: parsed JSON when it was JSON, the text when it is valid UTF-8, else base64 with
 * `body_encoding: "base64"` so binary bodies survive byte for byte. An empty body is null.
 */
export function renderBody(body: Buffer, bodyIsJson: boolean): RenderedBody {
  if (body.length === 0) return { body: null };
  if (bodyIsJson) {
    try {
      return { body: JSON.parse(body.toString('utf8')) as unknown };
    } catch {
      // Stored as JSON but unreadable now (should not happen): fall through to text/base64 rather than fail.
    }
  }
  if (isUtf8(body)) return { body: body.toString('utf8') };
  return { body: body.toString('base64'), body_encoding: 'base64' };
}

export function renderEventWithRequest(event: EventRecord, request: RequestRecord | null) {
  return {
    ...renderEvent(event),
    request: request === null ? { headers: {}, body: null } : { headers: request.headers, ...renderBody(request.body, request.bodyIsJson) },
  };
}

function requestSummary(request: RequestRecord) {
  return {
    id: request.id,
    team_id: request.teamId,
    source_id: request.sourceId,
    method: request.method,
    path: request.path,
    query: request.query,
    rejection_cause: request.rejectionCause,
    event_ids: request.eventIds,
    events_count: request.eventIds.length,
    ignored_count: request.ignored?.length ?? 0,
    ignored: (request.ignored ?? []).map((route) => ({
      webhook_id: route.connectionId,
      cause: route.cause,
      ...(route.duplicateOf === undefined ? {} : { duplicate_event_id: route.duplicateOf }),
    })),
    created_at: iso(request.createdAt),
  };
}

export function renderRequestListItem(request: RequestRecord) {
  return requestSummary(request);
}

export function renderRequest(request: RequestRecord) {
  return { ...requestSummary(request), headers: request.headers, ...renderBody(request.body, request.bodyIsJson) };
}

/** An attempt's response body: parsed when it is a JSON object or array (as the seed shows it), else the text. */
function attemptBody(body: string | null): unknown {
  if (body === null || body === '') return body;
  const first = body.trimStart()[0];
  if (first === '{' || first === '[') {
    try {
      return JSON.parse(body) as unknown;
    } catch {
      return body; // capped or not JSON after all: the text is what there is
    }
  }
  return body;
}

export function renderAttempt(attempt: AttemptRecord) {
  return {
    id: attempt.id,
    team_id: attempt.teamId,
    event_id: attempt.eventId,
    destination_id: attempt.destinationId,
    attempt_number: attempt.attemptNumber,
    trigger: attempt.trigger,
    status: attempt.status,
    response_status: attempt.responseStatus,
    error_code: attempt.errorCode,
    body: attemptBody(attempt.body),
    requested_url: attempt.requestedUrl,
    http_method: attempt.httpMethod,
    delivery_latency: attempt.deliveryLatency,
    response_latency: attempt.responseLatency,
    successful_at: isoOrNull(attempt.successfulAt),
    updated_at: iso(attempt.updatedAt),
    created_at: iso(attempt.createdAt),
  };
}
