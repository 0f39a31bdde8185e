/**
 * Rows as SQLite returns them (snake_case, JSON as text, booleans as 0/1) and their mapping to the domain records
 * of src/domain/model.ts. The text columns holding enums (status, trigger, codes) are written only by this store
 * from typed values, so reading them back is a cast, not a validation.
 */
import {
  eventDestinationEngineConfig,
  type ApiKey,
  type AttemptRecord,
  type AttemptStatus,
  type AttemptTrigger,
  type Connection,
  type Destination,
  type EventOrigin,
  type EventRecord,
  type EventStatus,
  type NetworkErrorCode,
  type PublishedEvent,
  type RejectionCause,
  type RequestRecord,
  type Rule,
  type Source,
  type Team,
} from '../../domain/model.js';
import { ignoredFromJson } from '../ignoredRoutes.js';

export interface TeamRow {
  id: string;
  name: string;
  signing_secret: string;
  created_at: number;
  updated_at: number;
}

export interface ApiKeyRow {
  id: string;
  team_id: string;
  hash: string;
  hint: string;
  created_at: number;
}

export interface SourceRow {
  id: string;
  team_id: string;
  name: string;
  description: string | null;
  config: string;
  disabled_at: number | null;
  created_at: number;
  updated_at: number;
}

export interface DestinationRow {
  id: string;
  team_id: string;
  name: string;
  description: string | null;
  type: string;
  config: string;
  concurrency: number | null;
  disabled_at: number | null;
  created_at: number;
  updated_at: number;
  kind: string;
  display_name: string | null;
  credentials: string | null;
  subscription: string | null;
  consecutive_failures: number;
  timeout_ms: number | null;
}

export interface ConnectionRow {
  id: string;
  team_id: string;
  name: string;
  description: string | null;
  source_id: string;
  destination_id: string;
  rules: string;
  paused_at: number | null;
  disabled_at: number | null;
  created_at: number;
  updated_at: number;
}

export interface RequestRow {
  id: string;
  team_id: string;
  source_id: string;
  method: string;
  path: string;
  query: string;
  headers: string;
  body: Buffer;
  body_is_json: number;
  rejection_cause: string | null;
  event_ids: string;
  ignored: string | null;
  created_at: number;
  kind: string;
  event_type: string | null;
  external_id: string | null;
  origin: string | null;
}

export interface EventRow {
  id: string;
  team_id: string;
  request_id: string;
  connection_id: string;
  source_id: string;
  destination_id: string;
  duplicate_event_id: string | null;
  status: string;
  attempts: number;
  response_status: number | null;
  error_code: string | null;
  last_attempt_at: number | null;
  next_attempt_at: number | null;
  successful_at: number | null;
  due_at: number | null;
  lease_token: string | null;
  next_trigger: string;
  created_at: number;
  updated_at: number;
}

export interface AttemptRow {
  id: string;
  team_id: string;
  event_id: string;
  destination_id: string;
  attempt_number: number;
  trigger: string;
  status: string;
  response_status: number | null;
  error_code: string | null;
  body: string | null;
  requested_url: string;
  http_method: string;
  delivery_latency: number | null;
  response_latency: number | null;
  successful_at: number | null;
  created_at: number;
  updated_at: number;
}

/**
 * The claim reads events and requests rows as one JSON array built by SQLite (`json_array(<columns>)`, plucked as
 * one text value) and builds the row here with an object literal. better-sqlite3 makes a row object by setting
 * every column as a property by name, and even an array row (`raw` mode) by one V8 API call per column: that was a
 * quarter of the instructions of a claim → record cycle (bench/sqliteCycle.ts under callgrind), where SQLite's
 * json_array and V8's JSON.parse cost a fraction of it. The statements read this way select exactly these columns,
 * in this order (and a BLOB cannot go through JSON: the request's body is read beside it).
 */
export const EVENT_COLUMNS =
  'id, team_id, request_id, connection_id, source_id, destination_id, duplicate_event_id, status, attempts, ' +
  'response_status, error_code, last_attempt_at, next_attempt_at, successful_at, due_at, lease_token, next_trigger, ' +
  'created_at, updated_at';

/** An EventRow from the values of EVENT_COLUMNS, in that order. */
export function eventRowOf(v: readonly unknown[]): EventRow {
  return {
    id: v[0] as string,
    team_id: v[1] as string,
    request_id: v[2] as string,
    connection_id: v[3] as string,
    source_id: v[4] as string,
    destination_id: v[5] as string,
    duplicate_event_id: v[6] as string | null,
    status: v[7] as string,
    attempts: v[8] as number,
    response_status: v[9] as number | null,
    error_code: v[10] as string | null,
    last_attempt_at: v[11] as number | null,
    next_attempt_at: v[12] as number | null,
    successful_at: v[13] as number | null,
    due_at: v[14] as number | null,
    lease_token: v[15] as string | null,
    next_trigger: v[16] as string,
    created_at: v[17] as number,
    updated_at: v[18] as number,
  };
}

/** The requests columns but the body, in the order of requestRowOf (see EVENT_COLUMNS). */
export const REQUEST_COLUMNS_BUT_BODY =
  'id, team_id, source_id, method, path, query, headers, body_is_json, rejection_cause, event_ids, ignored, ' +
  'created_at, kind, event_type, external_id, origin';

