/**
 * The composition root: opens the store, makes sure the default team exists, and starts what this process's role
 * runs (`SLUICE_ROLE`): the API and ingest (`api`), the dispatcher and the retention job (`worker`), or all of them
 * (`all`, the default). `close()` shuts them down in the order that loses nothing (stop taking requests, drain
 * attempts, flush, close the store).
 *
 * Every role builds a Dispatcher: an API process needs its `retryNow` (a manual retry makes the attempt in the
 * process that got the request and answers with it), but only roles that dispatch start its claim loop. On
 * PostgreSQL, those also listen for the store's NOTIFY, so an event ingested by any process wakes them at once;
 * polling stays as the fallback.
 *
 * On the embedded store with `SLUICE_DISPATCH_THREAD=on`, the process plays both roles on two threads: the main
 * thread is the API role (its Dispatcher is not started: it makes manual attempts only) and a dispatch thread with
 * its own SQLite connection is the worker role (dispatchThread.ts). The data directory's lock keeps other
 * processes out in both modes.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { buildServer } from '../api/server.js';
import type { Config, Role } from '../config/loadConfig.js';
import { DESTINATION_TYPES } from '../destinations/catalog.js';
import { ThreadedHttpSender } from '../destinations/http/senderThread.js';
import type { Dispatcher } from '../dispatch/dispatcher.js';
import type { DeliveryEngine } from '../dispatch/port.js';
import type { Logger } from '../observability/logger.js';
import { startRetentionJob, type RetentionJob } from '../retention/retentionJob.js';
import { listenForDue, openPostgresStore, PostgresStore } from '../store/postgres/openPostgresStore.js';
import { lockDataDir } from '../store/sqlite/dataDirLock.js';
import { openSqliteStore, SqliteStore } from '../store/sqlite/openSqliteStore.js';
import type { GatewayStore } from '../store/port.js';
import { bootstrapDefaultTeam, type Bootstrap } from './bootstrap.js';
import { buildDelivery } from './deliveryParts.js';
import { MAIN_THREAD_CACHE_KIB } from './dispatchProtocol.js';
import { DispatchThread } from './dispatchThread.js';
import { resolveKeyring } from './encryptionKey.js';
import { withStartupLock } from './startupLock.js';
import type { SecretKeyring } from '../domain/secretBox.js';

export interface Gateway {
  /** Where the HTTP server listens, e.g. `http://127.0.0.1:8080` (a worker's serves `/healthz` only). */
  url: string;
  role: Role;
  /** The default team, and what this start created; null for a worker (it serves no API, so it creates no key). */
  bootstrap: Bootstrap | null;
  store: GatewayStore;
  /** The API server (roles `api`, `all`), or a worker's health server. */
  server: FastifyInstance;
  /**
   * Claims and delivers in roles `worker` and `all`; in role `api`, and on the main thread when the dispatch
   * thread runs, it only makes manual attempts.
   */
  dispatcher: Dispatcher;
  /** The dispatch thread (embedded store, `SLUICE_DISPATCH_THREAD=on`), which claims and delivers; else null. */
  dispatchThread: DispatchThread | null;
  /** Graceful shutdown: stops ingest, drains attempts until `config.shutdownTimeoutMs` after the call, closes the store. */
  close(): Promise<void>;
}

/** The dispatcher runs on a thread of its own: embedded store with SLUICE_DISPATCH_THREAD=on. */
function usesDispatchThread(config: Config): boolean {
  return config.databaseUrl === null && config.dispatchThread;
}

/**
 * `DATABASE_URL` set: the PostgreSQL store, shared with other processes (migrated under an advisory lock). Its
 * leases may belong to live attempts of other processes, so none is released here: a crashed process's leases
 * simply run out. Otherwise the embedded SQLite store, whose data directory this process has locked (the caller
 * took the lock), so every lease found at start is stale. Without the dispatch thread the store is also held
 * exclusively (one connection); with it, the thread opens a second connection once this returns.
 */
async function openStore(config: Config, log: Logger): Promise<GatewayStore> {
  if (config.databaseUrl !== null) {
    const store = await openPostgresStore(config.databaseUrl, {
      poolSize: config.dbPoolSize,
      onPoolError: (error) => log.warn({ err: error }, 'an idle PostgreSQL connection failed; the pool replaces it'),
    });
    try {
      await store.migrate();
    } catch (error) {
      await store.close();
      throw error;
    }
    return store;
  }
  const threaded = usesDispatchThread(config);
  const store = openSqliteStore(
    join(config.dataDir, 'sluice.db'),
    threaded ? { cacheKiB: MAIN_THREAD_CACHE_KIB } : { exclusive: true },
  );
  await store.migrate();
  const recovered = await store.recoverStaleClaims(Date.now());
  if (recovered > 0) log.warn({ recovered }, 'released the claims of attempts interrupted by the last stop; they are retried now');
  return store;
}

