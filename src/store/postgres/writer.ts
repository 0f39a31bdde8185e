/**
 * Group commit on PostgreSQL. Each write is queued as an operation; the operations queued in one turn of the event
 * loop (and those that pile up while a commit is under way) run together in ONE transaction on one pooled
 * connection, and each caller's promise settles only after that COMMIT returned. With synchronous_commit on
 * (openPostgresStore sets it), a resolved write is flushed to the WAL on disk: many concurrent requests share one
 * commit and one WAL flush.
 *
 * Each operation runs inside its own savepoint: one that throws (a name conflict, a duplicate id) is rolled back
 * alone and its caller gets the error, while the others still commit together. If the transaction as a whole
 * fails (the connection dropped, COMMIT failed), every operation is run again alone, in order, in its own
 * transaction, so one bad operation cannot fail the rest. A COMMIT cut before its answer may have committed: the
 * operations run again know it (`tx.redo`), and those that can recognise their own committed write answer it. An operation that lost a deadlock (or a serialization
 * failure) did nothing: it is run again alone, a few times, before its caller sees the error.
 *
 * Unlike SQLite, PostgreSQL takes writes from many connections at once, so a few batches run side by side
 * (`lanes`), each on its own connection: one batch's commit (its WAL flush) overlaps the next one's work.
 *
 * A batch holds at most `maxBatch` operations: every savepoint that writes is a subtransaction, and a transaction
 * with more than 64 of them overflows PostgreSQL's per-backend subtransaction cache, which slows every other
 * session's snapshots while it runs. 64 keeps each transaction within the cache.
 *
 * Operations may ask for a wake-up (`tx.wake()`): when one that committed did, the batch sends one NOTIFY on the
 * due channel inside its transaction, so listening workers are woken exactly when the new work is visible.
 *
 * Merged operations (`submitMerged`): operations of one kind that can be written together (ingests) are queued
 * with a `Merge` that writes many inputs in a fixed number of statements. A run of consecutive ones in a batch
 * is written as ONE operation, in one savepoint, so a batch of 64 ingests costs a few round trips rather than
 * three each. If that merged write fails, it is rolled back to its savepoint and each input is written again on
 * its own, in its own savepoint, as any other operation: one bad input fails alone, the others still commit in
 * the same transaction. Runs are only formed from consecutive operations, so the batch's order is kept.
 */
import type pg from 'pg';
import { type Checkout, checkout, Db, isRetryable } from './db.js';

export interface Tx {
  db: Db;
  /** Asks for a NOTIFY on the due channel when this operation commits: it made events due now. */
  wake(): void;
  /**
   * True when the operation runs again alone because its batch's transaction was lost, perhaps in its COMMIT: its
   * first run may have committed, and an operation that can tell (ingest: its request id) answers what is stored.
   */
  readonly redo: boolean;
}

export type Op<T> = (tx: Tx) => Promise<T>;

/**
 * Writes many inputs of one kind together, answering one value per input in their order; throws when any of them
 * fails (each is then written alone).
 */
export interface Merge<I, O> {
  writeAll(tx: Tx, inputs: I[]): Promise<O[]>;
  /** How much an input weighs (bytes it sends); a merged run stays within `maxWeight` (one heavier input runs alone). */
  weigh?(input: I): number;
  maxWeight?: number;
}

type Outcome = { ok: true; value: unknown; woke: boolean } | { ok: false; error: unknown };

interface Pending {
  run: Op<unknown>;
  /** Set for a merged operation: its kind and input (`run` writes that input alone). */
  merged?: { merge: Merge<unknown, unknown>; input: unknown };
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

export interface GroupWriterOptions {
  /** Batches running at once, each on its own connection (default 2). */
  lanes?: number;
  /** Operations per transaction at most (default 64, see above). */
  maxBatch?: number;
  /** The channel a committed `wake()` notifies (null = never notify). */
  channel: string | null;
}

const RETRIES = 3;

export class GroupWriter {
  private queue: Pending[] = [];
  private scheduled = false;
  private closed = false;
  private running = 0;
  private committed = 0;
  private readonly lanes: number;
  private readonly maxBatch: number;
  private readonly channel: string | null;
  private idle: (() => void)[] = [];

