/**
 * The scale-out store: the storage port on PostgreSQL. This class only wires the port's methods to the query
 * modules beside it. Reads run on the pool (each statement its own snapshot); every write goes through the
 * group-commit writer (writer.ts), so it shares one durable transaction with the writes issued in the same turn
 * of the event loop, each in its own savepoint. Claims run in a transaction of their own (claim.ts): they take
 * row and advisory locks that must be held as briefly as possible, and a lost claim costs nothing (the events
 * simply stay due). Retention runs as one statement of its own, outside the batches, for the same reason.
 */
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
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
  Page,
  PageQuery,
  PublishedEventFilter,
  RequestFilter,
  SealedSecretKind,
  SealedSecretReplacement,
  SealedSecretRow,
  SourcePatch,
  GatewayStore,
  PartitionMaintenance,
  TimePartitionedStore,
} from '../port.js';
import { ActiveConnectionsCache } from './activeConnectionsCache.js';
import * as attempts from './attempts.js';
import * as bulkRetries from './bulkRetries.js';
import * as claim from './claim.js';
import * as connections from './connections.js';
import { Db } from './db.js';
import * as deliveries from './deliveries.js';
import * as destinations from './destinations.js';
import * as eventDestinations from './eventDestinations.js';
import * as events from './events.js';
import * as idempotency from './idempotency.js';
import { INGESTS, purgeDedupKeys } from './ingest.js';
import { eventMetrics } from './metrics.js';
import { migrate } from './migrate.js';
import { ensurePartitions, maintainPartitions } from './partitions.js';
import * as published from './published.js';
import * as record from './record.js';
import { attemptsAlreadyRecorded } from './recordRedo.js';
import * as requests from './requests.js';
import { purgeBefore, purgeIdempotencyKeys } from './retention.js';
import * as sealedSecrets from './sealedSecrets.js';
import * as sources from './sources.js';
import * as teams from './teams.js';
import { GroupWriter, type Op, type Tx } from './writer.js';

export interface PostgresStoreSettings {
  schema: string | null;
  channel: string;
  writeLanes: number;
  maxBatch: number;
  /** A retry due within this many ms wakes the workers (they would otherwise find it at their next poll). */
  wakeWithinMs: number;
  /** How long ingest may reuse a source's active connections (activeConnectionsCache.ts; 0 = read every time). */
  activeConnectionsTtlMs: number;
}

export class PostgresStore implements GatewayStore, TimePartitionedStore {
  private readonly db: Db;
  private readonly writer: GroupWriter;
  private readonly activeConnections: ActiveConnectionsCache;
  /** This store's leases carry it (claim.ts): one id per open store, i.e. per process. */
  readonly leaseOwner = randomUUID();
  private closed = false;

  constructor(
    private readonly pg: pg.Pool,
    private readonly settings: PostgresStoreSettings,
  ) {
    this.db = new Db(pg);
    this.writer = new GroupWriter(pg, { lanes: settings.writeLanes, maxBatch: settings.maxBatch, channel: settings.channel });
    this.activeConnections = new ActiveConnectionsCache((sourceId) => connections.listActiveConnectionsOfSource(this.db, sourceId), settings.activeConnectionsTtlMs);
  }

  /** Transactions committed by the writer so far: concurrent writes should share few of them (tests, metrics). */
  get commits(): number {
    return this.writer.commits;
  }

  /** The pool, for PostgreSQL-only diagnostics and tests (EXPLAIN, pg_settings). */
  get pool(): pg.Pool {
    return this.pg;
  }

  /** The channel this store notifies when events fall due: pass it to `listenForDue`. */
  get channel(): string {
    return this.settings.channel;
  }

  private write<T>(op: Op<T>): Promise<T> {
    return this.writer.submit(op);
  }

  /** A write that may change which connections of a source are active: ingest's cached lists are dropped after it. */
  private async writeRoutes<T>(op: Op<T>): Promise<T> {
    try {
      return await this.write(op);
    } finally {
      this.activeConnections.invalidate();
    }
  }

  /** Applies the migrations, then creates the time partitions this week and the next ones need (partitions.ts). */
  async migrate(): Promise<void> {
    await migrate(this.pg, { schema: this.settings.schema });
    await ensurePartitions(this.pg, Date.now());
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.writer.close();
    await this.pg.end();
  }

