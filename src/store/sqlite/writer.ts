/**
 * Group commit. better-sqlite3 is synchronous and, with synchronous=FULL, every commit is an fsync that blocks the
 * process; one commit per request would cap ingest at the disk's fsync rate. So every write is queued as an
 * operation and the queue is run on the next turn of the event loop (setImmediate) inside ONE transaction; each
 * caller's promise settles only after that commit is on disk.
 *
 * An operation that throws (a name conflict, a duplicate id) is rolled back alone and its caller gets the error,
 * while the others still commit together: the batch first runs without savepoints (two statements per operation
 * saved, the common case), and only when one of its operations throws is it rolled back and run again with each
 * operation in its own savepoint (operations are written to be run again: see below). If the transaction as a whole
 * fails (SQLite aborted it on an I/O error or a full disk, or COMMIT failed), every operation is run again alone,
 * in order, in its own transaction, so one bad operation cannot fail the rest.
 *
 * The fsync off the event loop: on a WAL database opened with synchronous=FULL, the only thing FULL adds to NORMAL
 * is an fsync of the WAL file at each commit, and that fsync blocked the whole process (ingest, dispatch) for the
 * disk's flush time, once per batch. So the writer commits its batches at NORMAL (the WAL stays consistent, as
 * SQLite guarantees for NORMAL) and runs that fsync itself on libuv's thread pool, settling the callers of every
 * batch committed before the fsync started only when it completes: a resolved write is still on disk, and batches
 * committed while an fsync runs share the next one. Between the commit and its fsync other readers in this process
 * may already see the rows (a delivery may start before its ingest is answered; a crash then makes the sender
 * retry, which at-least-once delivery allows). Outside its own transactions the connection stays at FULL.
 *
 * Batches form around the fsync: writes submitted while an fsync runs are held in the queue and committed together
 * on the turn after it returns (then the next fsync starts at once). Their callers could not be answered before
 * that next fsync anyway, so holding them adds only the commit's own time to their wait, and a transaction per
 * fsync instead of one per event-loop turn writes each hot index page to the WAL once rather than once per turn
 * (measured under ingest load: 1.4 commits per fsync before, 1.0 after, each carrying about twice the writes). A write that
 * must not wait for the disk (a claim: `submit(run, { prompt: true })`), or a queue of MAX_BATCH writes, is
 * committed at the next turn as before, taking the held writes with it.
 *
 * Two connections on one file (the dispatch thread's and the main thread's, with NORMAL locking): their
 * transactions take SQLite's write lock in turn. SQLite's busy handler would wait for it by sleeping the thread
 * (1 ms, then 2, 5 …), blocking its event loop; so a batch's BEGIN IMMEDIATE is tried without waiting, and on
 * SQLITE_BUSY the batch goes back to the head of the queue and is tried again a millisecond later, the event loop
 * running meanwhile. Writes queued during the wait join the batch. Only close() still waits in SQLite.
 */
import { closeSync, fstatSync, fsync, fsyncSync, openSync, statSync } from 'node:fs';
import type Database from 'better-sqlite3';

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

interface Pending {
  run: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
  /** Cleared by notDurable() while it runs: then it settles at its commit, without waiting for the fsync. */
  durable: boolean;
  /** Committed at the next turn even while an fsync runs (see SubmitOptions.prompt). */
  prompt: boolean;
}

export interface SubmitOptions {
  /**
   * Commit at the next turn of the event loop even while an fsync runs, instead of with the writes held for the
   * fsync's end: for an operation whose caller does not wait for the disk (it calls notDurable(), as a claim does).
   */
  prompt?: boolean;
}

/** The operation running now (better-sqlite3 is synchronous, so there is at most one in the process). */
let running: Pending | null = null;

/**
 * Called by an operation while it runs, when losing its write in a crash would be harmless: its caller is then
 * answered at the commit, without waiting for the fsync (its rows become durable with the next fsync anyway, the
 * WAL being sequential). A claim is such a write: a lease lost in a crash only makes the event due again, which
 * at-least-once delivery allows, and the dispatcher's claim cycle should not wait for the disk.
 */
export function notDurable(): void {
  if (running !== null) running.durable = false;
}

/** Most operations per transaction: bounds how long one commit keeps the event loop. */
const MAX_BATCH = 1000;

/** A BEGIN that took this long waited for the write lock (SQLite's busy handler sleeps 1 ms first). */
const LOCK_WAIT_MS = 0.9;

/** How soon a batch that found the write lock held by another connection tries again. */
const LOCK_RETRY_MS = 1;

/** How often the WAL descriptor's file is checked to still be the WAL (see walFile). */
const WAL_CHECK_MS = 1000;

/** A committed operation waiting for the fsync that makes it durable. */
interface Committed {
  resolve: () => void;
  reject: (error: unknown) => void;
}

