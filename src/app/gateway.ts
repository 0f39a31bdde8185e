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
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { buildServer } from '../api/server.js';
import type { Config, Role } from '../config/loadConfig.js';
import { DESTINATION_TYPES } from '../destinations/catalog.js';
import { ThreadedHttpSender } from '../destinations/http/senderThread.js';
import { createPublisherRegistry } from '../destinations/registry.js';
import { Dispatcher } from '../dispatch/dispatcher.js';
import { OutboundDelivery } from '../dispatch/outbound.js';
import type { Logger } from '../observability/logger.js';
import { EventPublisher } from '../publish/eventPublisher.js';
import { RouteCache } from '../publish/routeCache.js';
import { startRetentionJob, type RetentionJob } from '../retention/retentionJob.js';
import { listenForDue, openPostgresStore, PostgresStore } from '../store/postgres/openPostgresStore.js';
import { openSqliteStore } from '../store/sqlite/openSqliteStore.js';
import type { GatewayStore } from '../store/port.js';
import { bootstrapDefaultTeam, type Bootstrap } from './bootstrap.js';
import { resolveKeyring } from './encryptionKey.js';
import { withStartupLock } from './startupLock.js';
import { teamSecretLookup } from './teamSecrets.js';
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
  /** Claims and delivers in roles `worker` and `all`; in role `api` it only makes manual attempts. */
  dispatcher: Dispatcher;
  /** Graceful shutdown: stops ingest, drains attempts until `config.shutdownTimeoutMs` after the call, closes the store. */
  close(): Promise<void>;
}

/**
 * `DATABASE_URL` set: the PostgreSQL store, shared with other processes (migrated under an advisory lock). Its
 * leases may belong to live attempts of other processes, so none is released here: a crashed process's leases
 * simply run out. Otherwise the embedded SQLite store, held exclusively, so every lease found at start is stale.
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
  const store = openSqliteStore(join(config.dataDir, 'sluice.db'), { exclusive: true });
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
  const keyring = resolveKeyring(config);
  const store = await openStore(config, log);
  const cleanUp: (() => Promise<unknown>)[] = [() => store.close()];
  try {
    return await assemble(config, log, store, keyring, servesApi, dispatches, cleanUp);
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
): Promise<Gateway> {
  const started = servesApi ? await bootstrap(config, store, keyring) : null;

  // One HTTP sender for every HTTP-speaking publisher: on its own thread when SLUICE_HTTP_THREAD=on.
  const senderOptions = { outboundAllowlist: config.outboundAllowlist, responseBodyLimit: config.responseBodyLimit };
  const httpSender = config.httpThread ? new ThreadedHttpSender(senderOptions) : undefined;
  if (httpSender !== undefined) cleanUp.push(() => httpSender.close());
  // Loads while the server is built; awaited before the first claim (below).
  const senderReady = dispatches ? httpSender?.start() : undefined;
  senderReady?.catch(() => undefined); // awaited below; a failure must not surface as unhandled first
  const publishers = createPublisherRegistry(config, httpSender);
  cleanUp.push(() => publishers.close());
  // The outbound face: publishing (API and operator events) matches through one route cache; the dispatcher
  // delivers with one publisher per destination type. Publishing wakes the dispatcher, hence the late binding.
  const routes = new RouteCache(store);
  let wakeDispatcher = (): void => undefined;
  const eventPublisher = new EventPublisher({ store, routes, wake: () => wakeDispatcher() });
  const dispatchLog = log.child({ component: 'dispatcher' });
  const outbound = new OutboundDelivery({
    types: DESTINATION_TYPES,
    deps: { ...senderOptions, httpSender },
    keyring,
    publisher: eventPublisher,
    autoDisableAfter: config.autoDisableAfter,
    logger: dispatchLog,
  });
  cleanUp.push(() => outbound.close());
  const dispatcher = new Dispatcher({
    store,
    config,
    publishers,
    logger: dispatchLog,
    secretFor: teamSecretLookup(store, keyring),
    outbound,
  });
  wakeDispatcher = () => dispatcher.wake();
  const server = servesApi
    ? await buildServer({
        config,
        store,
        engine: dispatcher,
        keyring,
        logger: log,
        outbound: { types: DESTINATION_TYPES, routes, publisher: eventPublisher },
      })
    : healthServer(log);
  cleanUp.push(() => server.close());
  // Liveness: the process answers. Probes come every few seconds, so they are not logged at info.
  server.get('/healthz', { schema: { hide: true }, logLevel: 'warn' }, async () => ({ status: 'ok', role: config.role }));
  const address = await server.listen({ port: config.port, host: config.host });

  let stopListening = async (): Promise<void> => undefined;
  let retention: RetentionJob | null = null;
  if (dispatches) {
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
  log.info({ role: config.role, store: config.databaseUrl === null ? 'sqlite' : 'postgres', url: address }, 'gateway started');

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
      ]);
      await publishers.close();
      await outbound.close();
      await httpSender?.close();
      await store.close();
    })();
    return closing;
  };
  return { url: address, role: config.role, bootstrap: started, store, server, dispatcher, close };
}
