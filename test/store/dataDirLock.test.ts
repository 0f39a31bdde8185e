/**
 * The data directory's lock (sluice.lock) and two connections to one store: what the dispatch thread relies on.
 * One holder at a time, free again once released; and two non-exclusive stores on one file both commit, each
 * seeing the other's rows, their writes serialised by SQLite's write lock (counted as lock waits).
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { newId } from '../../src/domain/ids.js';
import { lockDataDir } from '../../src/store/sqlite/dataDirLock.js';
import { openSqliteStore, StoreLockedError } from '../../src/store/sqlite/openSqliteStore.js';
import { aRequest, newWorld, T0 } from './fixtures.js';

describe("the data directory's lock", () => {
  test('refuses a second holder while held, and is free once released', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sluice-lock-'));
    try {
      const lock = lockDataDir(dir);
      assert.throws(() => lockDataDir(dir), StoreLockedError);
      assert.deepEqual(await readdir(dir), ['sluice.lock'], 'no journal is left beside the lock file');
      lock.release();
      lockDataDir(dir).release();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('two connections to one store both commit and see each other, concurrently', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sluice-lock-'));
    const file = join(dir, 'sluice.db');
    const a = openSqliteStore(file, { cacheKiB: 1024 });
    try {
      await a.migrate();
      const b = openSqliteStore(file, { cacheKiB: 1024 });
      try {
        const world = await newWorld(a);
        const ids = Array.from({ length: 40 }, (_, i) => newId('event', T0 + i));
        // Writes from both connections in the same turns: each writer's transaction takes the write lock in turn.
        await Promise.all(
          ids.map((id, i) =>
            (i % 2 === 0 ? a : b).acceptRequest(aRequest(world, T0 + i, [id]), [
              { id, connectionId: world.connection.id, destinationId: world.destination.id, status: 'QUEUED' },
            ]),
          ),
        );
        const options = { now: T0 + 100, leaseMs: 60_000, limit: 100, inFlight: new Map<string, number>(), defaultConcurrency: 100 };
        const claimed = await b.claimDue(options);
        assert.deepEqual(claimed.map((c) => c.event.id).sort(), [...ids].sort(), "b claims what a and b committed");
        assert.deepEqual(await a.claimDue(options), [], "a sees b's leases");
      } finally {
        await b.close();
      }
    } finally {
      await a.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
