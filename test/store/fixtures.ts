/**
 * Builders for the storage conformance suite: records shaped as the API would create them, with ids made by
 * src/domain/ids.ts at the record's creation time (as the gateway does: retention and paging rely on it). Times
 * are relative to T0, one day before the suite started, so a claim `now` near T0 sits in the past of the wall
 * clock (releaseClaims uses the wall clock) and `Date.now()` is later than every fixture.
 */
import { newId } from '../../src/domain/ids.js';
import type {
  AttemptRecord,
  AttemptTrigger,
  Connection,
  Destination,
  EventRecord,
  NetworkErrorCode,
  RequestRecord,
  Source,
} from '../../src/domain/model.js';
import type { NewEvent, Store } from '../../src/store/port.js';

export const T0 = Date.now() - 24 * 3600_000;

export interface StoreHarness {
  store: Store;
  /** Opens the same database again (after `store.close()`), when the dialect can. */
  reopen?: () => Promise<Store>;
  /** Closes whatever is still open and removes the database. */
  cleanup: () => Promise<void>;
}
export type OpenStore = () => Promise<StoreHarness>;

/** Runs `fn` on a fresh, migrated store, cleaned up afterwards whatever happens. */
export async function withStore(open: OpenStore, fn: (store: Store, harness: StoreHarness) => Promise<void>): Promise<void> {
  const harness = await open();
  try {
    await fn(harness.store, harness);
  } finally {
    await harness.cleanup();
  }
}

let counter = 0;
/** A name no other fixture has. */
export function uniqueName(prefix: string): string {
  counter += 1;
  return `${prefix}-${counter}`;
}

export async function newTeam(store: Store, at: number = T0): Promise<string> {
  const id = newId('team', at);
  await store.createTeam({ id, name: uniqueName('team'), signingSecretEncrypted: `enc:${id}` }, at);
  return id;
}

export function aSource(teamId: string, over: Partial<Source> = {}, at: number = T0): Source {
  return {
    id: newId('source', at),
    teamId,
    name: uniqueName('source'),
    description: null,
    config: { allowed_http_methods: ['POST', 'PUT'], custom_response: null },
    disabledAt: null,
    createdAt: at,
    updatedAt: at,
    ...over,
  };
}

export function aDestination(teamId: string, over: Partial<Destination> = {}, at: number = T0): Destination {
  return {
    id: newId('destination', at),
    teamId,
    name: uniqueName('destination'),
    description: 'where it goes',
    type: 'HTTP',
    config: { url: 'https://example.test/hook', http_method: null, timeout: 5000, headers: { 'x-extra': '1' }, rate_limit: null, rate_limit_period: null },
    disabledAt: null,
    createdAt: at,
    updatedAt: at,
    ...over,
  };
}

/** A destination capped at `concurrency` attempts at once (Hookdeck's rate_limit, period `concurrent`). */
export function aCappedDestination(teamId: string, concurrency: number, at: number = T0): Destination {
  const destination = aDestination(teamId, {}, at);
  return { ...destination, config: { ...destination.config, rate_limit: concurrency, rate_limit_period: 'concurrent' } };
}

export function aConnection(teamId: string, sourceId: string, destinationId: string, over: Partial<Connection> = {}, at: number = T0): Connection {
  return {
    id: newId('connection', at),
    teamId,
    name: uniqueName('connection'),
    description: null,
    sourceId,
    destinationId,
    rules: [{ type: 'retry', strategy: 'exponential', interval: 30_000, count: 10, response_status_codes: ['500-599'] }],
    pausedAt: null,
    disabledAt: null,
    createdAt: at,
    updatedAt: at,
    ...over,
  };
}

/** A team with one source → destination connection. */
export interface World {
  teamId: string;
  source: Source;
  destination: Destination;
  connection: Connection;
}