export interface GroupWriterOptions {
  /** The fsync used for the WAL (tests inject failures and delays); Node's fs.fsync by default. */
  fsync?: (fd: number, callback: (error: NodeJS.ErrnoException | null) => void) => void;
  /** Hold writes submitted while an fsync runs until it returns (default true; false commits them at once, as before). */
  holdDuringFsync?: boolean;
}

export class GroupWriter {
  private queue: Pending[] = [];
  /** Whether a queued operation was submitted `prompt`. */
  private promptQueued = false;
  private scheduled = false;
  private closed = false;
  private committed = 0;
  private readonly begin: Database.Statement;
  private readonly commit: Database.Statement;
  private readonly rollback: Database.Statement;
  private readonly savepoint: Database.Statement;
  private readonly release: Database.Statement;
  private readonly rollbackTo: Database.Statement;
  /** The WAL file to fsync after commits, or null when commits are synchronous (not WAL+FULL) or not durable. */
  private readonly walPath: string | null;
  private walFd: number | null = null;
  private walCheckedAt = 0;
  private readonly fsync: NonNullable<GroupWriterOptions['fsync']>;
  /** Committed since the running fsync started: the next fsync covers them. */
  private awaitingSync: Committed[] = [];
  /** Covered by the fsync now running. */
  private syncing: Committed[] | null = null;
  private synced = 0;
  private readonly holdDuringFsync: boolean;
  private waitsForLock = 0;
  private waitedForLockMs = 0;
  /** Another connection may hold the write lock (NORMAL locking): BEGIN is tried without waiting (see header). */
  private readonly beginWithoutWaiting: Database.Statement | null;
  private readonly busyTimeoutMs: number;
  /** Set while a batch waits for the write lock: the timer that tries again, and since when it waits. */
  private lockRetry: NodeJS.Timeout | null = null;
  private lockWaitStarted: number | null = null;

  constructor(
    private readonly db: Database.Database,
    options: GroupWriterOptions = {},
  ) {
    // IMMEDIATE takes the write lock up front, so another process cannot make the commit fail with SQLITE_BUSY.
    this.begin = db.prepare('BEGIN IMMEDIATE');
    this.commit = db.prepare('COMMIT');
    this.rollback = db.prepare('ROLLBACK');
    this.savepoint = db.prepare('SAVEPOINT op');
    this.release = db.prepare('RELEASE op');
    this.rollbackTo = db.prepare('ROLLBACK TO op');
    const wal = String(db.pragma('journal_mode', { simple: true })).toLowerCase() === 'wal';
    const full = Number(db.pragma('synchronous', { simple: true })) >= 2;
    this.walPath = wal && full && !db.memory ? `${db.name}-wal` : null;
    this.fsync = options.fsync ?? fsync;
    this.holdDuringFsync = options.holdDuringFsync ?? true;
    const shared = String(db.pragma('locking_mode', { simple: true })).toLowerCase() === 'normal' && !db.memory;
    this.busyTimeoutMs = Number(db.pragma('busy_timeout', { simple: true }));
    this.beginWithoutWaiting = shared ? db.prepare('BEGIN IMMEDIATE') : null;
  }

  /** Transactions committed so far (for tests and metrics: many writes should share few commits). */
  get commits(): number {
    return this.committed;
  }

  /** fsyncs of the WAL run so far by this writer (0 when commits are synchronous or not durable). */
  get fsyncs(): number {
    return this.synced;
  }

  /**
   * BEGIN IMMEDIATEs that waited for another connection's write lock (SQLite's busy handler sleeps the thread, 1 ms
   * at least), and the time they waited: two connections on one file (the dispatch thread) collide here.
   */
  get lockWaits(): { count: number; ms: number } {
    return { count: this.waitsForLock, ms: this.waitedForLockMs };
  }

