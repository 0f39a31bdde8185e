/**
 * Opens the embedded store on one SQLite file (created, with its directory, if absent). WAL lets readers go on
 * while a commit is written; synchronous=FULL makes every commit an fsync, so a resolved write survives a power
 * cut (group commit keeps that affordable). Call `migrate()` before anything else.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { SqliteStore } from './sqliteStore.js';

export { SqliteStore } from './sqliteStore.js';

export interface SqliteStoreOptions {
  /** FULL (default): a resolved write is fsync'd. NORMAL: WAL commits are not fsync'd (a power cut may lose the last ones). */
  synchronous?: 'FULL' | 'NORMAL';
  /**
   * Hold SQLite's lock for the connection's lifetime (`locking_mode=EXCLUSIVE`), so a second gateway on the same
   * data directory fails to start instead of sharing the queue. The gateway opens its store this way; with it,
   * every lease found at start is stale and `recoverStaleClaims()` may release them all at once.
   */
  exclusive?: boolean;
  /**
   * SQLite's page cache for this connection, in KiB (64 MiB by default). The queue's indexes are hot, but with two
   * connections on one file (the dispatch thread's and the main thread's) each has its own cache: they are sized
   * so that the two together stay within the memory target.
   */
  cacheKiB?: number;
}

/** 64 MiB: the page cache of a connection that does everything (ingest, claims, records, API reads). */
export const DEFAULT_CACHE_KIB = 65536;

export class StoreLockedError extends Error {
  constructor(file: string) {
    super(`${file} is in use by another Sluice process; stop it, or give this one another SLUICE_DATA_DIR.`);
    this.name = 'StoreLockedError';
  }
}

export function openSqliteStore(file: string, options: SqliteStoreOptions = {}): SqliteStore {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  // A lock held by a live gateway is not let go, so an exclusive opener does not wait long for it.
  const db = new Database(file, { timeout: options.exclusive === true ? 250 : 5000 });
  try {
    // Must come before the first access: in WAL mode it also keeps the wal-index in process memory.
    if (options.exclusive === true) db.pragma('locking_mode = EXCLUSIVE');
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${options.synchronous === 'NORMAL' ? 'NORMAL' : 'FULL'}`);
    db.pragma('foreign_keys = ON');
    // Without `exclusive`, another process (a CLI, a backup) holding the write lock briefly must not fail a commit.
    db.pragma(`busy_timeout = ${options.exclusive === true ? 250 : 5000}`);
    // The queue's indexes are hot: keep them in memory (negative = KiB).
    db.pragma(`cache_size = -${options.cacheKiB ?? DEFAULT_CACHE_KIB}`);
    db.pragma('temp_store = MEMORY');
    // Takes the exclusive lock now (a write transaction), not at the first ingest.
    if (options.exclusive === true) db.exec('BEGIN IMMEDIATE; COMMIT;');
  } catch (error) {
    db.close();
    if (options.exclusive === true && error instanceof Error && /locked|busy/i.test(error.message)) throw new StoreLockedError(file);
    throw error;
  }
  return new SqliteStore(db);
}
