/**
 * The storage port: every read and write the engine and the API make, in domain verbs. Each dialect
 * (`sqlite/`, later `postgres/`) implements it with hand-written SQL beside it and passes the same conformance
 * suite (test/store/conformance.ts). Every method that takes a `teamId` scopes its query by it: an object of
 * another team is reported as absent (null / false), never returned.
 *
 * Durability: a resolved promise from a write means the write is committed and on disk (fsync'd). Writes from
 * concurrent callers may share one commit (group commit); the promise of each resolves after that commit.
 *
 * Two interfaces: `Store` (the inbound face and the engine) and `OutboundStore` (the outbound face, seed 000); the
 * gateway runs on both (`GatewayStore`).
 */
import type {
  ApiKey,
  AttemptRecord,
  AttemptTrigger,
  Connection,
  DeliveryView,
  Destination,
  EventRecord,
  EventStatus,
  IgnoredRoute,
  NetworkErrorCode,
  PublishedEvent,
  RequestRecord,
  Rule,
  Source,
  Team,
} from '../domain/model.js';
import type { DedupClaim } from '../domain/connectionRules.js';

/** Seed 003 pagination: ids are cursors; `after` = later in the list's order, `before` = earlier. */
export interface PageQuery {
  orderDirection: 'asc' | 'desc';
  limit: number;
  after?: string;
  before?: string;
}

export interface Page<T> {
  models: T[];
  /** Total rows matching the filter, ignoring the cursor. */
  totalCount: number;
  /** Cursor for the next page in the list's order (last model's id), or null when there is none. */
  next: string | null;
  /** Cursor for the previous page (first model's id), or null when there is none. */
  prev: string | null;
}

export interface EventFilter {
  status?: EventStatus[];
  sourceId?: string;
  destinationId?: string;
  connectionId?: string;
  requestId?: string;
  responseStatus?: number[];
  errorCode?: NetworkErrorCode[];
  createdAfter?: number; // inclusive (gte)
  createdBefore?: number; // exclusive (lt)
  /** Only events whose request body contains these bytes, among a bounded number of candidates (see BodySearch). */
  bodyContains?: BodySearch;
}

/**
 * Text search in stored bodies (`GET /events?q=`): a byte-for-byte, case-sensitive substring match of the UTF-8
 * text. No index can serve it, so its cost is bounded: only the newest `scanLimit` events matching the filter's
 * other conditions are searched (the "search window"); older matches are not found, and the page says from when
 * the window starts (`EventPage.searchedFrom`).
 */
export interface BodySearch {
  text: string;
  scanLimit: number;
}

/** A page of events; with a body search whose window was full, the creation time of its oldest event. */
export interface EventPage extends Page<EventRecord> {
  searchedFrom?: number;
}

/** `eventMetrics`: a window cut into equal buckets. */
export interface EventMetricsQuery {
  /** Inclusive; a bucket boundary. */
  from: number;
  /** Exclusive; `from + n × bucketMs`. */
  to: number;
  bucketMs: number;
  /** At most this many failing destinations, the most failing first. */
  failingLimit: number;
}

export interface EventMetrics {
  /** One per bucket, oldest first: the inbound events created in it, by their current status. */
  buckets: { start: number; counts: Record<EventStatus, number> }[];
  /** The team's inbound events waiting for an attempt, whatever their age; `oldestPendingAt` = creation time. */
  backlog: { queued: number; scheduled: number; hold: number; oldestPendingAt: number | null };
  /** Destinations with events created in the window that FAILED or are SCHEDULED for a retry. */
  failingDestinations: { destinationId: string; failed: number; retrying: number; lastAttemptAt: number | null }[];
}

/**
 * A bulk retry (`POST /bulk/events/retry`): the events matching `filter` (bounded above by the creation time, so
 * the set is fixed) are queued for an attempt now, in batches, in id order from `cursor` on.
 */