  // Teams and keys
  createTeam(team: NewTeam, now: number): Promise<Team> {
    return this.write((tx) => teams.insertTeam(tx.db, team, now));
  }
  listTeams(): Promise<Team[]> {
    return teams.listTeams(this.db);
  }
  getTeam(id: string): Promise<Team | null> {
    return teams.getTeam(this.db, id);
  }
  getTeamSigningSecret(id: string): Promise<string | null> {
    return teams.getTeamSigningSecret(this.db, id);
  }
  setTeamSigningSecret(id: string, encrypted: string, now: number): Promise<void> {
    return this.write((tx) => teams.setTeamSigningSecret(tx.db, id, encrypted, now));
  }
  createApiKey(key: ApiKey): Promise<void> {
    return this.write((tx) => teams.insertApiKey(tx.db, key));
  }
  listApiKeys(teamId: string): Promise<ApiKey[]> {
    return teams.listApiKeys(this.db, teamId);
  }
  deleteApiKey(teamId: string, keyId: string): Promise<boolean> {
    return this.write((tx) => teams.deleteApiKey(tx.db, teamId, keyId));
  }
  findTeamIdByKeyHash(hash: string): Promise<string | null> {
    return teams.findTeamIdByKeyHash(this.db, hash);
  }

  // Secrets at rest (key rotation)
  listSealedSecrets(kind: SealedSecretKind, afterRowId: string | null, limit: number): Promise<SealedSecretRow[]> {
    return sealedSecrets.listSealedSecrets(this.db, kind, afterRowId, limit);
  }
  replaceSealedSecrets(kind: SealedSecretKind, replacements: SealedSecretReplacement[]): Promise<number> {
    return this.write((tx) => sealedSecrets.replaceSealedSecrets(tx.db, kind, replacements));
  }

  // Sources
  createSource(source: Source): Promise<void> {
    return this.writeRoutes((tx) => sources.insertSource(tx.db, source));
  }
  getSource(teamId: string, id: string): Promise<Source | null> {
    return sources.getSource(this.db, teamId, id);
  }
  getSourceForIngest(id: string): Promise<Source | null> {
    return sources.getSourceForIngest(this.db, id);
  }
  listSources(teamId: string, page: PageQuery, filter: NameFilter): Promise<Page<Source>> {
    return sources.listSources(this.db, teamId, page, filter);
  }
  updateSource(teamId: string, id: string, patch: SourcePatch, now: number): Promise<Source | null> {
    return this.writeRoutes((tx) => sources.updateSource(tx.db, teamId, id, patch, now));
  }
  setSourceDisabled(teamId: string, id: string, disabledAt: number | null, now: number): Promise<Source | null> {
    return this.writeRoutes((tx) => sources.setSourceDisabled(tx.db, teamId, id, disabledAt, now));
  }
  deleteSource(teamId: string, id: string, now: number): Promise<boolean> {
    return this.writeRoutes((tx) => sources.deleteSource(tx.db, teamId, id, now));
  }

  // Destinations
  createDestination(destination: Destination): Promise<void> {
    return this.write((tx) => destinations.insertDestination(tx.db, destination));
  }
  getDestination(teamId: string, id: string): Promise<Destination | null> {
    return destinations.getDestination(this.db, teamId, id);
  }
  listDestinations(teamId: string, page: PageQuery, filter: NameFilter): Promise<Page<Destination>> {
    return destinations.listDestinations(this.db, teamId, page, filter);
  }
  updateDestination(teamId: string, id: string, patch: DestinationPatch, now: number): Promise<Destination | null> {
    return this.writeRoutes((tx) => destinations.updateDestination(tx.db, teamId, id, patch, now));
  }
  setDestinationDisabled(teamId: string, id: string, disabledAt: number | null, now: number): Promise<Destination | null> {
    return this.writeRoutes((tx) => destinations.setDestinationDisabled(tx, teamId, id, disabledAt, now));
  }
  deleteDestination(teamId: string, id: string): Promise<'deleted' | 'not_found' | 'in_use'> {
    return this.writeRoutes((tx) => destinations.deleteDestination(tx.db, teamId, id));
  }

