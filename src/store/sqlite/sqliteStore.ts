/**
 * The embedded store: the storage port on one SQLite file. This class only wires the port's methods to the query
 * modules beside it. Reads run at once (better-sqlite3 is synchronous); every write goes through the group-commit
 * writer, so it shares one durable transaction with the writes issued in the same turn of the event loop and its
 * promise resolves once that transaction is on disk.
 */
import type Database from 'better-sqlite3';
import type {
  ApiKey,
  AttemptRecord,
  Connection,
  DeliveryView,
  Destination,
  EventRecord,
  PublishedEvent,
  RequestRecord,
  Rule,
  Source,
  Team,
} from '../../domain/model.js';
import type {
  AcceptedEvent,
  AttemptFilter,
  AttemptResult,
  BulkRetry,
  ClaimedEvent,
  ClaimOptions,
  ConnectionPatch,
  DeliveryFilter,
  DestinationPatch,
  EventDestinationFilter,
  EventDestinationPatch,
  EventFilter,
  EventMetrics,
  EventMetricsQuery,
  EventPage,
  IdempotencyClaim,
  IdempotencyWindows,
  AcceptedRequest,
  NewEvent,
  NameFilter,
  NewPublishedEvent,
  NewTeam,
  OutboundRoute,
  OutboundStore,
  Page,
  PageQuery,
  PublishedEventFilter,
  RequestFilter,
  SealedSecretKind,
  SealedSecretReplacement,
  SealedSecretRow,
  SourcePatch,
  Store,
} from '../port.js';
import * as attempts from './attempts.js';
import * as bulkRetries from './bulkRetries.js';
import * as claim from './claim.js';
import * as connections from './connections.js';
import * as deliveries from './deliveries.js';
import * as destinations from './destinations.js';
import * as eventDestinations from './eventDestinations.js';
import * as events from './events.js';
import * as idempotency from './idempotency.js';
import { insertRequest, purgeDedupKeys } from './ingest.js';
import { INGEST_LOOKUP_TTL_MS, IngestLookups } from './ingestLookups.js';
import { eventMetrics } from './metrics.js';
import { migrate } from './migrate.js';
import * as published from './published.js';
import * as record from './record.js';
import * as requests from './requests.js';
import { purgeBefore, purgeIdempotencyKeys } from './retention.js';
import * as sealedSecrets from './sealedSecrets.js';
import * as sources from './sources.js';
import { Sql } from './sql.js';
import * as teams from './teams.js';
import { GroupWriter, type GroupWriterOptions } from './writer.js';

export interface SqliteStoreSettings {
  /** How long ingest may reuse a source, connection or active-connection list it read (ingestLookups.ts; 0 = read every time). */
  ingestLookupTtlMs?: number;
  /** The group writer's options (tests inject a slow or failing fsync). */
  writer?: GroupWriterOptions;
}

export class SqliteStore implements Store, OutboundStore {
  private readonly sql: Sql;
  private readonly writer: GroupWriter;
  private readonly lookups: IngestLookups;
  private closed = false;

  constructor(
    private readonly db: Database.Database,
    settings: SqliteStoreSettings = {},
  ) {
    this.sql = new Sql(db);
    this.writer = new GroupWriter(db, settings.writer);
    this.lookups = new IngestLookups(
      {
        source: (id) => sources.getSourceForIngest(this.sql, id),
        connection: (id) => connections.getConnectionForIngest(this.sql, id),
        activeConnections: (sourceId) => connections.listActiveConnectionsOfSource(this.sql, sourceId),
      },
      settings.ingestLookupTtlMs ?? INGEST_LOOKUP_TTL_MS,
    );
  }

  /** Transactions committed so far: concurrent writes should share few of them (tests, metrics). */
  get commits(): number {
    return this.writer.commits;
  }

  /** Waits for the write lock held by another connection to this file (see GroupWriter.lockWaits). */
  get lockWaits(): { count: number; ms: number } {
    return this.writer.lockWaits;
  }

  /** The underlying connection, for SQLite-only diagnostics and tests (EXPLAIN QUERY PLAN). */
  get database(): Database.Database {
    return this.db;
  }

  private write<T>(run: (sql: Sql) => T): Promise<T> {
    return this.writer.submit(() => run(this.sql));
  }

  /**
   * A write that may change what ingest looks up (a source, connection or destination): the cached lookups are
   * dropped when it runs, synchronously, so no ingest can read them between this write and the drop.
   */
  private writeRoutes<T>(run: (sql: Sql) => T): Promise<T> {
    return this.writer.submit(() => {
      this.lookups.invalidate();
      return run(this.sql);
    });
  }

