/**
 * A thin layer over node-postgres for the query modules: typed row access on a pool or on one checked-out client
 * (a transaction), numbered parameters built as conditions are added, the type parsers the store relies on, and
 * the recognition of the errors the store turns into domain answers.
 */
import pg from 'pg';

/** Anything a query runs on: the pool (one implicit transaction per statement) or a client inside a transaction. */
export type Queryable = Pick<pg.Pool, 'query'> | Pick<pg.PoolClient, 'query'>;

export type SqlValue = string | number | boolean | Buffer | null | readonly (string | number | boolean | Buffer | null)[];

/**
 * int8 (bigint) columns hold millisecond times and counts: read them as numbers. Every value Sluice stores is far
 * below 2^53, so nothing is lost; node-postgres would otherwise return strings. Set per pool (not globally), so
 * another user of `pg` in the same process keeps its own parsing.
 */
const INT8_OID = 20;
const parseInt8 = (value: string): number => Number(value);
export const TYPES = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID ? parseInt8 : (pg.types.getTypeParser(oid, format ?? 'text') as (value: string) => unknown)) as pg.CustomTypesConfig['getTypeParser'],
};

export class Db {
  constructor(readonly q: Queryable) {}

  async rows<R>(text: string, params: readonly SqlValue[] = []): Promise<R[]> {
    const result = await this.q.query(text, params as unknown[]);
    return result.rows as R[];
  }

  /** The first row, or undefined. `R` is the caller's description of the selected columns. */
  async row<R>(text: string, params: readonly SqlValue[] = []): Promise<R | undefined> {
    return (await this.rows<R>(text, params))[0];
  }

  /** Runs a write; returns the number of rows it touched. */
  async run(text: string, params: readonly SqlValue[] = []): Promise<number> {
    const result = await this.q.query(text, params as unknown[]);
    return result.rowCount ?? 0;
  }
}

/** Numbered placeholders for dynamic SQL: `p.add(value)` returns `$n` and remembers the value. */
export class Params {
  readonly values: SqlValue[] = [];
  constructor(initial: readonly SqlValue[] = []) {
    this.values.push(...initial);
  }
  add(value: SqlValue): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

/** The SQLSTATE of a PostgreSQL error, or undefined for anything else. */
export function sqlState(error: unknown): string | undefined {
  if (error instanceof Error && 'code' in error && typeof (error as { code: unknown }).code === 'string') {
    return (error as { code: string }).code;
  }
  return undefined;
}

/** A UNIQUE or PRIMARY KEY violation (the caller turns it into a CONFLICT that says what to do). */
export function isUniqueViolation(error: unknown): boolean {
  return sqlState(error) === '23505';
}

/** A FOREIGN KEY violation: what was referenced was deleted by a concurrent writer. */
export function isForeignKeyViolation(error: unknown): boolean {
  return sqlState(error) === '23503';
}

/** Deadlock or serialization failure: the operation did nothing and may simply be run again. */
export function isRetryable(error: unknown): boolean {
  const state = sqlState(error);
  return state === '40P01' || state === '40001';
}

/** A pooled connection held for a transaction, and how to give it back. */
export interface Checkout {
  client: pg.PoolClient;
  /** Returns it to the pool, or closes it when `broken` says its state is unknown. */
  release(broken?: unknown): void;
}

/**
 * Takes a connection from the pool for a transaction. The pool listens for errors of idle connections only; a
 * checked-out one whose server went away emits 'error' once its query has failed, which would be an uncaught
 * exception. The failure already reached the caller through that query, so the event is swallowed while held.
 */
export async function checkout(pool: pg.Pool): Promise<Checkout> {
  const client = await pool.connect();
  const swallow = (): void => undefined;
  client.on('error', swallow);
  let released = false;
  return {
    client,
    release(broken?: unknown) {
      if (released) return;
      released = true;
      client.removeListener('error', swallow);
      client.release(broken === undefined ? undefined : broken instanceof Error ? broken : new Error('The connection is in an unknown state.'));
    },
  };
}