/** A RequestRow from the values of REQUEST_COLUMNS_BUT_BODY, in that order, and the body. */
export function requestRowOf(v: readonly unknown[], body: Buffer): RequestRow {
  return {
    id: v[0] as string,
    team_id: v[1] as string,
    source_id: v[2] as string,
    method: v[3] as string,
    path: v[4] as string,
    query: v[5] as string,
    headers: v[6] as string,
    body,
    body_is_json: v[7] as number,
    rejection_cause: v[8] as string | null,
    event_ids: v[9] as string,
    ignored: v[10] as string | null,
    created_at: v[11] as number,
    kind: v[12] as string,
    event_type: v[13] as string | null,
    external_id: v[14] as string | null,
    origin: v[15] as string | null,
  };
}

export function toTeam(row: TeamRow): Team {
  return { id: row.id, name: row.name, createdAt: row.created_at, updatedAt: row.updated_at };
}

export function toApiKey(row: ApiKeyRow): ApiKey {
  return { id: row.id, teamId: row.team_id, hash: row.hash, hint: row.hint, createdAt: row.created_at };
}

export function toSource(row: SourceRow): Source {
  return {
    id: row.id,
    teamId: row.team_id,
    name: row.name,
    description: row.description,
    config: JSON.parse(row.config) as Source['config'],
    disabledAt: row.disabled_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function toDestination(row: DestinationRow): Destination {
  const destination: Destination = {
    id: row.id,
    teamId: row.team_id,
    name: row.name,
    description: row.description,
    type: row.type,
    config: JSON.parse(row.config) as Destination['config'],
    disabledAt: row.disabled_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
  if (row.kind !== 'event_destination') return destination;
  // An event destination's `config` column holds its type's config; the engine sees the gateway defaults (and its
  // own timeout, if it set one).
  return {
    ...destination,
    name: row.display_name ?? '',
    config: eventDestinationEngineConfig(row.timeout_ms),
    outbound: {
      displayName: row.display_name ?? '',
      config: destination.config as unknown as Record<string, unknown>,
      credentials: row.credentials,
      subscription: JSON.parse(row.subscription ?? '[]') as string[],
      consecutiveFailures: row.consecutive_failures,
    },
  };
}

export function toConnection(row: ConnectionRow): Connection {
  return {
    id: row.id,
    teamId: row.team_id,
    name: row.name,
    description: row.description,
    sourceId: row.source_id,
    destinationId: row.destination_id,
    rules: JSON.parse(row.rules) as Rule[],
    pausedAt: row.paused_at,
    disabledAt: row.disabled_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function toRequest(row: RequestRow): RequestRecord {
  const request: RequestRecord = {
    id: row.id,
    teamId: row.team_id,
    sourceId: row.source_id,
    method: row.method,
    path: row.path,
    query: row.query,
    headers: JSON.parse(row.headers) as Record<string, string>,
    body: row.body,
    bodyIsJson: row.body_is_json === 1,
    rejectionCause: row.rejection_cause as RejectionCause | null,
    eventIds: JSON.parse(row.event_ids) as string[],
    createdAt: row.created_at,
  };
  if (row.ignored !== null) request.ignored = ignoredFromJson(row.ignored);
  if (row.kind !== 'event') return request;
  return { ...request, published: { eventId: row.external_id ?? row.id, eventType: row.event_type ?? '', origin: (row.origin ?? 'api') as EventOrigin } };
}

/** A published event (a requests row of kind 'event'). */
export function toPublishedEvent(row: RequestRow): PublishedEvent {
  return {
    messageId: row.id,
    teamId: row.team_id,
    eventId: row.external_id ?? row.id,
    eventType: row.event_type ?? '',
    body: row.body,
    origin: (row.origin ?? 'api') as EventOrigin,
    createdAt: row.created_at,
  };
}

export function toEvent(row: EventRow): EventRecord {
  return {
    id: row.id,
    teamId: row.team_id,
    requestId: row.request_id,
    connectionId: row.connection_id,
    sourceId: row.source_id,
    destinationId: row.destination_id,
    duplicateEventId: row.duplicate_event_id,
    status: row.status as EventStatus,
    attempts: row.attempts,
    responseStatus: row.response_status,
    errorCode: row.error_code as NetworkErrorCode | null,
    lastAttemptAt: row.last_attempt_at,
    nextAttemptAt: row.next_attempt_at,
    successfulAt: row.successful_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function toAttempt(row: AttemptRow): AttemptRecord {
  return {
    id: row.id,
    teamId: row.team_id,
    eventId: row.event_id,
    destinationId: row.destination_id,
    attemptNumber: row.attempt_number,
    trigger: row.trigger as AttemptTrigger,
    status: row.status as AttemptStatus,
    responseStatus: row.response_status,
    errorCode: row.error_code as NetworkErrorCode | null,
    body: row.body,
    requestedUrl: row.requested_url,
    httpMethod: row.http_method,
    deliveryLatency: row.delivery_latency,
    responseLatency: row.response_latency,
    successfulAt: row.successful_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