  async migrate(): Promise<void> {
    migrate(this.db);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.writer.close();
    this.db.close();
  }

  // Teams and keys
  createTeam(team: NewTeam, now: number): Promise<Team> {
    return this.write((sql) => teams.insertTeam(sql, team, now));
  }
  async listTeams(): Promise<Team[]> {
    return teams.listTeams(this.sql);
  }
  async getTeam(id: string): Promise<Team | null> {
    return teams.getTeam(this.sql, id);
  }
  async getTeamSigningSecret(id: string): Promise<string | null> {
    return teams.getTeamSigningSecret(this.sql, id);
  }
  setTeamSigningSecret(id: string, encrypted: string, now: number): Promise<void> {
    return this.write((sql) => teams.setTeamSigningSecret(sql, id, encrypted, now));
  }
  createApiKey(key: ApiKey): Promise<void> {
    return this.write((sql) => teams.insertApiKey(sql, key));
  }
  async listApiKeys(teamId: string): Promise<ApiKey[]> {
    return teams.listApiKeys(this.sql, teamId);
  }
  deleteApiKey(teamId: string, keyId: string): Promise<boolean> {
    return this.write((sql) => teams.deleteApiKey(sql, teamId, keyId));
  }
  async findTeamIdByKeyHash(hash: string): Promise<string | null> {
    return teams.findTeamIdByKeyHash(this.sql, hash);
  }

  // Secrets at rest (key rotation)
  async listSealedSecrets(kind: SealedSecretKind, afterRowId: string | null, limit: number): Promise<SealedSecretRow[]> {
    return sealedSecrets.listSealedSecrets(this.sql, kind, afterRowId, limit);
  }
  replaceSealedSecrets(kind: SealedSecretKind, replacements: SealedSecretReplacement[]): Promise<number> {
    return this.writeRoutes((sql) => sealedSecrets.replaceSealedSecrets(sql, kind, replacements));
  }

  // Sources
  createSource(source: Source): Promise<void> {
    return this.writeRoutes((sql) => sources.insertSource(sql, source));
  }
  async getSource(teamId: string, id: string): Promise<Source | null> {
    return sources.getSource(this.sql, teamId, id);
  }
  async getSourceForIngest(id: string): Promise<Source | null> {
    return this.lookups.source(id);
  }
  async listSources(teamId: string, page: PageQuery, filter: NameFilter): Promise<Page<Source>> {
    return sources.listSources(this.sql, teamId, page, filter);
  }
  updateSource(teamId: string, id: string, patch: SourcePatch, now: number): Promise<Source | null> {
    return this.writeRoutes((sql) => sources.updateSource(sql, teamId, id, patch, now));
  }
  setSourceDisabled(teamId: string, id: string, disabledAt: number | null, now: number): Promise<Source | null> {
    return this.writeRoutes((sql) => sources.setSourceDisabled(sql, teamId, id, disabledAt, now));
  }
  deleteSource(teamId: string, id: string, now: number): Promise<boolean> {
    return this.writeRoutes((sql) => sources.deleteSource(sql, teamId, id, now));
  }

  // Destinations
  createDestination(destination: Destination): Promise<void> {
    return this.writeRoutes((sql) => destinations.insertDestination(sql, destination));
  }
  async getDestination(teamId: string, id: string): Promise<Destination | null> {
    return destinations.getDestination(this.sql, teamId, id);
  }
  async listDestinations(teamId: string, page: PageQuery, filter: NameFilter): Promise<Page<Destination>> {
    return destinations.listDestinations(this.sql, teamId, page, filter);
  }
  updateDestination(teamId: string, id: string, patch: DestinationPatch, now: number): Promise<Destination | null> {
    return this.writeRoutes((sql) => destinations.updateDestination(sql, teamId, id, patch, now));
  }
  setDestinationDisabled(teamId: string, id: string, disabledAt: number | null, now: number): Promise<Destination | null> {
    return this.writeRoutes((sql) => destinations.setDestinationDisabled(sql, teamId, id, disabledAt, now));
  }
  deleteDestination(teamId: string, id: string): Promise<'deleted' | 'not_found' | 'in_use'> {
    return this.writeRoutes((sql) => destinations.deleteDestination(sql, teamId, id));
  }

