/**
 * The records the engine keeps, as plain data. Times are milliseconds since the epoch (faces render ISO 8601);
 * ids follow ids.ts. Nothing here does I/O.
 */
import type { IgnoredCause } from './connectionRules.js';
import type { Filter } from './filterMatch.js';
import type { DestinationRateLimitPeriod } from './destinationRateLimit.js';
import type { RateLimit } from './rateLimit.js';
import type { SourceAuthType } from './sourceAuth.js';
import type { SecretBinding } from './secretBox.js';

export const EVENT_STATUSES = ['SCHEDULED', 'QUEUED', 'HOLD', 'SUCCESSFUL', 'FAILED', 'CANCELLED'] as const;
/**
 * QUEUED: due now (first attempt, or released by unpause/enable). SCHEDULED: waiting for an automatic retry at
 * `next_attempt_at`. HOLD: its connection is paused or inactive. SUCCESSFUL: a 2xx was received. FAILED: retries
 * exhausted (or the status is not retryable). CANCELLED: muted before it succeeded or failed.
 */
export type EventStatus = (typeof EVENT_STATUSES)[number];

export const ATTEMPT_TRIGGERS = ['INITIAL', 'AUTOMATIC', 'MANUAL', 'UNPAUSE', 'BULK_RETRY'] as const;
export type AttemptTrigger = (typeof ATTEMPT_TRIGGERS)[number];

export const ATTEMPT_STATUSES = ['SUCCESSFUL', 'FAILED'] as const;
export type AttemptStatus = (typeof ATTEMPT_STATUSES)[number];

/** Why an attempt got no HTTP response (FACTS.md: Hookdeck's network error codes). */
export const NETWORK_ERROR_CODES = [
  'TIMEOUT',
  'CONNECTION_REFUSED',
  'CONNECTION_RESET',
  'DNS_LOOKUP_FAILED',
  'HOST_UNREACHABLE',
  'SELF_SIGNED_CERT',
  'SSL_CERT_EXPIRED',
  'PROTOCOL_ERROR',
  'SOCKET_CLOSED',
  'CANCELLED',
  'BLOCKED_ADDRESS',
  'UNKNOWN',
] as const;
export type NetworkErrorCode = (typeof NETWORK_ERROR_CODES)[number];

/** Why a request created no event (FACTS.md: request rejection causes). */
export const REJECTION_CAUSES = [
  'SOURCE_DISABLED',
  'NO_CONNECTION',
  'VERIFICATION_FAILED',
  'UNSUPPORTED_HTTP_METHOD',
  'UNSUPPORTED_CONTENT_TYPE',
  'UNPARSABLE_JSON',
  'PAYLOAD_TOO_LARGE',
] as const;
export type RejectionCause = (typeof REJECTION_CAUSES)[number];

export const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

export interface Team {
  id: string;
  name: string;
  createdAt: number;
  updatedAt: number;
}

export interface ApiKey {
  id: string;
  teamId: string;
  /** Lowercase hex SHA-256 of the key; the key itself is never stored. */
  hash: string;
  /** The first characters of the key, to recognise it in a list (`sk_ab12…`). */
  hint: string;
  createdAt: number;
}

export interface SourceConfig {
  allowed_http_methods: HttpMethod[];
  custom_response: { content_type: 'json' | 'text' | 'xml'; body: string } | null;
  /**
   * Source verification (absent on sources stored before it existed = none): the type in clear, the settings
   * (secrets included) sealed with secretBox under the gateway's key, bound to the source (sourceAuthBinding).
   */
  auth?: SealedSourceAuth | null;
  /** Ingest rate limit of the source (absent = none): requests per period, per gateway process. */
  rate_limit?: RateLimit | null;
}

export interface SealedSourceAuth {
  type: SourceAuthType;
  /** The settings as the API shows them (secrets masked), kept in clear so answers need no decryption. */
  shown: Record<string, string>;
  sealed: string;
}

/** What a source's sealed verification settings are bound to: a copy on another source does not decrypt. */
export function sourceAuthBinding(teamId: string, sourceId: string): SecretBinding {
  return { teamId, rowId: sourceId };
}

export interface Source {
  id: string;
  teamId: string;
  name: string;
  description: string | null;
  config: SourceConfig;
  disabledAt: number | null;
  createdAt: number;
  updatedAt: number;
}