  constructor(
    private readonly pool: pg.Pool,
    options: GroupWriterOptions,
  ) {
    this.lanes = Math.max(1, options.lanes ?? 2);
    this.maxBatch = Math.max(1, options.maxBatch ?? 64);
    this.channel = options.channel;
  }

  /** Transactions committed so far (for tests and metrics: many writes should share few commits). */
  get commits(): number {
    return this.committed;
  }

  /** Queues `run` for the next group commit; resolves with its result once that commit returned. */
  submit<T>(run: Op<T>): Promise<T> {
    return this.enqueue(run, undefined) as Promise<T>;
  }

  /** Queues `input` to be written with the other inputs of `merge` next to it in the batch (see above). */
  submitMerged<I, O>(merge: Merge<I, O>, input: I): Promise<O> {
    const run: Op<O> = async (tx) => {
      const [value] = await merge.writeAll(tx, [input]);
      return value as O;
    };
    return this.enqueue(run, { merge, input }) as Promise<O>;
  }

  private enqueue(run: Op<unknown>, merged: Pending['merged']): Promise<unknown> {
    if (this.closed) return Promise.reject(new Error('The store is closed; open it again to write.'));
    return new Promise<unknown>((resolve, reject) => {
      this.queue.push(merged === undefined ? { run, resolve, reject } : { run, merged, resolve, reject });
      this.schedule();
    });
  }

  /** Refuses further writes and resolves once everything queued is committed (or failed). */
  async close(): Promise<void> {
    this.closed = true;
    this.startBatches();
    while (this.running > 0 || this.queue.length > 0) {
      await new Promise<void>((resolve) => this.idle.push(resolve));
      this.startBatches();
    }
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    // The next turn: the writes issued in this one join the same batch.
    setImmediate(() => {
      this.scheduled = false;
      this.startBatches();
    });
  }

  private startBatches(): void {
    while (this.running < this.lanes && this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch);
      this.running += 1;
      void this.flush(batch).finally(() => {
        this.running -= 1;
        // What queued up meanwhile goes at once: it has waited for a commit already.
        if (this.queue.length > 0) this.startBatches();
        for (const wake of this.idle.splice(0)) wake();
      });
    }
  }

  private async flush(batch: Pending[]): Promise<void> {
    const together = await this.runTogether(batch);
    const outcomes: Outcome[] = [];
    for (const [index, op] of batch.entries()) {
      let outcome = together?.[index];
      // Run alone: the whole batch failed, or this one lost a deadlock against another writer.
      for (let attempt = 0; outcome === undefined || (!outcome.ok && isRetryable(outcome.error) && attempt < RETRIES); attempt++) {
        outcome = await this.runAlone(op, together === null);
      }
      outcomes.push(outcome);
    }
    batch.forEach((op, index) => {
      const outcome = outcomes[index];
      if (outcome === undefined) op.reject(new Error('Internal error: a write has no outcome.'));
      else if (outcome.ok) op.resolve(outcome.value);
      else op.reject(outcome.error);
    });
  }

  /** One transaction for the batch; null when it failed as a whole. */
  private async runTogether(batch: Pending[]): Promise<Outcome[] | null> {
    let held: Checkout;
    try {
      held = await checkout(this.pool);
    } catch {
      return null;
    }
    const { client } = held;
    let broken: unknown = undefined;
    const savepoint = new Savepoints(client);
    try {
      const outcomes: Outcome[] = [];
      for (const run of runsOf(batch)) {
        const together = run.length > 1 ? await this.runMerged(client, savepoint, run) : null;
        if (together !== null) {
          outcomes.push(...together);
          continue;
        }
        // A single operation, or a merged run that failed: each on its own.
        for (const op of run) outcomes.push(await this.runInSavepoint(client, savepoint, op));
      }
      await this.notifyIfWoken(client, outcomes);
      await client.query('COMMIT');
      this.committed += 1;
      return outcomes;
    } catch (error) {
      broken = error;
      await client.query('ROLLBACK').catch(() => undefined);
      return null;
    } finally {
      // A connection in an unknown state is not given back to the pool.
      held.release(broken);
    }
  }