  // Connections
  createConnection(connection: Connection): Promise<void> {
    return this.writeRoutes((sql) => connections.insertConnection(sql, connection));
  }
  async getConnection(teamId: string, id: string): Promise<Connection | null> {
    return connections.getConnection(this.sql, teamId, id);
  }
  async getConnectionForIngest(id: string): Promise<Connection | null> {
    return this.lookups.connection(id);
  }
  async listConnections(
    teamId: string,
    page: PageQuery,
    filter: { sourceId?: string; destinationId?: string; name?: string },
  ): Promise<Page<Connection>> {
    return connections.listConnections(this.sql, teamId, page, filter);
  }
  updateConnection(teamId: string, id: string, patch: ConnectionPatch, now: number): Promise<Connection | null> {
    return this.writeRoutes((sql) => connections.updateConnection(sql, teamId, id, patch, now));
  }
  setConnectionPaused(teamId: string, id: string, pausedAt: number | null, now: number): Promise<Connection | null> {
    return this.writeRoutes((sql) => connections.setConnectionPaused(sql, teamId, id, pausedAt, now));
  }
  setConnectionDisabled(teamId: string, id: string, disabledAt: number | null, now: number): Promise<Connection | null> {
    return this.writeRoutes((sql) => connections.setConnectionDisabled(sql, teamId, id, disabledAt, now));
  }
  deleteConnection(teamId: string, id: string, now: number): Promise<boolean> {
    return this.writeRoutes((sql) => connections.deleteConnection(sql, teamId, id, now));
  }
  async listActiveConnectionsOfSource(sourceId: string): Promise<Connection[]> {
    return this.lookups.activeConnections(sourceId);
  }

  // Ingest
  acceptRequest(request: RequestRecord, newEvents: NewEvent[]): Promise<AcceptedRequest> {
    return this.write((sql) => insertRequest(sql, request, newEvents));
  }

  // Dispatch
  claimDue(options: ClaimOptions): Promise<ClaimedEvent[]> {
    // Prompt: a claim does not wait for the disk (claim.ts calls notDurable), so it is not held for a running fsync.
    return this.writer.submit(() => claim.claimDue(this.sql, options), { prompt: true });
  }
  async loadForManualAttempt(teamId: string, eventId: string): Promise<Omit<ClaimedEvent, 'leaseToken' | 'dueAt'> | null> {
    return events.loadForManualAttempt(this.sql, teamId, eventId);
  }
  recordAttempts(results: AttemptResult[], now: number): Promise<void> {
    // A 410 Gone disables its destination in this write: ingest must stop routing to it at once.
    const write = (sql: Sql) => record.recordAttempts(sql, results, now);
    return results.some((result) => result.gone !== undefined) ? this.writeRoutes(write) : this.write(write);
  }
  releaseClaims(claims: { eventId: string; leaseToken: string }[]): Promise<void> {
    // The port gives no clock here: "due again at once" is the wall clock's now.
    return this.write((sql) => record.releaseClaims(sql, claims, Date.now()));
  }
  /**
   * Makes every leased event due now. Only for a store opened `exclusive`: then no other process can hold a live
   * lease, so the leases left by a crash are released at start instead of when they run out.
   */
  recoverStaleClaims(now: number): Promise<number> {
    return this.write((sql) => record.releaseAllClaims(sql, now));
  }
  async nextDueAt(): Promise<number | null> {
    return claim.nextDueAt(this.sql);
  }

  // Inspect and act
  async listEvents(teamId: string, filter: EventFilter, page: PageQuery): Promise<EventPage> {
    return events.listEvents(this.sql, teamId, filter, page);
  }
  async getEvent(teamId: string, id: string): Promise<EventRecord | null> {
    return events.getEvent(this.sql, teamId, id);
  }
  muteEvent(teamId: string, id: string, now: number): Promise<EventRecord | null> {
    return this.write((sql) => events.muteEvent(sql, teamId, id, now));
  }
  async listRequests(teamId: string, filter: RequestFilter, page: PageQuery): Promise<Page<RequestRecord>> {
    return requests.listRequests(this.sql, teamId, filter, page);
  }
  async getRequest(teamId: string, id: string): Promise<RequestRecord | null> {
    return requests.getRequest(this.sql, teamId, id);
  }
  async listAttempts(teamId: string, filter: AttemptFilter, page: PageQuery): Promise<Page<AttemptRecord>> {
    return attempts.listAttempts(this.sql, teamId, filter, page);
  }
  async getAttempt(teamId: string, id: string): Promise<AttemptRecord | null> {
    return attempts.getAttempt(this.sql, teamId, id);
  }