/**
 * First-start set-up. On PostgreSQL, API processes starting at once would race to create the default team and
 * to register `SLUICE_API_KEY`: they take turns under an advisory lock.
 */
function bootstrap(config: Config, store: GatewayStore, keyring: SecretKeyring): Promise<Bootstrap> {
  const run = () => bootstrapDefaultTeam(store, { apiKey: config.apiKey, keyring }, Date.now());
  return config.databaseUrl === null ? run() : withStartupLock(config.databaseUrl, run);
}

/** A worker's HTTP server: health checks only (the API and ingest are the API processes'). */
function healthServer(log: Logger): FastifyInstance {
  const loggerInstance: FastifyBaseLogger = log; // the API server's type: pino's own is narrower
  return Fastify({ loggerInstance });
}

/**
 * Wake-ups from other processes: on PostgreSQL, a process that dispatches listens for the store's NOTIFY (sent by
 * every commit that makes events due, whichever process made it). Returns how to stop listening.
 */
async function listenForWork(config: Config, store: GatewayStore, dispatcher: Dispatcher, log: Logger): Promise<() => Promise<void>> {
  if (config.listenUrl === null || !(store instanceof PostgresStore)) return async () => undefined;
  return listenForDue(config.listenUrl, () => dispatcher.wake(), {
    channel: store.channel,
    onError: (error) => log.warn({ err: error }, 'the LISTEN connection to PostgreSQL failed; reconnecting (polling meanwhile)'),
  });
}

/**
 * Stops taking requests and lets those in flight finish (their commits included) until `deadline`; then cuts the
 * connections still open (a client that never finishes its upload must not hold the shutdown). A request cut
 * there was never answered, so nothing it sent was acknowledged.
 */
async function closeServerBy(server: FastifyInstance, deadline: number, log: Logger): Promise<void> {
  const closed = server.close();
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), Math.max(0, deadline - Date.now()));
  });
  try {
    if ((await Promise.race([closed, late])) === 'late') {
      log.warn('shutdown deadline reached: closing the connections of requests still in progress');
      server.server.closeAllConnections();
      await closed;
    }
  } finally {
    clearTimeout(timer);
  }
}

export async function startGateway(config: Config, log: Logger): Promise<Gateway> {
  const servesApi = config.role !== 'worker';
  const dispatches = config.role !== 'api';
  // The data directory holds the embedded store and its generated key; on PostgreSQL the key comes from config.
  if (config.databaseUrl === null) mkdirSync(config.dataDir, { recursive: true });
  // Taken before the store is opened and released after it is closed: one process per data directory.
  const lock = config.databaseUrl === null ? lockDataDir(config.dataDir) : null;
  // The dispatch thread loads its modules while this thread opens and migrates the store; it opens its own
  // connection only when started (in assemble). Only the thread claims, so after its death every claim is stale.
  let sqlite: SqliteStore | null = null;
  const thread = usesDispatchThread(config) ? new DispatchThread(config, log, async () => (await sqlite?.recoverStaleClaims(Date.now())) ?? 0) : null;
  thread?.load();
  let store: GatewayStore;
  let keyring: SecretKeyring;
  try {
    keyring = resolveKeyring(config);
    store = await openStore(config, log);
  } catch (error) {
    await thread?.stop(0);
    lock?.release();
    throw error;
  }
  if (store instanceof SqliteStore) sqlite = store;
  const opened = store;
  const releaseLock = (): void => lock?.release();
  const cleanUp: (() => Promise<unknown>)[] = [async () => releaseLock(), () => opened.close()];
  if (thread !== null) cleanUp.push(() => thread.stop(0));
  try {
    return await assemble(config, log, store, keyring, servesApi, dispatches, cleanUp, releaseLock, thread);
  } catch (error) {
    for (const undo of cleanUp.reverse()) await undo().catch(() => undefined);
    throw error;
  }
}

