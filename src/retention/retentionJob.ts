/**
 * Retention: deletes messages (inbound requests and published events, with their events/deliveries and attempts)
 * older than the retention window, finished bulk retries that finished before it, /v2 Idempotency-Key records
 * older than their 24 h, and deduplication keys (deduplicate rules) whose window has ended, in small batches with a yield between them, so a large purge never holds the database for
 * long and never stalls ingest. On PostgreSQL
 * it also keeps the time partitions: made ahead, dropped whole once past the window.
 */
import type { OutboundStore, PartitionMaintenance, Store, TimePartitionedStore } from '../store/port.js';
import type { Logger } from '../observability/logger.js';

const DAY_MS = 86_400_000;
/** Idempotency-Key answers are replayed for this long (FACTS.md: 24 h). */
export const IDEMPOTENCY_RETENTION_MS = DAY_MS;

type RetentionStore = Pick<Store, 'purgeBefore' | 'purgeBulkRetries' | 'purgeDedupKeys'> & Partial<Pick<OutboundStore, 'purgeIdempotencyKeys'>> & Partial<TimePartitionedStore>;

export interface RetentionOptions {
  retentionDays: number;
  intervalMs: number;
  batch: number;
}

async function inBatches(purge: () => Promise<number>, batch: number): Promise<number> {
  let total = 0;
  for (;;) {
    const deleted = await purge();
    total += deleted;
    if (deleted < batch) return total;
    // Let queued ingest commits and API reads run between batches.
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/**
 * Purges everything older than its window; returns the number of messages deleted row by row. On a store
 * partitioned by time, partitions are first made ahead and those wholly past the window dropped (`onPartitions`
 * hears what changed); the row purge then only meets the partition the cutoff falls inside.
 */
export async function purgeExpired(
  store: RetentionStore,
  options: RetentionOptions,
  now: number,
  onPartitions: (done: PartitionMaintenance) => void = () => undefined,
): Promise<number> {
  const cutoff = now - options.retentionDays * DAY_MS;
  const maintain = store.maintainPartitions?.bind(store);
  if (maintain !== undefined) {
    const done = await maintain(now, cutoff);
    if (done.created.length > 0 || done.dropped.length > 0) onPartitions(done);
  }
  const deleted = await inBatches(() => store.purgeBefore(cutoff, options.batch), options.batch);
  // A finished bulk retry is kept as long as the events it retried: the window counts from when it finished.
  await inBatches(() => store.purgeBulkRetries(cutoff, options.batch), options.batch);
  const purgeKeys = store.purgeIdempotencyKeys?.bind(store);
  if (purgeKeys !== undefined) await inBatches(() => purgeKeys(now - IDEMPOTENCY_RETENTION_MS, options.batch), options.batch);
  // Expired keys no longer deduplicate anything (a claim overwrites one it meets); without this they would pile up.
  await inBatches(() => store.purgeDedupKeys(now, options.batch), options.batch);
  return deleted;
}

export interface RetentionJob {
  stop(): Promise<void>;
}

export function startRetentionJob(store: RetentionStore, options: RetentionOptions, log: Logger, now: () => number = Date.now): RetentionJob {
  let running: Promise<void> | null = null;
  const tick = () => {
    if (running !== null) return;
    running = purgeExpired(store, options, now(), (done) => log.info(done, 'retention: time partitions created ahead / dropped whole'))
      .then((deleted) => {
        if (deleted > 0) log.info({ deleted }, 'retention: purged expired messages');
      })
      .catch((error: unknown) => log.error({ err: error }, 'retention: purge failed; will try again'))
      .finally(() => {
        running = null;
      });
  };
  const timer = setInterval(tick, options.intervalMs);
  timer.unref();
  tick();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
