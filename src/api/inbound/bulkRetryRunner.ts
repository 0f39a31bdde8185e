/**
 * Runs bulk retries in the background, in small batches (`store.runBulkRetryBatch`, one transaction each), taking
 * the unfinished jobs of every team in turn so a big one cannot hold a small one back, and waking the dispatcher
 * after each batch that queued events: the attempts themselves are the dispatcher's, with its per-destination
 * limits. A new job kicks the runner; otherwise it looks for work every few seconds (jobs left by a stopped
 * process, or started by another process on a shared database, are picked up). Batches are idempotent per cursor,
 * so several runners on one database only share the work.
 */
import type { DeliveryEngine } from '../../dispatch/port.js';
import type { Store } from '../../store/port.js';

export interface BulkRetryRunnerOptions {
  /** Events examined per batch. */
  batchSize?: number;
  /** How long to sleep when no job is unfinished. */
  idleMs?: number;
  /** A pause between batches, so bulk work leaves room for ingest and the dispatcher. */
  pauseMs?: number;
  onError?: (error: unknown) => void;
}

export const BULK_RETRY_BATCH = 100;

export class BulkRetryRunner {
  private running = false;
  private loop: Promise<void> | null = null;
  private wakeUp: (() => void) | null = null;
  private readonly batchSize: number;
  private readonly idleMs: number;
  private readonly pauseMs: number;

  constructor(
    private readonly store: Pick<Store, 'listActiveBulkRetryIds' | 'runBulkRetryBatch'>,
    private readonly engine: Pick<DeliveryEngine, 'wake'>,
    private readonly options: BulkRetryRunnerOptions = {},
  ) {
    this.batchSize = options.batchSize ?? BULK_RETRY_BATCH;
    this.idleMs = options.idleMs ?? 3000;
    this.pauseMs = options.pauseMs ?? 5;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** A job was created: start on it now. */
  kick(): void {
    this.wakeUp?.();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.kick();
    await this.loop;
    this.loop = null;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wakeUp = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeUp = done;
    });
  }

  private async run(): Promise<void> {
    while (this.running) {
      let worked = false;
      try {
        for (const id of await this.store.listActiveBulkRetryIds(20)) {
          if (!this.running) break;
          const result = await this.store.runBulkRetryBatch(id, this.batchSize, Date.now());
          if (result !== null && result.retried > 0) this.engine.wake();
          worked = true;
        }
      } catch (error) {
        this.options.onError?.(error);
        worked = false;
      }
      if (this.running) await this.sleep(worked ? this.pauseMs : this.idleMs);
    }
  }
}