async function assemble(
  config: Config,
  log: Logger,
  store: GatewayStore,
  keyring: SecretKeyring,
  servesApi: boolean,
  dispatches: boolean,
  cleanUp: (() => Promise<unknown>)[],
  releaseLock: () => void,
  thread: DispatchThread | null,
): Promise<Gateway> {
  const started = servesApi ? await bootstrap(config, store, keyring) : null;
  const threaded = thread !== null;
  // Opens its connection while the server is built; awaited before the gateway is reported started.
  const threadReady = thread?.start();
  threadReady?.catch(() => undefined); // awaited below; a failure must not surface as unhandled first

  // One HTTP sender for every HTTP-speaking publisher: on its own thread when SLUICE_HTTP_THREAD=on. With the
  // dispatch thread, the main thread only makes manual attempts: it keeps its own sender (the thread makes its own).
  if (threaded && config.httpThread) log.warn('SLUICE_HTTP_THREAD is ignored while SLUICE_DISPATCH_THREAD is on: the dispatch thread sends its own requests');
  const senderOptions = { outboundAllowlist: config.outboundAllowlist, responseBodyLimit: config.responseBodyLimit };
  const httpSender = config.httpThread && !threaded ? new ThreadedHttpSender(senderOptions) : undefined;
  if (httpSender !== undefined) cleanUp.push(() => httpSender.close());
  // Loads while the server is built; awaited before the first claim (below).
  const senderReady = dispatches && !threaded ? httpSender?.start() : undefined;
  senderReady?.catch(() => undefined); // awaited below; a failure must not surface as unhandled first
  // The outbound face: publishing (API and operator events) matches through one route cache; the dispatcher
  // delivers with one publisher per destination type. Publishing wakes whoever claims: this dispatcher, or the thread.
  const parts = buildDelivery(config, store, keyring, log, thread === null ? { httpSender } : { wake: () => thread.wake() });
  cleanUp.push(() => parts.close());
  const { dispatcher } = parts;
  // What the API asks of delivery: with the thread, wake-ups and forgotten destinations go to it, while manual
  // retries are made here (as in a PostgreSQL API process).
  const engine: DeliveryEngine =
    thread === null
      ? dispatcher
      : {
          wake: (destinationIds) => thread.wake(destinationIds),
          retryNow: (teamId, eventId) => dispatcher.retryNow(teamId, eventId),
          forgetDestination: (destinationId) => {
            dispatcher.forgetDestination(destinationId);
            thread.forgetDestination(destinationId);
          },
        };
  const server = servesApi
    ? await buildServer({
        config,
        store,
        engine,
        keyring,
        logger: log,
        outbound: { types: DESTINATION_TYPES, routes: parts.routes, publisher: parts.eventPublisher },
      })
    : healthServer(log);
  cleanUp.push(() => server.close());
  // Liveness: the process answers. Probes come every few seconds, so they are not logged at info.
  server.get('/healthz', { schema: { hide: true }, logLevel: 'warn' }, async () => ({ status: 'ok', role: config.role }));
  await threadReady; // a thread that cannot start fails the start, before the port is taken
  const address = await server.listen({ port: config.port, host: config.host });

  let stopListening = async (): Promise<void> => undefined;
  let retention: RetentionJob | null = null;
  if (dispatches && thread === null) {
    // Listening before the first claim: nothing committed after that claim can go unnoticed.
    stopListening = await listenForWork(config, store, dispatcher, log);
    await senderReady; // no attempt waits for the thread to load
    dispatcher.start();
    retention = startRetentionJob(
      store,
      { retentionDays: config.retentionDays, intervalMs: config.retention.intervalMs, batch: config.retention.batch },
      log.child({ component: 'retention' }),
    );
  }
  log.info(
    { role: config.role, store: config.databaseUrl === null ? 'sqlite' : 'postgres', dispatchThread: thread !== null, url: address },
    'gateway started',
  );

  let closing: Promise<void> | null = null;
  const close = () => {
    closing ??= (async () => {
      // One deadline for the whole drain, from the call: in-flight requests and attempts drain side by side.
      const deadline = Date.now() + config.shutdownTimeoutMs;
      await retention?.stop();
      await Promise.all([
        closeServerBy(server, deadline, log),
        (async () => {
          await stopListening();
          await dispatcher.stop(Math.max(0, deadline - Date.now()));
        })(),
        thread?.stop(Math.max(0, deadline - Date.now())),
      ]);
      await parts.close();
      await httpSender?.close();
      if (thread !== null && store instanceof SqliteStore) {
        const waits = store.lockWaits; // the thread logs its own
        log.info({ lockWaits: waits.count, lockWaitMs: Math.round(waits.ms) }, 'main thread: waits for the SQLite write lock');
      }
      await store.close();
      releaseLock(); // after the store: the next process to take it finds every lease stale
    })();
    return closing;
  };
  return { url: address, role: config.role, bootstrap: started, store, server, dispatcher, dispatchThread: thread, close };
}
