/**
 * The publisher port: what every destination type implements. A publisher makes exactly one try and says what
 * happened as a typed outcome; retries, timeouts, concurrency and logging are the dispatcher's (DESIGN.md rule 4).
 */
import type { AttemptTrigger, Destination, NetworkErrorCode, RequestRecord } from '../domain/model.js';
import type { HttpSend } from './http/sender.js';

/** Everything one attempt needs, whatever the destination type. */
export interface PublishInput {
  destination: Destination;
  /** The message: the stored inbound request. */
  request: RequestRecord;
  eventId: string;
  sourceName: string;
  attemptNumber: number;
  trigger: AttemptTrigger;
  /** Wait before the next automatic attempt should this one fail; null when none would follow. */
  willRetryAfterMs: number | null;
  /** The team's signing secret, decrypted. */
  signingSecret: string;
  /** The attempt's time budget (chosen by the dispatcher): connect, send and the whole response within it. */
  timeoutMs: number;
}

/** Where the attempt went, recorded on the attempt (`requested_url`, `http_method`). */
interface Target {
  requestedUrl: string;
  httpMethod: string;
  /** Milliseconds from sending to the response (or the error). */
  responseLatency: number;
}

/** The destination accepted the message (HTTP: a 2xx). */
export interface PublishSuccess extends Target {
  kind: 'success';
  status: number;
  body: string | null;
}

/** The destination answered and refused. Whether that retries is the connection rule's call, not ours. */
export interface PublishRejected extends Target {
  kind: 'rejected';
  status: number;
  body: string | null;
  /** The `Retry-After` the destination asked for, in ms (honoured on 429/503). */
  retryAfterMs?: number;
  /**
   * Set by a destination type when trying again cannot help until its config or credentials change (a missing
   * queue, exchange or bucket, denied access, a malformed request): the dispatcher schedules no automatic retry.
   * Absent = the retry rule decides by `status`. For non-HTTP protocols `status` is the nearest HTTP status
   * (AWS: the SDK's `$metadata.httpStatusCode`; AMQP: the reply code, which uses the same numbers; gRPC: the usual
   * gRPC→HTTP mapping).
   */
  permanent?: boolean;
}

/** No answer at all: the network, TLS, the timeout, or the SSRF guard stopped the attempt. */
export interface PublishUnreachable extends Target {
  kind: 'unreachable';
  errorCode: NetworkErrorCode;
  /** Safe to log: names the cause, never secrets or bodies. */
  message: string;
  /** As on PublishRejected: no automatic retry can help (e.g. BLOCKED_ADDRESS, an endpoint that cannot be used). */
  permanent?: boolean;
}

export type PublishOutcome = PublishSuccess | PublishRejected | PublishUnreachable;

export interface Publisher {
  /** One try. Never throws for a delivery failure: those are outcomes. `signal` aborts it (shutdown). */
  publish(input: PublishInput, signal: AbortSignal): Promise<PublishOutcome>;
  /** Closes pooled connections. */
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------------------------
// Destination types (issue 4): one folder per type under src/destinations/<type>/, each exporting one
// `DestinationType`. The API builds validation and `GET /v2/destination-types` from it; the dispatcher builds one
// publisher per type from it and hands each attempt the destination's config and decrypted credentials.
// ---------------------------------------------------------------------------------------------------------------

/** A field of a type's config or credentials, as `GET /v2/destination-types` describes it to a UI. */
export interface DestinationField {
  key: string;
  label: string;
  type: 'text' | 'url' | 'number' | 'boolean' | 'select' | 'json' | 'secret';
  required: boolean;
  /** Credentials are sensitive: encrypted at rest, never returned in full. */
  sensitive: boolean;
  description: string;
  default?: string | number | boolean;
  /** For `select`. */
  options?: string[];
}

/**
 * What an outbound destination sends for one delivery: the message serialised once (for a published event, the
 * seed 000 event JSON `{id, object, type, data, created_at}`), and its metadata, which each type carries the way
 * its protocol does (HTTP headers, SQS message attributes, AMQP headers, Pub/Sub attributes, S3 object metadata…).
 */
export interface OutboundMessage {
  /** The event id receivers deduplicate on (stable across retries). */
  eventId: string;
  /** `object.action`, e.g. `task_run.completed`. */
  eventType: string;
  /** The bytes to deliver. */
  body: Buffer;
  contentType: string;
  /** When the event was created (ms since epoch). */
  createdAt: number;
  /** Metadata as string pairs: at least `event-id`, `event-type`, `timestamp` (ISO 8601). */
  metadata: Record<string, string>;
  attemptNumber: number;
}

export interface DestinationTarget<C, K> {
  destinationId: string;
  config: C;
  /** Decrypted credentials. */
  credentials: K;
}

export interface TypedPublishOptions {
  timeoutMs: number;
  signal: AbortSignal;
  now: number;
}

/** A type's publisher: one instance per gateway, reusing its clients/connections across messages. */
export interface TypedPublisher<C, K> {
  /** One try; delivery failures are outcomes, never throws. */
  publish(message: OutboundMessage, target: DestinationTarget<C, K>, options: TypedPublishOptions): Promise<PublishOutcome>;
  /** Forget clients held for a destination (its config or credentials changed, or it was deleted). */
  evict(destinationId: string): Promise<void>;
  close(): Promise<void>;
}

export interface DestinationTypeDeps {
  outboundAllowlist: readonly string[];
  responseBodyLimit: number;
  /**
   * The gateway's shared HTTP sender (the HTTP sender thread, http/senderThread.ts), owned and closed by whoever
   * passed it; without it, an HTTP-speaking publisher makes its own in-thread HttpSender.
   */
  httpSender?: HttpSend;
}

export interface DestinationType<C = Record<string, unknown>, K = Record<string, unknown>> {
  /** The identifier of seed 000 (`webhook`, `aws_sqs`, …). */
  type: string;
  label: string;
  description: string;
  configFields: DestinationField[];
  credentialFields: DestinationField[];
  /**
   * Validates and normalises; throws SluiceError VALIDATION_ERROR naming the field (`<type>.<key>`, as the API body
   * spells it) and what to do. Keys of the credential half are ignored, so the whole `<type>` object may be passed
   * to both parse functions; any other unknown key is refused.
   */
  parseConfig(input: unknown): C;
  /**
   * Validates credentials; `previous` are the stored ones on update (a type may keep or generate fields, e.g. the
   * webhook secret when absent, and keep the previous secret during a rotation).
   */
  parseCredentials(input: unknown, previous: K | null, now: number): K;
  /** Credentials as the API may show them: secrets masked (`whsec_…abcd`). */
  maskCredentials(credentials: K): Record<string, unknown>;
  createPublisher(deps: DestinationTypeDeps): TypedPublisher<C, K>;
}
