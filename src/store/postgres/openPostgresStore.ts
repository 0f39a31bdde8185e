/**
 * Opens the scale-out store on a PostgreSQL database (`DATABASE_URL`). Call `migrate()` before anything else.
 *
 * Driver: node-postgres (`pg`), the conservative choice: the most used PostgreSQL client for Node, pure
 * JavaScript (no native build), a pool with per-pool type parsers, LISTEN/NOTIFY on a plain client, typed errors
 * carrying the SQLSTATE, and bytea as Buffer. It is what graphile-worker builds on.
 *
 * Every session of the pool starts with `synchronous_commit = on`, whatever the database's default: a resolved
 * write is flushed to the WAL (and to a synchronous standby, when one is configured). With `schema`, every
 * session's search_path is that schema alone (created by `migrate()` if absent): several deployments, or the
 * tests, can share one database without seeing each other's tables.
 */
import pg from 'pg';
import { ACTIVE_CONNECTIONS_TTL_MS } from './activeConnectionsCache.js';
import { TYPES } from './db.js';
import { quoteIdentifier } from './migrate.js';
import { checkChannel, DUE_CHANNEL } from './notify.js';
import { PostgresStore } from './postgresStore.js';

export { PostgresStore } from './postgresStore.js';
export { DUE_CHANNEL, listenForDue, type ListenOptions } from './notify.js';

export interface PostgresStoreOptions {
  /** Connections in the pool (config `SLUICE_DB_POOL_SIZE`, default 10). */
  poolSize?: number;
  /** Keep every table in this schema (search_path), created if absent; default: the database's search_path. */
  schema?: string;
  /** The LISTEN/NOTIFY channel of due work (default `sluice_due`); `listenForDue` must use the same. */
  channel?: string;
  /** Group-commit batches running at once (default: a third of the pool, at least 1, at most 4). */
  writeLanes?: number;
  /** Operations per group-commit transaction at most (default 64; see writer.ts). */
  maxBatch?: number;
  /** A retry due within this many ms of being recorded wakes the workers (default 1000). */
  wakeWithinMs?: number;
  /** How long ingest may reuse a source's active connections (default 1000 ms; 0 = read them every time). */
  activeConnectionsTtlMs?: number;
  /** Told about errors of idle pooled connections (the pool drops them and opens new ones). */
  onPoolError?: (error: Error) => void;
}

/** `-c name=value` settings every session of the pool starts with. */
function sessionOptions(schema: string | undefined): string {
  const settings = ['-c synchronous_commit=on'];
  if (schema !== undefined) settings.push(`-c search_path=${quoteIdentifier(schema)}`);
  return settings.join(' ');
}

/**
 * The URL with our session settings added to any `options` it already carries (a connection string's own values
 * override the pool's config in node-postgres, so they are merged here rather than passed beside it).
 */
function withSessionOptions(url: string, settings: string): string {
  const parsed = new URL(url);
  const own = parsed.searchParams.get('options');
  parsed.searchParams.set('options', own === null || own.trim() === '' ? settings : `${own} ${settings}`);
  return parsed.toString();
}

/** How long taking a new connection may wait for the server. */
export const CONNECT_TIMEOUT_MS = 5000;

export async function openPostgresStore(url: string, options: PostgresStoreOptions = {}): Promise<PostgresStore> {
  const poolSize = options.poolSize ?? 10;
  if (!Number.isInteger(poolSize) || poolSize < 1) throw new Error(`The PostgreSQL pool size must be a whole number ≥ 1; got ${poolSize}.`);
  const schema = options.schema;
  const pool = new pg.Pool({
    connectionString: withSessionOptions(url, sessionOptions(schema)),
    max: poolSize,
    application_name: 'sluice',
    types: TYPES,
    // Idle connections are closed after a while, so a quiet gateway does not hold the server's slots for ever.
    idleTimeoutMillis: 30_000,
    // A server that does not answer (a network partition, not a refusal) must not hold requests for ever: they
    // fail as STORE_UNAVAILABLE (503) after this, and the pool tries again for the next one.
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
  });
  pool.on('error', options.onPoolError ?? (() => undefined));
  // Fail at open, with the driver's message, rather than at the first request.
  try {
    const client = await pool.connect();
    client.release();
  } catch (error) {
    await pool.end().catch(() => undefined);
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`Cannot connect to PostgreSQL at ${redact(url)}: ${reason}. Check DATABASE_URL and that the server is up.`, { cause: error });
  }
  return new PostgresStore(pool, {
    schema: schema ?? null,
    channel: checkChannel(options.channel ?? DUE_CHANNEL),
    writeLanes: options.writeLanes ?? Math.min(4, Math.max(1, Math.floor(poolSize / 3))),
    maxBatch: options.maxBatch ?? 64,
    wakeWithinMs: options.wakeWithinMs ?? 1000,
    activeConnectionsTtlMs: options.activeConnectionsTtlMs ?? ACTIVE_CONNECTIONS_TTL_MS,
  });
}

/** The URL without its password, for error messages. */
export function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(an unparsable URL)';
  }
}