  // Outbound face
  createEventDestination(destination: Destination, route: { id: string; rules: Rule[] }): Promise<void> {
    return this.writeRoutes((sql) => eventDestinations.insertEventDestination(sql, destination, route));
  }
  async getEventDestination(teamId: string, id: string): Promise<Destination | null> {
    return eventDestinations.getEventDestination(this.sql, teamId, id);
  }
  async listEventDestinations(teamId: string, filter: EventDestinationFilter, page: PageQuery): Promise<Page<Destination>> {
    return eventDestinations.listEventDestinations(this.sql, teamId, filter, page);
  }
  updateEventDestination(teamId: string, id: string, patch: EventDestinationPatch, now: number): Promise<Destination | null> {
    return this.writeRoutes((sql) => eventDestinations.updateEventDestination(sql, teamId, id, patch, now));
  }
  deleteEventDestination(teamId: string, id: string, now: number): Promise<boolean> {
    return this.writeRoutes((sql) => eventDestinations.deleteEventDestination(sql, teamId, id, now));
  }
  async listOutboundRoutes(teamId: string): Promise<OutboundRoute[]> {
    return eventDestinations.listOutboundRoutes(this.sql, teamId);
  }
  acceptEvent(event: NewPublishedEvent): Promise<AcceptedEvent> {
    return this.write((sql) => published.acceptEvent(sql, event));
  }
  async getPublishedEvent(teamId: string, eventId: string): Promise<PublishedEvent | null> {
    return published.getPublishedEvent(this.sql, teamId, eventId);
  }
  async listPublishedEvents(teamId: string, filter: PublishedEventFilter, page: PageQuery): Promise<Page<PublishedEvent>> {
    return published.listPublishedEvents(this.sql, teamId, filter, page);
  }
  async listDeliveries(teamId: string, destinationId: string, filter: DeliveryFilter, page: PageQuery): Promise<Page<DeliveryView>> {
    return deliveries.listDeliveries(this.sql, teamId, destinationId, filter, page);
  }
  async getDelivery(teamId: string, destinationId: string, deliveryId: string): Promise<DeliveryView | null> {
    return deliveries.getDelivery(this.sql, teamId, destinationId, deliveryId);
  }

  // Idempotency-Key
  claimIdempotencyKey(teamId: string, key: string, fingerprint: string, now: number, windows: IdempotencyWindows): Promise<IdempotencyClaim> {
    return this.write((sql) => idempotency.claimIdempotencyKey(sql, teamId, key, fingerprint, now, windows));
  }
  completeIdempotencyKey(teamId: string, key: string, status: number, response: string): Promise<void> {
    return this.write((sql) => idempotency.completeIdempotencyKey(sql, teamId, key, status, response));
  }
  releaseIdempotencyKey(teamId: string, key: string): Promise<void> {
    return this.write((sql) => idempotency.releaseIdempotencyKey(sql, teamId, key));
  }

  // Console: metrics and bulk retries
  async eventMetrics(teamId: string, query: EventMetricsQuery): Promise<EventMetrics> {
    return eventMetrics(this.sql, teamId, query);
  }
  createBulkRetry(job: BulkRetry): Promise<void> {
    return this.write((sql) => bulkRetries.insertBulkRetry(sql, job));
  }
  async getBulkRetry(teamId: string, id: string): Promise<BulkRetry | null> {
    return bulkRetries.getBulkRetry(this.sql, teamId, id);
  }
  async listBulkRetries(teamId: string, page: PageQuery): Promise<Page<BulkRetry>> {
    return bulkRetries.listBulkRetries(this.sql, teamId, page);
  }
  cancelBulkRetry(teamId: string, id: string, now: number): Promise<BulkRetry | null> {
    return this.write((sql) => bulkRetries.cancelBulkRetry(sql, teamId, id, now));
  }
  async listActiveBulkRetryIds(limit: number): Promise<string[]> {
    return bulkRetries.listActiveBulkRetryIds(this.sql, limit);
  }
  runBulkRetryBatch(id: string, batchSize: number, now: number): Promise<{ job: BulkRetry; retried: number } | null> {
    return this.write((sql) => bulkRetries.runBulkRetryBatch(sql, id, batchSize, now));
  }

  // Retention
  purgeBefore(cutoff: number, batch: number): Promise<number> {
    return this.write((sql) => purgeBefore(sql, cutoff, batch));
  }
  purgeIdempotencyKeys(cutoff: number, batch: number): Promise<number> {
    return this.write((sql) => purgeIdempotencyKeys(sql, cutoff, batch));
  }
  purgeBulkRetries(cutoff: number, batch: number): Promise<number> {
    return this.write((sql) => bulkRetries.purgeBulkRetries(sql, cutoff, batch));
  }
  purgeDedupKeys(now: number, batch: number): Promise<number> {
    return this.write((sql) => purgeDedupKeys(sql, now, batch));
  }
}