  /** Queues `run` for the next group commit; resolves with its result once that commit is on disk. */
  submit<T>(run: () => T, options: SubmitOptions = {}): Promise<T> {
    if (this.closed) return Promise.reject(new Error('The store is closed; open it again to write.'));
    const prompt = options.prompt === true;
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ run, resolve: resolve as (value: unknown) => void, reject, durable: true, prompt });
      if (prompt) this.promptQueued = true;
      this.schedule();
    });
  }

  /** Runs everything queued now (used by close), waiting in SQLite for the write lock if another connection has it. */
  flushAll(): void {
    this.cancelLockRetry();
    while (this.queue.length > 0) this.flushBatch(false);
  }

  /** Flushes what is queued, makes it durable (synchronously), and refuses further writes. */
  close(): void {
    this.flushAll();
    this.closed = true;
    const waiting = [...(this.syncing ?? []), ...this.awaitingSync.splice(0)];
    if (waiting.length > 0 && this.walPath !== null) {
      try {
        // Its own descriptor: the cached one may be in use by an fsync still running on the thread pool.
        const fd = openSync(this.walPath, 'r');
        try {
          fsyncSync(fd);
        } finally {
          closeSync(fd);
        }
        for (const c of waiting) c.resolve();
      } catch (error) {
        for (const c of waiting) c.reject(error);
      }
    }
    // An fsync still running on the thread pool closes the file when it returns.
    if (this.syncing === null) this.closeWal();
  }

  /** True while the queue waits for the running fsync's end (which schedules its flush). */
  private holding(): boolean {
    return this.holdDuringFsync && this.syncing !== null && !this.promptQueued && this.queue.length < MAX_BATCH && !this.closed;
  }

  private schedule(): void {
    // A batch waiting for the lock takes the new writes along; held writes wait for the running fsync's end.
    if (this.scheduled || this.lockRetry !== null || this.holding()) return;
    this.scheduled = true;
    setImmediate(this.onTick);
  }

  private readonly onTick = (): void => {
    this.scheduled = false;
    // Scheduled before an fsync started: the writes now wait for its end.
    if (this.holding()) return;
    this.flushBatch(true);
    // Writes beyond one batch wait for the next turn, so sockets get read in between.
    if (this.queue.length > 0) this.schedule();
  };

  private cancelLockRetry(): void {
    if (this.lockRetry === null) return;
    clearTimeout(this.lockRetry);
    this.lockRetry = null;
  }

  /**
   * BEGIN IMMEDIATE without waiting for another connection's write lock: 'busy' when it holds it, 'failed' on
   * another error (runTogether then begins again and, failing, runs the operations alone, as it does for any
   * transaction that fails as a whole).
   */
  private tryBegin(): 'begun' | 'busy' | 'failed' {
    if (this.beginWithoutWaiting === null) return 'failed';
    this.db.exec('PRAGMA busy_timeout = 0');
    try {
      this.beginWithoutWaiting.run();
      return 'begun';
    } catch (error) {
      return String((error as { code?: unknown }).code).startsWith('SQLITE_BUSY') ? 'busy' : 'failed';
    } finally {
      this.db.exec(`PRAGMA busy_timeout = ${this.busyTimeoutMs}`);
    }
  }

  /**
   * Tries to start the batch's transaction without waiting (when another connection may hold the lock and
   * `mayDefer`): 'deferred' when that connection holds it (the batch is back at the head of the queue, tried again
   * in LOCK_RETRY_MS); 'not begun' when runTogether is to begin it itself (waiting in SQLite if need be).
   */
  private startBatch(batch: Pending[], mayDefer: boolean): 'begun' | 'not begun' | 'deferred' {
    if (!mayDefer || this.beginWithoutWaiting === null) return 'not begun';
    const begun = this.tryBegin();
    if (begun !== 'busy') {
      if (begun === 'begun' && this.lockWaitStarted !== null) {
        this.waitsForLock += 1;
        this.waitedForLockMs += performance.now() - this.lockWaitStarted;
      }
      this.lockWaitStarted = null;
      return begun === 'begun' ? 'begun' : 'not begun';
    }
    this.lockWaitStarted ??= performance.now();
    this.queue.unshift(...batch);
    if (batch.some((op) => op.prompt)) this.promptQueued = true;
    this.lockRetry = setTimeout(() => {
      this.lockRetry = null;
      this.onTick();
    }, LOCK_RETRY_MS);
    return 'deferred';
  }

  private flushBatch(mayDefer: boolean): void {
    const batch = this.queue.splice(0, MAX_BATCH);
    this.promptQueued = this.queue.some((op) => op.prompt);
    if (batch.length === 0) return;
    const deferred = this.walPath !== null;
    // exec, not a prepared statement: SQLite applies this pragma when it is prepared, not reliably when re-run.
    if (deferred) this.db.exec('PRAGMA synchronous = NORMAL');
    let outcomes: Outcome[];
    try {
      const started = this.startBatch(batch, mayDefer);
      if (started === 'deferred') return;
      outcomes = this.runTogether(batch, started === 'begun') ?? batch.map((op) => this.runAlone(op));
    } finally {
      if (deferred) this.db.exec('PRAGMA synchronous = FULL');
    }
    batch.forEach((op, index) => {
      const outcome = outcomes[index];
      if (outcome === undefined) op.reject(new Error('Internal error: a write has no outcome.'));
      else if (!outcome.ok) op.reject(outcome.error);
      else if (deferred && op.durable) this.awaitingSync.push({ resolve: () => op.resolve(outcome.value), reject: op.reject });
      else op.resolve(outcome.value);
    });
    if (deferred) this.startSync();
  }

  /** Starts an fsync of the WAL for everything committed so far, unless one is running (its end starts the next). */
  private startSync(): void {
    if (this.syncing !== null || this.awaitingSync.length === 0) return;
    const covered = this.awaitingSync;
    this.awaitingSync = [];
    let fd: number | null;
    try {
      fd = this.walFile();
    } catch (error) {
      for (const c of covered) c.reject(error);
      return;
    }
    if (fd === null) {
      for (const c of covered) c.resolve();
      return;
    }
    this.syncing = covered;
    this.fsync(fd, (error) => {
      this.syncing = null;
      this.synced += 1;
      // Rejected, not retried: after a failed fsync the kernel may have dropped the dirty pages, so the callers
      // (answered 5xx) must send again; what they wrote may or may not survive a crash (at least once).
      for (const c of covered) {
        if (error === null) c.resolve();
        else c.reject(error);
      }
      if (this.closed) this.closeWal();
      else {
        this.startSync();
        // The writes held while this fsync ran: committed on the next turn, after its callers' answers.
        if (this.queue.length > 0) this.schedule();
      }
    });
  }

  /**
   * The WAL's file descriptor, opened once. SQLite replaces the WAL file only when its last connection closes or
   * the journal mode changes, neither of which happens while this writer's connection is open; still, the file's
   * identity is checked again every WAL_CHECK_MS (an fsync of a stale descriptor would flush nothing that matters).
   * null when the WAL does not exist (nothing to flush).
   */
  private walFile(): number | null {
    if (this.walPath === null) return null;
    const now = Date.now();
    if (this.walFd !== null && now - this.walCheckedAt < WAL_CHECK_MS) return this.walFd;
    let current;
    try {
      current = statSync(this.walPath);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
    if (this.walFd !== null && fstatSync(this.walFd).ino !== current.ino) this.closeWal();
    this.walFd ??= openSync(this.walPath, 'r');
    this.walCheckedAt = now;
    return this.walFd;
  }

  private closeWal(): void {
    if (this.walFd === null) return;
    closeSync(this.walFd);
    this.walFd = null;
  }

  /** BEGIN IMMEDIATE, counting the waits for the write lock (a wait sleeps at least 1 ms; anything shorter is not one). */
  private beginWrite(): void {
    const started = performance.now();
    this.begin.run();
    const waited = performance.now() - started;
    if (waited >= LOCK_WAIT_MS) {
      this.waitsForLock += 1;
      this.waitedForLockMs += waited;
    }
  }

  /** One transaction for the batch (`begun`: its BEGIN already ran); null when it failed as a whole. */
  private runTogether(batch: Pending[], begun: boolean): Outcome[] | null {
    try {
      if (!begun) this.beginWrite();
      let outcomes = this.runPlain(batch);
      if (outcomes === null) {
        // An operation threw, its writes half done: the batch again, each operation in its own savepoint.
        if (this.db.inTransaction) this.rollback.run();
        this.beginWrite();
        outcomes = batch.map((op) => this.runInSavepoint(op));
      }
      this.commit.run();
      this.committed += 1;
      return outcomes;
    } catch {
      if (this.db.inTransaction) this.rollback.run();
      return null;
    }
  }

  private runOp(op: Pending): unknown {
    op.durable = true; // a batch run again alone starts afresh
    running = op;
    try {
      return op.run();
    } finally {
      running = null;
    }
  }

  /**
   * Every operation's value, or null as soon as one throws (the transaction is then to be rolled back). Throws
   * when the transaction itself is gone (SQLite ended it on an I/O error or a full disk): the batch must be redone.
   */
  private runPlain(batch: Pending[]): Outcome[] | null {
    const outcomes: Outcome[] = [];
    for (const op of batch) {
      let value: unknown;
      try {
        value = this.runOp(op);
      } catch (error) {
        if (!this.db.inTransaction) throw error;
        return null;
      }
      // Checked after each operation, as a savepoint's release would: what follows must not run in autocommit.
      if (!this.db.inTransaction) throw new Error('The transaction ended inside an operation.');
      outcomes.push({ ok: true, value });
    }
    return outcomes;
  }

  private runInSavepoint(op: Pending): Outcome {
    this.savepoint.run();
    try {
      const value = this.runOp(op);
      this.release.run();
      return { ok: true, value };
    } catch (error) {
      // SQLite rolls the whole transaction back on some errors (I/O, disk full): then the batch must be redone.
      if (!this.db.inTransaction) throw error;
      this.rollbackTo.run();
      this.release.run();
      return { ok: false, error };
    }
  }

  private runAlone(op: Pending): Outcome {
    try {
      this.beginWrite();
      const value = this.runOp(op);
      this.commit.run();
      this.committed += 1;
      return { ok: true, value };
    } catch (error) {
      if (this.db.inTransaction) this.rollback.run();
      return { ok: false, error };
    }
  }
}