/** Config of an `HTTP` destination. Other types (issue 4) keep their own config shape under the same column. */
export interface HttpDestinationConfig {
  url: string;
  http_method: HttpMethod | null; // null = keep the request's method
  /** Attempt timeout in milliseconds. */
  timeout: number;
  headers: Record<string, string>;
  /**
   * With period `concurrent`: attempts in flight at most (null = the gateway default). With second|minute|hour:
   * attempts started per period at most, across every gateway process (destinationRateLimit.ts); the concurrent
   * cap is then the gateway default.
   */
  rate_limit: number | null;
  rate_limit_period: DestinationRateLimitPeriod | null;
}

export interface Destination {
  id: string;
  teamId: string;
  name: string;
  description: string | null;
  /** `HTTP` for the inbound face; an event destination has a catalog type (`webhook`, `aws_sqs`, …). */
  type: string;
  /**
   * The HTTP forwarding config of the inbound face. An event destination has none of its own: it carries
   * EVENT_DESTINATION_ENGINE_CONFIG (gateway concurrency; gateway timeout unless it set its own, see
   * eventDestinationEngineConfig), and its type's config is `outbound.config`.
   */
  config: HttpDestinationConfig;
  disabledAt: number | null;
  createdAt: number;
  updatedAt: number;
  /** Present on event destinations (outbound face, seed 000) only. */
  outbound?: EventDestinationFields;
}

/** What makes a destination an event destination. */
export interface EventDestinationFields {
  /** The name the user gave it (not unique). */
  displayName: string;
  /** Its type's config, as the catalog entry's parseConfig returned it. */
  config: Record<string, unknown>;
  /** The credentials as JSON sealed by secretBox (bound to `eventDestinationSecretBinding`); null when none. */
  credentials: string | null;
  /** Event type patterns (`*`, `task_run.completed`, `task_run.*`); see domain/subscription.ts. */
  subscription: string[];
  /** Attempts in a row that failed (reset by a success and by enabling); auto-disable compares it with its limit. */
  consecutiveFailures: number;
}

/** The engine's view of an event destination's "HTTP config": nothing of its own, the gateway's defaults. */
export const EVENT_DESTINATION_ENGINE_CONFIG: HttpDestinationConfig = Object.freeze({
  url: '',
  http_method: null,
  timeout: 0,
  headers: Object.freeze({}) as Record<string, string>,
  rate_limit: null,
  rate_limit_period: null,
});

/** The engine config of an event destination: the gateway's defaults, except its own timeout when it set one. */
export function eventDestinationEngineConfig(timeoutMs: number | null): HttpDestinationConfig {
  return timeoutMs === null ? EVENT_DESTINATION_ENGINE_CONFIG : { ...EVENT_DESTINATION_ENGINE_CONFIG, timeout: timeoutMs };
}

/** The timeout an event destination set (null: the gateway default), as its engine config carries it. */
export function eventDestinationTimeout(destination: Pick<Destination, 'config'>): number | null {
  return destination.config.timeout > 0 ? destination.config.timeout : null;
}

/** What an event destination's sealed credentials are bound to: a copy on another row or team fails to open. */
export function eventDestinationSecretBinding(teamId: string, destinationId: string): SecretBinding {
  return { teamId, rowId: destinationId };
}

/** What a team's signing secret is bound to: the team is its own row. */
export function teamSecretBinding(teamId: string): SecretBinding {
  return { teamId, rowId: teamId };
}

export interface RetryRule {
  type: 'retry';
  strategy: 'linear' | 'exponential';
  /** Milliseconds before the first retry (exponential: doubles each retry). */
  interval: number;
  /** Retries after the first attempt. */
  count: number;
  /** Which response statuses are retried: `"500-599"`, `">400"`, `"!401"`, `"404"`. Empty/absent = every non-2xx. */
  response_status_codes?: string[];
}

/**
 * Which requests the connection gets events for: each present part must match its filter (domain/filterMatch.ts).
 * Filters are stored as validated JSON.
 */
export interface FilterRule {
  type: 'filter';
  /** Matched against the request's headers (names lower-cased). */
  headers?: Filter;
  /** Matched against the parsed JSON body, or the body as text when it is not JSON. */
  body?: Filter;
  /** Matched against the query string as an object (a repeated name: an array of its values). */
  query?: Filter;
  /** Matched against the path after `/e/:id` (`""` when none). */
  path?: Filter;
}

/** The connection's events are due `delay` milliseconds after the request was received (status SCHEDULED). */
export interface DelayRule {
  type: 'delay';
  delay: number;
}

/**
 * A request identical to one the connection got within `window` milliseconds makes no event (cause
 * DEDUPLICATED): identical bodies, or equal `include_fields`, or bodies equal but for `exclude_fields`
 * (domain/dedupKey.ts). At most one of the two lists.
 */
