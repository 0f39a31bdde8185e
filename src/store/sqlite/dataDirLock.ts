/**
 * The data directory's lock: one gateway (or CLI) per embedded store. A small SQLite file beside the store,
 * `sluice.lock`, held with `locking_mode=EXCLUSIVE` for the life of the process: the OS drops the lock when the
 * process dies, however it dies, so a lock found held always belongs to a live process, and every lease found in
 * the store after taking it is stale. The store itself can then be opened by several connections of this process
 * (the dispatch thread's and the main thread's, with WAL's shared-memory index), which `locking_mode=EXCLUSIVE` on
 * the store would forbid. Taken before the store is opened, released after it is closed.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { StoreLockedError } from './openSqliteStore.js';

export const LOCK_FILE = 'sluice.lock';

export interface DataDirLock {
  release(): void;
}

export function lockDataDir(dataDir: string): DataDirLock {
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, LOCK_FILE);
  // A lock held by a live process is not let go: no point waiting long for it.
  const db = new Database(file, { timeout: 250 });
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    // The file holds nothing: its empty transaction needs no journal on disk (none is left beside it).
    db.pragma('journal_mode = MEMORY');
    // An EXCLUSIVE transaction takes SQLite's exclusive file lock, and this locking mode keeps it after COMMIT.
    db.exec('BEGIN EXCLUSIVE; COMMIT;');
  } catch (error) {
    db.close();
    if (error instanceof Error && /locked|busy/i.test(error.message)) throw new StoreLockedError(join(dataDir, 'sluice.db'));
    throw error;
  }
  let released = false;
  return {
    release() {
      if (released) return;
      released = true;
      db.close();
    },
  };
}