export async function newWorld(store: Store, options: { teamId?: string; destination?: Destination } = {}): Promise<World> {
  const teamId = options.teamId ?? (await newTeam(store));
  const source = aSource(teamId);
  const destination = options.destination ?? aDestination(teamId);
  await store.createSource(source);
  await store.createDestination(destination);
  const connection = aConnection(teamId, source.id, destination.id);
  await store.createConnection(connection);
  return { teamId, source, destination, connection };
}

/** Another connection on the world's source, to a new destination (or the one given). */
export async function addRoute(store: Store, world: World, destination?: Destination): Promise<Connection> {
  const target = destination ?? aDestination(world.teamId);
  if (destination === undefined) await store.createDestination(target);
  const connection = aConnection(world.teamId, world.source.id, target.id);
  await store.createConnection(connection);
  return connection;
}

export function aRequest(world: World, at: number, eventIds: string[], over: Partial<RequestRecord> = {}): RequestRecord {
  return {
    id: newId('request', at),
    teamId: world.teamId,
    sourceId: world.source.id,
    method: 'POST',
    path: '/orders/1',
    query: 'a=1&b=two',
    headers: { 'content-type': 'application/json', 'x-count': '1, 2' },
    body: Buffer.from(`{"at":${at}}`),
    bodyIsJson: true,
    rejectionCause: null,
    eventIds,
    createdAt: at,
    ...over,
  };
}

export interface Ingested {
  request: RequestRecord;
  eventIds: string[];
}

/** Accepts one request at `at`, fanned out to `connections` (default: the world's connection). */
export async function ingest(
  store: Store,
  world: World,
  at: number,
  options: { connections?: Connection[]; body?: Buffer } = {},
): Promise<Ingested> {
  const connections = options.connections ?? [world.connection];
  const events: NewEvent[] = connections.map((c) => ({
    id: newId('event', at),
    connectionId: c.id,
    destinationId: c.destinationId,
    status: c.pausedAt === null ? 'QUEUED' : 'HOLD',
  }));
  const eventIds = events.map((e) => e.id);
  const request = aRequest(world, at, eventIds, options.body === undefined ? {} : { body: options.body });
  await store.acceptRequest(request, events);
  return { request, eventIds };
}

export function anAttempt(
  event: Pick<EventRecord, 'id' | 'teamId' | 'destinationId' | 'attempts'>,
  at: number,
  outcome: { status: 'SUCCESSFUL' | 'FAILED'; responseStatus?: number | null; errorCode?: NetworkErrorCode | null; trigger?: AttemptTrigger },
): AttemptRecord {
  const responseStatus = 'responseStatus' in outcome ? (outcome.responseStatus ?? null) : outcome.status === 'SUCCESSFUL' ? 200 : 500;
  return {
    id: newId('attempt', at),
    teamId: event.teamId,
    eventId: event.id,
    destinationId: event.destinationId,
    attemptNumber: event.attempts + 1,
    trigger: outcome.trigger ?? 'INITIAL',
    status: outcome.status,
    responseStatus,
    errorCode: outcome.errorCode ?? null,
    body: outcome.status === 'SUCCESSFUL' ? 'ok' : 'boom',
    requestedUrl: 'https://example.test/hook/orders/1?a=1&b=two',
    httpMethod: 'POST',
    deliveryLatency: 15,
    responseLatency: 9,
    successfulAt: outcome.status === 'SUCCESSFUL' ? at : null,
    createdAt: at,
    updatedAt: at,
  };
}

/** Fetches an event that must exist. */
export async function mustGetEvent(store: Store, teamId: string, id: string): Promise<EventRecord> {
  const event = await store.getEvent(teamId, id);
  if (event === null) throw new Error(`event ${id} should exist in team ${teamId}`);
  return event;
}

/** A page query with the defaults tests use. */
export function pageOf(limit = 100, orderDirection: 'asc' | 'desc' = 'asc'): { orderDirection: 'asc' | 'desc'; limit: number } {
  return { orderDirection, limit };
}
