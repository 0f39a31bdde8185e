/**
 * The dispatch thread's entry (started by dispatchThread.ts): the worker role over the embedded store. It loads
 * while the main thread opens the store; on 'start' (the store migrated, stale claims released) it opens its own
 * connection to the store's file, assembles the same delivery parts as a gateway (deliveryParts.ts), and runs the dispatcher and the
 * retention job until told to stop. Its log lines go to the main thread, which writes them to its own stream.
 */
import { join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { createLogger } from '../observability/logger.js';
import { startRetentionJob, type RetentionJob } from '../retention/retentionJob.js';
import { openSqliteStore, type SqliteStore } from '../store/sqlite/openSqliteStore.js';
import { buildDelivery, type DeliveryParts } from './deliveryParts.js';
import { DISPATCH_THREAD_CACHE_KIB, reviveConfig, type DispatchThreadData, type FromDispatchThread, type ToDispatchThread } from './dispatchProtocol.js';
import { resolveKeyring } from './encryptionKey.js';

if (parentPort === null) throw new Error('dispatchWorker.ts runs as a worker thread (started by dispatchThread.ts).');
const port = parentPort;
const post = (message: FromDispatchThread): void => port.postMessage(message);

// Log lines leave in one message per turn of this thread's event loop.
let lines: string[] = [];
const flushLines = (): void => {
  if (lines.length === 0) return;
  post({ kind: 'logs', lines });
  lines = [];
};
const config = reviveConfig((workerData as DispatchThreadData).config);
const log = createLogger(config, {
  write(line: string) {
    if (lines.length === 0) setImmediate(flushLines);
    lines.push(line);
  },
}).child({ thread: 'dispatch' });

/** The running engine: made on the main thread's 'start' (the store is migrated by then). */
interface Engine {
  store: SqliteStore;
  parts: DeliveryParts;
  retention: RetentionJob;
}
let engine: Engine | null = null;

function startEngine(): Engine {
  const keyring = resolveKeyring(config);
  const store = openSqliteStore(join(config.dataDir, 'sluice.db'), { cacheKiB: DISPATCH_THREAD_CACHE_KIB });
  const parts = buildDelivery(config, store, keyring, log);
  parts.dispatcher.start();
  const retention = startRetentionJob(
    store,
    { retentionDays: config.retentionDays, intervalMs: config.retention.intervalMs, batch: config.retention.batch },
    log.child({ component: 'retention' }),
  );
  return { store, parts, retention };
}

let stopping: Promise<void> | null = null;
async function stop(deadlineMs: number): Promise<void> {
  try {
    if (engine !== null) {
      const { store, parts, retention } = engine;
      try {
        await retention.stop();
        await parts.dispatcher.stop(deadlineMs);
        await parts.close();
        const waits = store.lockWaits;
        log.info({ lockWaits: waits.count, lockWaitMs: Math.round(waits.ms) }, 'dispatch thread stopped');
      } finally {
        await store.close();
      }
    }
  } catch (error) {
    log.error({ err: error }, 'the dispatch thread did not stop cleanly');
  } finally {
    flushLines();
    post({ kind: 'stopped' });
    port.close();
  }
}

port.on('message', (message: ToDispatchThread) => {
  switch (message.kind) {
    case 'start':
      engine ??= startEngine(); // throws (ending the thread) if the store cannot be opened
      post({ kind: 'ready' });
      break;
    case 'wake':
      engine?.parts.dispatcher.wake(message.destinationIds ?? undefined);
      break;
    case 'forget':
      engine?.parts.dispatcher.forgetDestination(message.destinationId);
      break;
    case 'stop':
      stopping ??= stop(message.deadlineMs);
      break;
  }
});

