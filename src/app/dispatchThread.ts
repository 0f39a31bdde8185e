/**
 * The dispatcher on a thread of its own (`SLUICE_DISPATCH_THREAD`, embedded store only). The gateway was one
 * JavaScript thread paying for ingest and for delivery; on two cores the second was left to others. Here the
 * main thread keeps the API and ingest, and a worker thread (dispatchWorker.ts) runs claim → attempt → record and
 * the retention job over a SQLite connection of its own to the same file. Almost nothing crosses: the thread
 * reads events and bodies from SQLite itself; the main thread only tells it that new work is due (one message per
 * turn of its event loop, with the destinations concerned) and which destinations changed.
 *
 * Two connections need SQLite's NORMAL locking (WAL with its shared-memory index), so the data directory's lock
 * (store/sqlite/dataDirLock.ts) keeps a second gateway out. Durability is unchanged: each connection's writer
 * fsyncs the WAL file before it answers, and an fsync of the file covers every connection's frames.
 *
 * If the thread dies, it is logged and a new one started. The dead thread's claims are released first: in this
 * process only the thread claims (manual retries lease nothing), other processes are locked out, and the dead
 * thread's attempts died with it, so every lease is stale, as at a start. Their events are attempted again at once
 * (at least once: one may have reached its receiver before the thread died).
 */
import { Worker } from 'node:worker_threads';
import { pino } from 'pino';
import type { Config } from '../config/loadConfig.js';
import type { Logger } from '../observability/logger.js';
import { untilReady } from '../threads/untilReady.js';
import type { DispatchThreadData, FromDispatchThread, ToDispatchThread } from './dispatchProtocol.js';

/**
 * The thread's young generation, in MB. Its garbage is short-lived (claimed rows, requests, responses); V8's default
 * for a second isolate would add tens of MiB to the peak RSS, which the backlog benchmark holds under 300 MB.
 */
const YOUNG_GENERATION_MB = 16;

/**
 * How long after the shutdown deadline the thread may take to flush and close before it is ended: less than the
 * CLI's own grace (src/cli/main.ts, 5 s), so a hanging thread is ended before the process gives up on closing.
 */
const STOP_GRACE_MS = 2000;
/** Wait before starting a new thread after one died (doubled up to RESTART_MAX_MS while they keep dying young). */
const RESTART_MIN_MS = 100;
const RESTART_MAX_MS = 5000;
/** A thread that ran this long before dying resets the restart wait. */
const HEALTHY_AFTER_MS = 10_000;

/** `.js` once built; `.ts` under tsx, where the thread registers tsx itself (Node 20 does not pass `--import` on). */
function startWorker(config: Config): Worker {
  const settings = { workerData: { config } satisfies DispatchThreadData, resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB } };
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./dispatchWorker.js', import.meta.url), settings);
  const entry = new URL('./dispatchWorker.ts', import.meta.url).href;
  const code = `import { register } from ${JSON.stringify(import.meta.resolve('tsx/esm/api'))}; register(); await import(${JSON.stringify(entry)});`;
  return new Worker(new URL(`data:text/javascript,${encodeURIComponent(code)}`), settings);
}

/** The stream the main logger writes to: the thread's lines (already JSON, redacted) join it as they are. */
function logStream(log: Logger): { write(line: string): void } {
  const stream = (log as unknown as Record<symbol, { write(line: string): void } | undefined>)[pino.symbols.streamSym];
  return stream ?? { write: (line: string) => process.stdout.write(line) };
}

export class DispatchThread {
  private worker: Worker | null = null;
  private stopping = false;
  private wakeAll = false;
  private readonly wakeIds = new Set<string>();
  private wakeQueued = false;
  private restartWaitMs = RESTART_MIN_MS;
  private restartTimer: NodeJS.Timeout | null = null;
  private readonly stream: { write(line: string): void };
  /** The last uncaught error of the running thread, for the message of a failed start. */
  private failure = '';
  /** Threads started so far (1 + restarts), for tests and logs. */
  starts = 0;

  constructor(
    private readonly config: Config,
    private readonly log: Logger,
    /** Releases every claim (the store's recoverStaleClaims): run after a thread died, before the next starts. */
    private readonly releaseClaims: () => Promise<number>,
  ) {
    this.stream = logStream(log);
  }

  /**
   * Starts the thread loading its modules (a second copy of the engine's, a few seconds on a loaded machine), while
   * the main thread opens and migrates the store; start() then lets it open its connection.
   */
  load(): void {
    if (this.worker === null && !this.stopping) this.spawn();
  }