export interface DeduplicateRule {
  type: 'deduplicate';
  window: number;
  include_fields?: string[];
  exclude_fields?: string[];
}

/**
 * Connection rules (FACTS.md): `retry`, `filter`, `delay` and `deduplicate`. `transform` (user JavaScript) is
 * deliberately not offered (docs/api.md: node:vm is no sandbox).
 */
export type Rule = RetryRule | FilterRule | DelayRule | DeduplicateRule;


export interface Connection {
  id: string;
  teamId: string;
  name: string;
  description: string | null;
  sourceId: string;
  destinationId: string;
  rules: Rule[];
  pausedAt: number | null;
  disabledAt: number | null;
  createdAt: number;
  updatedAt: number;
}

/** An inbound HTTP request as received: the message of the inbound face. Immutable once stored. */
export interface RequestRecord {
  id: string;
  teamId: string;
  sourceId: string;
  method: string;
  /** The path after `/e/:id` (`""` or `/orders/1`), forwarded appended to the destination URL. */
  path: string;
  /** The raw query string without `?` (`""` when none). */
  query: string;
  /** Header names lowercased; repeated headers joined with `, ` (set-cookie kept as sent, joined the same way). */
  headers: Record<string, string>;
  body: Buffer;
  /** True when the body parsed as JSON (then the API shows it parsed). */
  bodyIsJson: boolean;
  rejectionCause: RejectionCause | null;
  /** Ids of the events created for this request. */
  eventIds: string[];
  /** The connections that made no event for it, and why (a filter rule did not match); absent = none. */
  ignored?: IgnoredRoute[];
  createdAt: number;
  /** Present when the message is a published event (outbound face) rather than an inbound request. */
  published?: PublishedEventFields;
}

/** A connection that made no event for a request. */
export interface IgnoredRoute {
  connectionId: string;
  cause: IgnoredCause;
  /** DEDUPLICATED: the event of the request this one repeats (the seed's `duplicate_event_id`). */
  duplicateOf?: string;
}

/** Who published an event: a platform through the API, or Sluice itself (operator events). */
export type EventOrigin = 'api' | 'sluice';

export interface PublishedEventFields {
  /** The id the API shows and receivers deduplicate on: the publisher's own `id`, else the message id. */
  eventId: string;
  /** `object.action`, e.g. `task_run.completed`. */
  eventType: string;
  origin: EventOrigin;
}

/**
 * A published event (seed 000): the message of the outbound face, stored in the requests table. `body` is the
 * event JSON `{id, object, type, data, created_at}`, serialised once at publish and sent as is.
 */
export interface PublishedEvent {
  /** The message id (`evt_…`), internal: list cursors and the deliveries' `request_id`. */
  messageId: string;
  teamId: string;
  /** The event id the API shows (`id`): the publisher's own, else the message id. Unique per team. */
  eventId: string;
  eventType: string;
  body: Buffer;
  origin: EventOrigin;
  createdAt: number;
}

/** A delivery of a published event, as the /v2 API shows it: the engine's event row plus what it delivers. */
export interface DeliveryView {
  delivery: EventRecord;
  eventId: string;
  eventType: string;
  /** Its attempts, oldest first. */
  attempts: AttemptRecord[];
}

export interface EventRecord {
  id: string;
  teamId: string;
  requestId: string;
  connectionId: string;
  sourceId: string;
  destinationId: string;
  duplicateEventId: string | null;
  status: EventStatus;
  attempts: number;
  responseStatus: number | null;
  errorCode: NetworkErrorCode | null;
  lastAttemptAt: number | null;
  nextAttemptAt: number | null;
  successfulAt: number | null;
  createdAt: number;
  updatedAt: number;
}

export interface AttemptRecord {
  id: string;
  teamId: string;
  eventId: string;
  destinationId: string;
  attemptNumber: number;
  trigger: AttemptTrigger;
  status: AttemptStatus;
  responseStatus: number | null;
  errorCode: NetworkErrorCode | null;
  /** Response body, capped (see config `SLUICE_RESPONSE_BODY_LIMIT`); text as received, or a note for binary. */
  body: string | null;
  requestedUrl: string;
  httpMethod: string;
  /** Milliseconds from the event being due to the response (or error). */
  deliveryLatency: number | null;
  /** Milliseconds from sending the request to the response (or error). */
  responseLatency: number | null;
  successfulAt: number | null;
  createdAt: number;
  updatedAt: number;
}