export interface BulkRetry {
  id: string;
  teamId: string;
  /** The query as the API took it, echoed back. */
  query: Record<string, unknown>;
  filter: EventFilter;
  /** The last event id examined, or null before the first batch. */
  cursor: string | null;
  estimatedCount: number;
  /** Events examined so far. */
  processedCount: number;
  /** Events queued for an attempt (trigger BULK_RETRY). */
  retriedCount: number;
  /** Events examined but not queued: an attempt in flight, held (HOLD), or their connection paused, disabled or gone. */
  skippedCount: number;
  cancelledAt: number | null;
  completedAt: number | null;
  createdAt: number;
  updatedAt: number;
}

export interface RequestFilter {
  sourceId?: string;
  rejectionCause?: string[];
  createdAfter?: number;
  createdBefore?: number;
}

export interface AttemptFilter {
  eventId?: string;
}

/** Ingest: one request and the events it fans out to, committed together. */
export interface NewEvent {
  id: string;
  connectionId: string;
  destinationId: string;
  /** QUEUED (due now) or HOLD (connection paused). */
  status: 'QUEUED' | 'HOLD';
  /**
   * When the first attempt is due (a `delay` rule); absent = at once. Later than the request's time, the event is
   * stored SCHEDULED (unless held: a held event is released due at once).
   */
  dueAt?: number;
  /** A deduplicate rule's claim: the event is made only if no live row has this key for the connection. */
  dedup?: DedupClaim;
}

/** What acceptRequest stored: the events made (duplicates dropped) and the connections ignored. */
export interface AcceptedRequest {
  eventIds: string[];
  ignored: IgnoredRoute[];
}

/** What the dispatcher needs to make one automatic attempt, loaded by a claim. */
export interface ClaimedEvent {
  event: EventRecord;
  /** Proves the claim when recording; a claim whose lease expired and was taken by another loses it. */
  leaseToken: string;
  /** When the event became due (for delivery latency). */
  dueAt: number;
  trigger: AttemptTrigger;
  request: RequestRecord;
  destination: Destination;
  connection: Connection;
  sourceName: string;
}

/** A finished attempt, with what it does to its event. Computed by the dispatcher (pure domain), applied here. */
export interface AttemptResult {
  attempt: AttemptRecord;
  /** The claim's token for automatic attempts; null for manual ones (which never change the schedule on failure). */
  leaseToken: string | null;
  /**
   * On failure of a claimed attempt: when the next automatic attempt is due, or null when retries are exhausted
   * (status FAILED). Ignored on success (status SUCCESSFUL; pending retries cancelled) and for manual attempts.
   * Applied only while the lease is still the caller's; otherwise only the counters change.
   */
  nextAttemptAt: number | null;
  /** Set for deliveries to event destinations: consecutive-failure counting, auto-disable, operator events. */
  outbound?: OutboundRecordEffects;
  /** Set when the destination answered 410 Gone (either face): the record disables it. */
  gone?: DestinationGoneEffects;
}

/**
 * A destination that answered 410 Gone is disabled by the record, in its transaction (its pending events held,
 * status HOLD, until it is enabled again), and `onDisabled` is published only if this record is what disabled it.
 */
export interface DestinationGoneEffects {
  onDisabled: NewPublishedEvent | null;
}

/**
 * Event destinations only (outbound face): what recording an attempt does besides the delivery. The dispatcher
 * prepares the operator events; the store publishes each one only when the record really has that effect, in the
 * same transaction as the attempt, so an alert is neither lost nor sent for something that did not happen.
 */
export interface OutboundRecordEffects {
  /** Disable the destination when its consecutive failures reach this (0 = never). */
  autoDisableAfter: number;
  /** Published if this record disables the destination (its deliveries never include that destination). */
  onDisabled: NewPublishedEvent | null;
  /** Published if this record ends the delivery FAILED (retries exhausted, or a permanent failure). */
  onExhausted: NewPublishedEvent | null;
  /**
   * Called with the destination's consecutive failures as this record counts them (a failure of a destination
   * not yet disabled); the alert it returns, if any, is published in the record's transaction. Before the
   * destination is disabled, so the 100 % alert precedes `destination.disabled`.
   */
  alertAt?: (consecutiveFailures: number) => NewPublishedEvent | null;
}

/** A published event and the deliveries it fans out to, committed together. */
export interface NewPublishedEvent {
  event: PublishedEvent;
  deliveries: NewDelivery[];
}