  /** Runs one operation in its own savepoint; a failure is undone alone (if even that fails, this throws). */
  private async runInSavepoint(client: pg.PoolClient, savepoint: Savepoints, op: Pending): Promise<Outcome> {
    await savepoint.open();
    const outcome = await this.runOp(client, op.run, false);
    if (!outcome.ok) await savepoint.rollBack();
    return outcome;
  }

  /** Writes a run of merged operations at once: one outcome per operation, or null (nothing written) when that failed. */
  private async runMerged(client: pg.PoolClient, savepoint: Savepoints, run: Pending[]): Promise<Outcome[] | null> {
    const [first] = run;
    if (first?.merged === undefined) return null;
    const { merge } = first.merged;
    const inputs = run.map((op) => op.merged?.input);
    const outcome = await this.runInSavepoint(client, savepoint, { ...first, run: (tx) => merge.writeAll(tx, inputs) });
    if (!outcome.ok) return null;
    const values = outcome.value as unknown[];
    if (values.length !== run.length) throw new Error(`Internal error: a merged write answered ${values.length} values for ${run.length} inputs.`);
    return values.map((value) => ({ ok: true, value, woke: outcome.woke }));
  }

  private async runAlone(op: Pending, redo: boolean): Promise<Outcome> {
    let held: Checkout;
    try {
      held = await checkout(this.pool);
    } catch (error) {
      return { ok: false, error };
    }
    const { client } = held;
    let broken: unknown = undefined;
    try {
      await client.query('BEGIN');
      const outcome = await this.runOp(client, op.run, redo);
      if (!outcome.ok) {
        await client.query('ROLLBACK');
        return outcome;
      }
      await this.notifyIfWoken(client, [outcome]);
      await client.query('COMMIT');
      this.committed += 1;
      return outcome;
    } catch (error) {
      broken = error;
      await client.query('ROLLBACK').catch(() => undefined);
      return { ok: false, error };
    } finally {
      held.release(broken);
    }
  }

  /** Runs one operation; its failure is its outcome (the caller undoes what it did). */
  private async runOp(client: pg.PoolClient, run: Op<unknown>, redo: boolean): Promise<Outcome> {
    let woke = false;
    const tx: Tx = {
      db: new Db(client),
      wake: () => {
        woke = true;
      },
      redo,
    };
    try {
      const value = await run(tx);
      return { ok: true, value, woke };
    } catch (error) {
      return { ok: false, error };
    }
  }

  private async notifyIfWoken(client: pg.PoolClient, outcomes: Outcome[]): Promise<void> {
    if (this.channel === null || !outcomes.some((o) => o.ok && o.woke)) return;
    await client.query("SELECT pg_notify($1, '')", [this.channel]);
  }
}

/**
 * The batch's transaction and its one savepoint name, reused: the first open begins the transaction with it (one
 * round trip), each next one releases the previous savepoint and opens a new one (one round trip).
 */
class Savepoints {
  private begun = false;
  constructor(private readonly client: pg.PoolClient) {}

  async open(): Promise<void> {
    await this.client.query(this.begun ? 'RELEASE SAVEPOINT op; SAVEPOINT op' : 'BEGIN; SAVEPOINT op');
    this.begun = true;
  }

  async rollBack(): Promise<void> {
    await this.client.query('ROLLBACK TO SAVEPOINT op');
  }
}

/**
 * The batch cut into runs: consecutive operations merged with the same `Merge` together, as long as the run stays
 * within the merge's `maxWeight` (so one statement never carries many large bodies); every other operation alone.
 */
function runsOf(batch: Pending[]): Pending[][] {
  const runs: Pending[][] = [];
  let weight = 0;
  for (const op of batch) {
    const last = runs.at(-1);
    const merge = op.merged?.merge;
    const heavy = merge?.weigh?.(op.merged?.input) ?? 0;
    const joins = merge !== undefined && last?.at(-1)?.merged?.merge === merge && weight + heavy <= (merge.maxWeight ?? Infinity);
    if (last !== undefined && joins) {
      last.push(op);
      weight += heavy;
    } else {
      runs.push([op]);
      weight = heavy;
    }
  }
  return runs;
}
