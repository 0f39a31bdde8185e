/**
 * Records finished attempts in batches: everything that finished while the previous write was running goes into
 * the next `store.recordAttempts` call, so a busy dispatcher makes one durable commit per batch, not one per
 * message. A write that keeps failing is given up after a few tries: the claims' leases then run out and the
 * events are attempted again (at least once, never lost). While the storage itself is unavailable (disk full,
 * database unreachable) the write is tried for longer, up to OUTAGE_WINDOW_MS: well inside the lease margin that
 * follows every attempt's timeout, so a record that lands after a short outage still holds its lease and the
 * event is not sent again.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { AttemptResult, Store } from '../store/port.js';
import { isStorageUnavailable } from '../store/unavailable.js';
import type { DispatchLogger } from './logger.js';
import { LEASE_MARGIN_MS } from './timing.js';

const WRITE_TRIES = 3;
const RETRY_PAUSE_MS = 200;
const MAX_RETRY_PAUSE_MS = 1000;
/** How long a record is retried through a storage outage (the lease outlasts the attempt by LEASE_MARGIN_MS). */
export const OUTAGE_WINDOW_MS = LEASE_MARGIN_MS - 10_000;

interface Pending {
  result: AttemptResult;
  resolve(): void;
  reject(error: unknown): void;
}

export class AttemptRecorder {
  private pending: Pending[] = [];
  private writing: Promise<void> | null = null;

  constructor(
    private readonly store: Pick<Store, 'recordAttempts'>,
    private readonly now: () => number,
    private readonly logger: DispatchLogger,
    /** Called with each committed batch: a retry it scheduled may be due before the loop's planned wake-up. */
    private readonly onCommitted: (results: readonly AttemptResult[]) => void = () => undefined,
  ) {}

  /** Resolves once the result is committed (rejects when its batch could not be written). */
  record(result: AttemptResult): Promise<void> {
    const done = new Promise<void>((resolve, reject) => this.pending.push({ result, resolve, reject }));
    this.writing ??= this.writeAll();
    return done;
  }

  /** Resolves when everything handed in so far is written (or given up). */
  async flush(): Promise<void> {
    while (this.writing !== null) await this.writing;
  }

  private async writeAll(): Promise<void> {
    // One turn of the event loop lets attempts finishing together join the first batch.
    await new Promise<void>((resolve) => setImmediate(resolve));
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0);
      try {
        const results = batch.map((p) => p.result);
        await this.writeBatch(results);
        for (const p of batch) p.resolve();
        this.onCommitted(results);
      } catch (error) {
        this.logger.error({ err: error, attempts: batch.length }, 'Could not record attempts; their events will be attempted again when their leases expire');
        for (const p of batch) p.reject(error);
      }
    }
    this.writing = null;
  }

  private async writeBatch(results: AttemptResult[]): Promise<void> {
    const started = Date.now();
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.store.recordAttempts(results, this.now());
        return;
      } catch (error) {
        const outage = isStorageUnavailable(error) && Date.now() - started < OUTAGE_WINDOW_MS;
        if (attempt >= WRITE_TRIES && !outage) throw error;
        if (attempt === WRITE_TRIES) this.logger.warn({ err: error, attempts: results.length }, 'Storage unavailable: still trying to record attempts');
        await sleep(Math.min(RETRY_PAUSE_MS * attempt, MAX_RETRY_PAUSE_MS));
      }
    }
  }
}