/** One delivery of a published event: its route (the destination's subscription connection) and destination. */
export interface NewDelivery {
  id: string;
  connectionId: string;
  destinationId: string;
}

export interface AcceptedEvent {
  /** False when the team already had an event with this id: nothing was stored, `event` is the existing one. */
  created: boolean;
  event: PublishedEvent;
  /** The destinations its deliveries went to (for a repeat: the existing deliveries'), in id order. */
  destinationIds: string[];
}

/** An active event destination and its route, as publishing matches them. */
export interface OutboundRoute {
  destinationId: string;
  connectionId: string;
  subscription: string[];
}

export interface EventDestinationPatch {
  displayName?: string;
  config?: Record<string, unknown>;
  /** Sealed credentials. */
  credentials?: string | null;
  subscription?: string[];
  /** Its own attempt timeout in ms; null = back to the gateway default. */
  timeoutMs?: number | null;
  /** true = inactive (pending deliveries held); false = active (held deliveries queued again, counter reset). */
  disabled?: boolean;
}

/** Sources and destinations by name: exactly, or containing a text (case-insensitive; the console's type-ahead). */
export interface NameFilter {
  name?: string;
  nameContains?: string;
}

export interface EventDestinationFilter {
  type?: string[];
  status?: 'active' | 'inactive';
}

export interface PublishedEventFilter {
  types?: string[];
  createdAfter?: number; // inclusive
  createdBefore?: number; // exclusive
}

export interface DeliveryFilter {
  status?: EventStatus[];
  types?: string[];
}

export interface IdempotencyWindows {
  /** Completed records created before this are expired (the replay window, 24 h). */
  expiredBefore: number;
  /** Reservations created before this were abandoned (their request cannot still be running). */
  abandonedBefore: number;
}

/** What an Idempotency-Key lookup found. */
export type IdempotencyClaim =
  | { state: 'new' }
  | { state: 'replay'; status: number; response: string }
  | { state: 'mismatch' }
  | { state: 'in_progress' };

export interface ClaimOptions {
  now: number;
  /** How long the claim holds; after it the event is due again (crash recovery). */
  leaseMs: number;
  /** At most this many events in all. */
  limit: number;
  /** Attempts already running per destination id in this process. */
  inFlight: ReadonlyMap<string, number>;
  /** Concurrency cap for a destination without its own `rate_limit` (period `concurrent`). */
  defaultConcurrency: number;
}

export interface NewTeam {
  id: string;
  name: string;
  /** The team's signing secret, already encrypted (see config `encryptionKey`). */
  signingSecretEncrypted: string;
}

export interface SourcePatch {
  name?: string;
  description?: string | null;
  config?: Source['config'];
}
export interface DestinationPatch {
  name?: string;
  description?: string | null;
  config?: Destination['config'];
}
export interface ConnectionPatch {
  name?: string;
  description?: string | null;
  rules?: Rule[];
}

/**
 * Where secrets sealed by secretBox are stored, one entry per column. Key rotation (`sluice rotate-secrets`) walks
 * every kind; a new kind of stored secret is one entry here and one line in each dialect's `sealedSecrets.ts`.
 */
export const SEALED_SECRET_KINDS = ['team_signing_secret', 'event_destination_credentials', 'source_verification'] as const;
export type SealedSecretKind = (typeof SEALED_SECRET_KINDS)[number];

/** One stored sealed secret and what it is bound to (secretBox's SecretBinding). */
export interface SealedSecretRow {
  teamId: string;
  rowId: string;
  sealed: string;
}

/** Replace `expected` by `sealed` on the row, unless the row changed meanwhile (compare-and-set). */
export interface SealedSecretReplacement {
  rowId: string;
  expected: string;
  sealed: string;
}

export interface Store {
  /** Applies pending migrations; refuses to run against a schema newer than it knows. */
  migrate(): Promise<void>;
  /** Flushes pending writes and closes. */
  close(): Promise<void>;