  // Connections
  createConnection(connection: Connection): Promise<void> {
    return this.writeRoutes((tx) => connections.insertConnection(tx.db, connection));
  }
  getConnection(teamId: string, id: string): Promise<Connection | null> {
    return connections.getConnection(this.db, teamId, id);
  }
  getConnectionForIngest(id: string): Promise<Connection | null> {
    return connections.getConnectionForIngest(this.db, id);
  }
  listConnections(
    teamId: string,
    page: PageQuery,
    filter: { sourceId?: string; destinationId?: string; name?: string },
  ): Promise<Page<Connection>> {
    return connections.listConnections(this.db, teamId, page, filter);
  }
  updateConnection(teamId: string, id: string, patch: ConnectionPatch, now: number): Promise<Connection | null> {
    return this.writeRoutes((tx) => connections.updateConnection(tx.db, teamId, id, patch, now));
  }
  setConnectionPaused(teamId: string, id: string, pausedAt: number | null, now: number): Promise<Connection | null> {
    return this.writeRoutes((tx) => connections.setConnectionPaused(tx, teamId, id, pausedAt, now));
  }
  setConnectionDisabled(teamId: string, id: string, disabledAt: number | null, now: number): Promise<Connection | null> {
    return this.writeRoutes((tx) => connections.setConnectionDisabled(tx, teamId, id, disabledAt, now));
  }
  deleteConnection(teamId: string, id: string, now: number): Promise<boolean> {
    return this.writeRoutes((tx) => connections.deleteConnection(tx.db, teamId, id, now));
  }
  listActiveConnectionsOfSource(sourceId: string): Promise<Connection[]> {
    return this.activeConnections.get(sourceId);
  }

  // Ingest
  acceptRequest(request: RequestRecord, newEvents: NewEvent[]): Promise<AcceptedRequest> {
    return this.writer.submitMerged(INGESTS, { request, events: newEvents });
  }

  // Dispatch
  claimDue(options: ClaimOptions): Promise<ClaimedEvent[]> {
    if (this.closed) return Promise.reject(new Error('The store is closed; open it again to claim.'));
    return claim.claimDue(this.pg, options, this.leaseOwner);
  }
  loadForManualAttempt(teamId: string, eventId: string): Promise<Omit<ClaimedEvent, 'leaseToken' | 'dueAt'> | null> {
    return events.loadForManualAttempt(this.db, teamId, eventId);
  }
  recordAttempts(results: AttemptResult[], now: number): Promise<void> {
    const write = async (tx: Tx): Promise<void> => {
      if (await attemptsAlreadyRecorded(tx, results)) return;
      await record.recordAttempts(tx, results, now, this.settings.wakeWithinMs);
    };
    // A 410 answer disables its destination (goneDestination.ts).
    return results.some((r) => r.gone !== undefined) ? this.writeRoutes(write) : this.write(write);
  }
  releaseClaims(claims: { eventId: string; leaseToken: string }[]): Promise<void> {
    // The port gives no clock here: "due again at once" is the wall clock's now.
    return this.write((tx) => record.releaseClaims(tx, claims, Date.now()));
  }
  nextDueAt(): Promise<number | null> {
    return claim.nextDueAt(this.db);
  }

  // Inspect and act
  listEvents(teamId: string, filter: EventFilter, page: PageQuery): Promise<EventPage> {
    return events.listEvents(this.db, teamId, filter, page);
  }
  getEvent(teamId: string, id: string): Promise<EventRecord | null> {
    return events.getEvent(this.db, teamId, id);
  }
  muteEvent(teamId: string, id: string, now: number): Promise<EventRecord | null> {
    return this.write((tx) => events.muteEvent(tx.db, teamId, id, now));
  }
  listRequests(teamId: string, filter: RequestFilter, page: PageQuery): Promise<Page<RequestRecord>> {
    return requests.listRequests(this.db, teamId, filter, page);
  }
  getRequest(teamId: string, id: string): Promise<RequestRecord | null> {
    return requests.getRequest(this.db, teamId, id);
  }
  listAttempts(teamId: string, filter: AttemptFilter, page: PageQuery): Promise<Page<AttemptRecord>> {
    return attempts.listAttempts(this.db, teamId, filter, page);
  }
  getAttempt(teamId: string, id: string): Promise<AttemptRecord | null> {
    return attempts.getAttempt(this.db, teamId, id);
  }