  /**
   * Lets the thread (loaded now if load() was not called) open its connection and run its dispatcher: call once the
   * store is migrated and stale claims released. Resolves once it runs, rejects if it fails to start.
   */
  start(): Promise<void> {
    const worker = this.worker ?? this.spawn();
    worker.postMessage({ kind: 'start' } satisfies ToDispatchThread);
    return untilReady(worker, 'dispatch thread', () => this.failure);
  }

  private spawn(): Worker {
    const worker = startWorker(this.config);
    this.starts += 1;
    const startedAt = Date.now();
    this.failure = '';
    worker.on('message', (message: FromDispatchThread) => {
      if (message.kind === 'logs') for (const line of message.lines) this.stream.write(line);
    });
    worker.on('error', (error) => {
      this.failure = error.message;
      this.log.error({ err: error }, 'the dispatch thread failed');
    });
    worker.on('exit', (code) => {
      if (this.worker !== worker) return;
      this.worker = null;
      if (this.stopping) return;
      this.restartWaitMs = Date.now() - startedAt > HEALTHY_AFTER_MS ? RESTART_MIN_MS : Math.min(this.restartWaitMs * 2, RESTART_MAX_MS);
      this.log.error({ code, restartInMs: this.restartWaitMs }, 'the dispatch thread stopped unexpectedly; starting a new one (the events it held are retried)');
      this.restartTimer = setTimeout(() => {
        this.restartTimer = null;
        if (!this.stopping) void this.restart();
      }, this.restartWaitMs);
    });
    this.worker = worker;
    return worker;
  }

  private async restart(): Promise<void> {
    try {
      const released = await this.releaseClaims();
      if (released > 0) this.log.warn({ released }, 'released the claims of the dispatch thread that died; they are retried now');
      if (this.stopping) return;
      await this.start(); // the new thread's first claim finds everything due, what was committed meanwhile included
    } catch (error) {
      // Its 'exit' (when it started and died) schedules the next try; a failure before it started does not.
      this.log.error({ err: error }, 'the dispatch thread could not be restarted; trying again');
      if (this.worker === null && !this.stopping) {
        this.restartWaitMs = Math.min(this.restartWaitMs * 2, RESTART_MAX_MS);
        this.restartTimer = setTimeout(() => {
          this.restartTimer = null;
          if (!this.stopping) void this.restart();
        }, this.restartWaitMs);
      }
    }
  }

  /** New due work: one message per turn of the event loop, with every destination named meanwhile. */
  wake(destinationIds?: readonly string[]): void {
    if (destinationIds === undefined) this.wakeAll = true;
    else for (const id of destinationIds) this.wakeIds.add(id);
    if (this.wakeQueued) return;
    this.wakeQueued = true;
    setImmediate(this.flushWake);
  }

  private readonly flushWake = (): void => {
    this.wakeQueued = false;
    const destinationIds = this.wakeAll ? null : [...this.wakeIds];
    this.wakeAll = false;
    this.wakeIds.clear();
    this.post({ kind: 'wake', destinationIds });
  };

  forgetDestination(destinationId: string): void {
    this.post({ kind: 'forget', destinationId });
  }

  private post(message: ToDispatchThread): void {
    // No thread (between a death and its restart): the new thread claims everything due when it starts.
    this.worker?.postMessage(message);
  }

  /**
   * Stops the thread's dispatcher within `deadlineMs` (its attempts drain, its records are written, its
   * unattempted claims released) and waits for the thread to end; ends it anyway STOP_GRACE_MS after that.
   */
  async stop(deadlineMs: number): Promise<void> {
    this.stopping = true;
    if (this.restartTimer !== null) clearTimeout(this.restartTimer);
    const worker = this.worker;
    if (worker === null) return;
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    // Once it has closed its store it has nothing left to do: whatever its event loop still holds is ended.
    worker.on('message', (message: FromDispatchThread) => {
      if (message.kind === 'stopped') void worker.terminate();
    });
    worker.postMessage({ kind: 'stop', deadlineMs } satisfies ToDispatchThread);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), deadlineMs + STOP_GRACE_MS);
    });
    try {
      if ((await Promise.race([exited, late])) === 'late') {
        this.log.warn('the dispatch thread did not stop in time: ending it (its leases run out and their events are retried)');
        await worker.terminate();
      }
    } finally {
      clearTimeout(timer);
    }
  }

  /** Ends the thread at once, as a crash would (tests: the gateway must start a new one). */
  async kill(): Promise<void> {
    await this.worker?.terminate();
  }
}