  // Teams and keys
  createTeam(team: NewTeam, now: number): Promise<Team>;
  listTeams(): Promise<Team[]>;
  getTeam(id: string): Promise<Team | null>;
  getTeamSigningSecret(id: string): Promise<string | null>; // encrypted form
  setTeamSigningSecret(id: string, encrypted: string, now: number): Promise<void>;
  createApiKey(key: ApiKey): Promise<void>;
  listApiKeys(teamId: string): Promise<ApiKey[]>;
  deleteApiKey(teamId: string, keyId: string): Promise<boolean>;
  /** The team an API key (by hash) belongs to, or null. */
  findTeamIdByKeyHash(hash: string): Promise<string | null>;

  // Secrets at rest (key rotation)
  /** Up to `limit` stored secrets of one kind with a row id after `afterRowId` (null = from the start), in row id order. */
  listSealedSecrets(kind: SealedSecretKind, afterRowId: string | null, limit: number): Promise<SealedSecretRow[]>;
  /**
   * Writes the replacements in one durable transaction; a row whose secret is no longer `expected` (rotated or
   * deleted meanwhile) is left alone. Nothing else on the row changes (not `updated_at`: the secret is the same).
   * Returns the rows replaced.
   */
  replaceSealedSecrets(kind: SealedSecretKind, replacements: SealedSecretReplacement[]): Promise<number>;

  // Sources
  createSource(source: Source): Promise<void>;
  getSource(teamId: string, id: string): Promise<Source | null>;
  /** Ingest lookup, not scoped: the source id in the URL is the credential of the ingest endpoint. */
  getSourceForIngest(id: string): Promise<Source | null>;
  listSources(teamId: string, page: PageQuery, filter: NameFilter): Promise<Page<Source>>;
  updateSource(teamId: string, id: string, patch: SourcePatch, now: number): Promise<Source | null>;
  setSourceDisabled(teamId: string, id: string, disabledAt: number | null, now: number): Promise<Source | null>;
  /** Deletes the source, its connections, and holds nothing: their pending events are cancelled. */
  deleteSource(teamId: string, id: string, now: number): Promise<boolean>;

  // Destinations
  createDestination(destination: Destination): Promise<void>;
  getDestination(teamId: string, id: string): Promise<Destination | null>;
  listDestinations(teamId: string, page: PageQuery, filter: NameFilter): Promise<Page<Destination>>;
  updateDestination(teamId: string, id: string, patch: DestinationPatch, now: number): Promise<Destination | null>;
  /** Disabling holds the destination's pending events (HOLD); enabling queues them again with trigger UNPAUSE. */
  setDestinationDisabled(teamId: string, id: string, disabledAt: number | null, now: number): Promise<Destination | null>;
  /** Fails with CONFLICT (returns 'in_use') while connections point at it. */
  deleteDestination(teamId: string, id: string): Promise<'deleted' | 'not_found' | 'in_use'>;

  // Connections
  createConnection(connection: Connection): Promise<void>;
  getConnection(teamId: string, id: string): Promise<Connection | null>;
  /** Ingest lookup by connection id (`POST /e/web_…`), not scoped: like a source id, the id in the URL is the credential. */
  getConnectionForIngest(id: string): Promise<Connection | null>;
  listConnections(
    teamId: string,
    page: PageQuery,
    filter: { sourceId?: string; destinationId?: string; name?: string },
  ): Promise<Page<Connection>>;
  updateConnection(teamId: string, id: string, patch: ConnectionPatch, now: number): Promise<Connection | null>;
  /** Pause/disable hold pending events (HOLD); unpause/enable queue them again (trigger UNPAUSE). */
  setConnectionPaused(teamId: string, id: string, pausedAt: number | null, now: number): Promise<Connection | null>;
  setConnectionDisabled(teamId: string, id: string, disabledAt: number | null, now: number): Promise<Connection | null>;
  /** Deletes the connection and cancels its pending events. */
  deleteConnection(teamId: string, id: string, now: number): Promise<boolean>;
  /** Ingest fan-out: the source's connections that are not disabled and whose destination is not disabled. */
  listActiveConnectionsOfSource(sourceId: string): Promise<Connection[]>;

  // Ingest
  /** Stores the request and its events in one durable transaction (group commit). */
  acceptRequest(request: RequestRecord, events: NewEvent[]): Promise<AcceptedRequest>;