  // Outbound face
  createEventDestination(destination: Destination, route: { id: string; rules: Rule[] }): Promise<void> {
    return this.write((tx) => eventDestinations.insertEventDestination(tx.db, destination, route));
  }
  getEventDestination(teamId: string, id: string): Promise<Destination | null> {
    return eventDestinations.getEventDestination(this.db, teamId, id);
  }
  listEventDestinations(teamId: string, filter: EventDestinationFilter, page: PageQuery): Promise<Page<Destination>> {
    return eventDestinations.listEventDestinations(this.db, teamId, filter, page);
  }
  updateEventDestination(teamId: string, id: string, patch: EventDestinationPatch, now: number): Promise<Destination | null> {
    return this.write((tx) => eventDestinations.updateEventDestination(tx, teamId, id, patch, now));
  }
  deleteEventDestination(teamId: string, id: string, now: number): Promise<boolean> {
    return this.write((tx) => eventDestinations.deleteEventDestination(tx.db, teamId, id, now));
  }
  listOutboundRoutes(teamId: string): Promise<OutboundRoute[]> {
    return eventDestinations.listOutboundRoutes(this.db, teamId);
  }
  acceptEvent(event: NewPublishedEvent): Promise<AcceptedEvent> {
    return this.write((tx) => published.acceptEvent(tx, event));
  }
  getPublishedEvent(teamId: string, eventId: string): Promise<PublishedEvent | null> {
    return published.getPublishedEvent(this.db, teamId, eventId);
  }
  listPublishedEvents(teamId: string, filter: PublishedEventFilter, page: PageQuery): Promise<Page<PublishedEvent>> {
    return published.listPublishedEvents(this.db, teamId, filter, page);
  }
  listDeliveries(teamId: string, destinationId: string, filter: DeliveryFilter, page: PageQuery): Promise<Page<DeliveryView>> {
    return deliveries.listDeliveries(this.db, teamId, destinationId, filter, page);
  }
  getDelivery(teamId: string, destinationId: string, deliveryId: string): Promise<DeliveryView | null> {
    return deliveries.getDelivery(this.db, teamId, destinationId, deliveryId);
  }

  // Idempotency-Key
  claimIdempotencyKey(teamId: string, key: string, fingerprint: string, now: number, windows: IdempotencyWindows): Promise<IdempotencyClaim> {
    return this.write((tx) => idempotency.claimIdempotencyKey(tx.db, teamId, key, fingerprint, now, windows));
  }
  completeIdempotencyKey(teamId: string, key: string, status: number, response: string): Promise<void> {
    return this.write((tx) => idempotency.completeIdempotencyKey(tx.db, teamId, key, status, response));
  }
  releaseIdempotencyKey(teamId: string, key: string): Promise<void> {
    return this.write((tx) => idempotency.releaseIdempotencyKey(tx.db, teamId, key));
  }

  // Console: metrics and bulk retries
  eventMetrics(teamId: string, query: EventMetricsQuery): Promise<EventMetrics> {
    return eventMetrics(this.db, teamId, query);
  }
  createBulkRetry(job: BulkRetry): Promise<void> {
    return this.write((tx) => bulkRetries.insertBulkRetry(tx.db, job));
  }
  getBulkRetry(teamId: string, id: string): Promise<BulkRetry | null> {
    return bulkRetries.getBulkRetry(this.db, teamId, id);
  }
  listBulkRetries(teamId: string, page: PageQuery): Promise<Page<BulkRetry>> {
    return bulkRetries.listBulkRetries(this.db, teamId, page);
  }
  cancelBulkRetry(teamId: string, id: string, now: number): Promise<BulkRetry | null> {
    return this.write((tx) => bulkRetries.cancelBulkRetry(tx.db, teamId, id, now));
  }
  listActiveBulkRetryIds(limit: number): Promise<string[]> {
    return bulkRetries.listActiveBulkRetryIds(this.db, limit);
  }
  runBulkRetryBatch(id: string, batchSize: number, now: number): Promise<{ job: BulkRetry; retried: number } | null> {
    return this.write((tx) => bulkRetries.runBulkRetryBatch(tx, id, batchSize, now));
  }

  // Retention
  purgeBefore(cutoff: number, batch: number): Promise<number> {
    if (this.closed) return Promise.reject(new Error('The store is closed; open it again to write.'));
    return purgeBefore(this.db, cutoff, batch);
  }
  /** Partitions ahead of `now`, and those wholly before `cutoff` dropped (run by the retention job before its purge). */
  maintainPartitions(now: number, cutoff: number): Promise<PartitionMaintenance> {
    if (this.closed) return Promise.reject(new Error('The store is closed; open it again to write.'));
    return maintainPartitions(this.pg, now, cutoff);
  }
  purgeIdempotencyKeys(cutoff: number, batch: number): Promise<number> {
    if (this.closed) return Promise.reject(new Error('The store is closed; open it again to write.'));
    return purgeIdempotencyKeys(this.db, cutoff, batch);
  }
  purgeBulkRetries(cutoff: number, batch: number): Promise<number> {
    if (this.closed) return Promise.reject(new Error('The store is closed; open it again to write.'));
    return bulkRetries.purgeBulkRetries(this.db, cutoff, batch);
  }
  purgeDedupKeys(now: number, batch: number): Promise<number> {
    if (this.closed) return Promise.reject(new Error('The store is closed; open it again to write.'));
    return purgeDedupKeys(this.db, now, batch);
  }
}