  // Dispatch
  /** Leases due events (QUEUED/SCHEDULED with `due_at <= now`), honouring per-destination concurrency. */
  claimDue(options: ClaimOptions): Promise<ClaimedEvent[]>;
  /** Loads what a manual attempt needs (no lease). */
  loadForManualAttempt(teamId: string, eventId: string): Promise<Omit<ClaimedEvent, 'leaseToken' | 'dueAt'> | null>;
  /** Records finished attempts and updates their events, in one durable transaction for the batch. */
  recordAttempts(results: AttemptResult[], now: number): Promise<void>;
  /** Gives up claims without an attempt (shutdown): the events are due again at once. */
  releaseClaims(claims: { eventId: string; leaseToken: string }[]): Promise<void>;
  /** The earliest `due_at` of any claimable event, or null: the dispatcher's next wake-up. */
  nextDueAt(): Promise<number | null>;

  // Inspect and act
  listEvents(teamId: string, filter: EventFilter, page: PageQuery): Promise<EventPage>;
  getEvent(teamId: string, id: string): Promise<EventRecord | null>;
  /** Cancels automatic retries: next_attempt_at null; status CANCELLED unless SUCCESSFUL or FAILED. */
  muteEvent(teamId: string, id: string, now: number): Promise<EventRecord | null>;
  listRequests(teamId: string, filter: RequestFilter, page: PageQuery): Promise<Page<RequestRecord>>;
  getRequest(teamId: string, id: string): Promise<RequestRecord | null>;
  listAttempts(teamId: string, filter: AttemptFilter, page: PageQuery): Promise<Page<AttemptRecord>>;
  getAttempt(teamId: string, id: string): Promise<AttemptRecord | null>;

  // Console: metrics and bulk retries
  /**
   * Counts for the overview, of the inbound face's events only. Every count reads the (team_id, status, id) index
   * over id ranges (ids start with their creation time), so the cost follows the number of buckets and of events
   * in the window, never the table's size; failing destinations read the failed and retrying events of the window.
   */
  eventMetrics(teamId: string, query: EventMetricsQuery): Promise<EventMetrics>;
  createBulkRetry(job: BulkRetry): Promise<void>;
  getBulkRetry(teamId: string, id: string): Promise<BulkRetry | null>;
  listBulkRetries(teamId: string, page: PageQuery): Promise<Page<BulkRetry>>;
  /** Stops it (no more batches); a finished one is answered as it is. */
  cancelBulkRetry(teamId: string, id: string, now: number): Promise<BulkRetry | null>;
  /** Unfinished bulk retries of every team, oldest first (for the runner, not scoped). */
  listActiveBulkRetryIds(limit: number): Promise<string[]>;
  /**
   * Runs the next batch of a bulk retry in one transaction: examines up to `batchSize` matching events after the
   * cursor and queues each one that can be (status QUEUED, due now, trigger BULK_RETRY), advances the cursor and
   * the counters, and marks it completed after the last batch. Concurrent callers never queue an event twice per
   * batch. Returns the job after the batch and how many events it queued (null when there is no such job).
   */
  runBulkRetryBatch(id: string, batchSize: number, now: number): Promise<{ job: BulkRetry; retried: number } | null>;

  // Retention
  /**
   * Deletes up to `batch` of the oldest messages (inbound requests and published events) created before `cutoff`,
   * with their events (deliveries) and attempts. Returns messages deleted.
   */
  purgeBefore(cutoff: number, batch: number): Promise<number>;
  /**
   * Deletes up to `batch` finished bulk retries (completed or cancelled) that finished before `cutoff`, oldest
   * first; unfinished ones are never deleted (the runner still needs them). Returns jobs deleted.
   */
  purgeBulkRetries(cutoff: number, batch: number): Promise<number>;
  /**
   * Deletes up to `batch` deduplication keys (deduplicate rules) that expired at or before `now`, earliest expiry
   * first; live keys are never deleted. Returns keys deleted.
   */
  purgeDedupKeys(now: number, batch: number): Promise<number>;
}

/**
 * The outbound face's verbs (seed 000), a port of their own so that a dialect can implement the inbound face and the
 * engine (`Store`) first. The gateway needs both (`GatewayStore`); each dialect runs the same conformance suite.
 * Recording attempts (`Store.recordAttempts`) also applies `AttemptResult.outbound` for deliveries.
 */
export interface OutboundStore {
  // Event destinations are destinations with `outbound` set. The inbound face's verbs (Store) never list or
  // return the outbound face's config objects (event destinations, the platform source, the subscription
  // connections), and their lists leave out published events, deliveries and their attempts. The engine's by-id
  // verbs (getEvent, muteEvent, loadForManualAttempt…) serve both faces: the API keeps each face to its ids by prefix.

  /** Creates the destination and its route (an implicit connection from the team's platform source, `route`). */
  createEventDestination(destination: Destination, route: { id: string; rules: Rule[] }): Promise<void>;
  getEventDestination(teamId: string, id: string): Promise<Destination | null>;
  listEventDestinations(teamId: string, filter: EventDestinationFilter, page: PageQuery): Promise<Page<Destination>>;
  /**
   * Applies the patch in one transaction. Disabling holds pending deliveries; enabling resets the consecutive
   * failures and queues held deliveries again (trigger UNPAUSE).
   */
  updateEventDestination(teamId: string, id: string, patch: EventDestinationPatch, now: number): Promise<Destination | null>;
  /** Deletes it and its route; its pending deliveries are cancelled (the delivery log stays until retention). */
  deleteEventDestination(teamId: string, id: string, now: number): Promise<boolean>;
  /** The team's active event destinations with their subscriptions: what publishing matches against. */
  listOutboundRoutes(teamId: string): Promise<OutboundRoute[]>;

  /**
   * Stores a published event and its deliveries in one durable transaction. An event whose id the team already
   * used is not stored again (the existing one is answered). A delivery whose destination was deleted or disabled
   * since it was matched is left out (see `destinationIds`).
   */
  acceptEvent(published: NewPublishedEvent): Promise<AcceptedEvent>;
  /** By the event id the API shows (the publisher's own id, or the generated one). */
  getPublishedEvent(teamId: string, eventId: string): Promise<PublishedEvent | null>;
  /** Newest first by default; cursors are message ids (`messageId`). */
  listPublishedEvents(teamId: string, filter: PublishedEventFilter, page: PageQuery): Promise<Page<PublishedEvent>>;
  /** An event destination's deliveries with their attempts; cursors are delivery ids. */
  listDeliveries(teamId: string, destinationId: string, filter: DeliveryFilter, page: PageQuery): Promise<Page<DeliveryView>>;
  getDelivery(teamId: string, destinationId: string, deliveryId: string): Promise<DeliveryView | null>;

  // Idempotency-Key (/v2)
  /**
   * Looks the key up and, when it is new (or its record expired or was abandoned), reserves it for this request
   * (`fingerprint`): a repeat is answered `in_progress` until `completeIdempotencyKey` stores the answer.
   */
  claimIdempotencyKey(teamId: string, key: string, fingerprint: string, now: number, windows: IdempotencyWindows): Promise<IdempotencyClaim>;
  /** Stores the answer to replay. */
  completeIdempotencyKey(teamId: string, key: string, status: number, response: string): Promise<void>;
  /** Forgets a reservation whose request did not succeed, so the key can be used again. */
  releaseIdempotencyKey(teamId: string, key: string): Promise<void>;

  // Retention
  /** Deletes up to `batch` idempotency keys created before `cutoff`. Returns keys deleted. (Published events go
   *  with `Store.purgeBefore`, like every message.) */
  purgeIdempotencyKeys(cutoff: number, batch: number): Promise<number>;
}

/** What one round of partition maintenance did: partitions created ahead, and expired ones dropped (by name). */
export interface PartitionMaintenance {
  created: string[];
  dropped: string[];
}

/**
 * A store whose message, delivery and attempt tables are partitioned by time (PostgreSQL): retention drops whole
 * partitions past the cutoff before it purges the rest row by row, and new partitions are made ahead of time.
 */
export interface TimePartitionedStore {
  maintainPartitions(now: number, cutoff: number): Promise<PartitionMaintenance>;
}

/** What the gateway runs on: the inbound face and engine, and the outbound face. */
export type GatewayStore = Store & OutboundStore;
