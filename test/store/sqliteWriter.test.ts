/**
 * The group writer's durability: on a WAL database at synchronous=FULL it commits without blocking on the disk
 * and fsyncs the WAL on the thread pool, settling every caller only after the fsync that covers its commit.
 */
import Database from 'better-sqlite3';
import assert from 'node:assert/strict';
import { fsync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { newId } from '../../src/domain/ids.js';
import { openSqliteStore } from '../../src/store/sqlite/openSqliteStore.js';
import { SqliteStore } from '../../src/store/sqlite/sqliteStore.js';
import { claimDue } from '../../src/store/sqlite/claim.js';
import { Sql } from '../../src/store/sqlite/sql.js';
import { GroupWriter, notDurable } from '../../src/store/sqlite/writer.js';
import { aRequest, newWorld, T0 } from './fixtures.js';

type FsyncCallback = (error: NodeJS.ErrnoException | null) => void;

async function withDb(synchronous: 'FULL' | 'NORMAL', fn: (db: Database.Database) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-writer-sync-'));
  const db = new Database(join(dir, 'w.db'));
  try {
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${synchronous}`);
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY)');
    await fn(db);
  } finally {
    db.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** An fsync that runs for real but reports back only when the test says so. */
function heldFsync() {
  const held: (() => void)[] = [];
  const calls: number[] = [];
  const fn = (fd: number, callback: FsyncCallback) => {
    calls.push(fd);
    fsync(fd, (error) => held.push(() => callback(error)));
  };
  const releaseNext = async () => {
    while (held.length === 0) await new Promise((resolve) => setTimeout(resolve, 1));
    held.shift()?.();
  };
  return { fn, calls, releaseNext };
}

const count = (db: Database.Database) => db.prepare('SELECT count(*) FROM t').pluck().get() as number;
const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('group writer durability', () => {
  test('concurrent writes share one commit and one fsync of the WAL; the connection stays at FULL outside it', async () => {
    await withDb('FULL', async (db) => {
      const writer = new GroupWriter(db);
      const insert = db.prepare('INSERT INTO t (id) VALUES (?)');
      await Promise.all(Array.from({ length: 100 }, (_, i) => writer.submit(() => insert.run(i))));
      assert.equal(count(db), 100);
      assert.equal(writer.commits, 1);
      assert.equal(writer.fsyncs, 1);
      assert.equal(db.pragma('synchronous', { simple: true }), 2);
      writer.close();
    });
  });

  test('a write settles only after the fsync that covers its commit', async () => {
    await withDb('FULL', async (db) => {
      const disk = heldFsync();
      const writer = new GroupWriter(db, { fsync: disk.fn });
      let settled = false;
      const write = writer.submit(() => db.prepare('INSERT INTO t (id) VALUES (1)').run()).then(() => (settled = true));
      await tick();
      await tick();
      assert.equal(count(db), 1, 'committed');
      assert.equal(disk.calls.length, 1, 'fsync started');
      assert.equal(settled, false, 'not acknowledged before the fsync returned');
      await disk.releaseNext();
      await write;
      assert.equal(settled, true);
      writer.close();
    });
  });

  test('without holding: batches committed while an fsync runs share the next one', async () => {
    await withDb('FULL', async (db) => {
      const disk = heldFsync();
      const writer = new GroupWriter(db, { fsync: disk.fn, holdDuringFsync: false });
      const insert = db.prepare('INSERT INTO t (id) VALUES (?)');
      const first = writer.submit(() => insert.run(1));
      await tick();
      const later: Promise<unknown>[] = [];
      for (let i = 2; i <= 4; i++) {
        later.push(writer.submit(() => insert.run(i)));
        await tick(); // one batch (one commit) each
      }
      assert.equal(writer.commits, 4);
      assert.equal(disk.calls.length, 1, 'one fsync at a time');
      await disk.releaseNext();
      await first;
      await disk.releaseNext();
      await Promise.all(later);
      assert.equal(disk.calls.length, 2, 'the three later commits shared the second fsync');
      writer.close();
    });
  });

  test('writes submitted while an fsync runs are held, committed together when it returns, and settle after the next fsync', async () => {
    await withDb('FULL', async (db) => {
      const disk = heldFsync();
      const writer = new GroupWriter(db, { fsync: disk.fn });
      const insert = db.prepare('INSERT INTO t (id) VALUES (?)');
      const first = writer.submit(() => insert.run(1));
      await tick();
      assert.equal(disk.calls.length, 1, 'the first fsync runs');
      let laterSettled = false;
      const later = Promise.all([2, 3, 4].map(async (i) => {
        const write = writer.submit(() => insert.run(i));
        await tick();
        return write;
      })).then(() => (laterSettled = true));
      for (let i = 0; i < 5; i++) await tick();
      assert.equal(writer.commits, 1, 'held: not committed while the fsync runs');
      assert.equal(count(db), 1);
      await disk.releaseNext();
      await first;
      for (let i = 0; i < 3; i++) await tick();
      assert.equal(writer.commits, 2, 'the three held writes share one commit');
      assert.equal(count(db), 4);
      assert.equal(disk.calls.length, 2, 'and the next fsync');
      assert.equal(laterSettled, false, 'not acknowledged before that fsync returned');
      await disk.releaseNext();
      await later;
      writer.close();
    });
  });

  test('a prompt write is committed while an fsync runs, with the held writes; a full queue is not held', async () => {
    await withDb('FULL', async (db) => {
      const disk = heldFsync();
      const writer = new GroupWriter(db, { fsync: disk.fn });
      const insert = db.prepare('INSERT INTO t (id) VALUES (?)');
      const first = writer.submit(() => insert.run(1));
      await tick();
      const held = writer.submit(() => insert.run(2));
      await tick();
      assert.equal(writer.commits, 1);
      const lease = writer.submit(
        () => {
          notDurable();
          return insert.run(3).changes;
        },
        { prompt: true },
      );
      assert.equal(await lease, 1, 'answered at its commit, the fsync still running');
      assert.equal(writer.commits, 2);
      assert.equal(count(db), 3, 'the held write went with it');
      // MAX_BATCH (1000) writes queued: committed without waiting for the fsync.
      const many = Array.from({ length: 1000 }, (_, i) => writer.submit(() => insert.run(100 + i)));
      await tick();
      assert.equal(writer.commits, 3);
      assert.equal(count(db), 1003);
      await disk.releaseNext();
      await first;
      await disk.releaseNext();
      await Promise.all([held, ...many]);
      writer.close();
    });
  });

  test('a failed fsync rejects the writes it covered; later writes go on', async () => {
    await withDb('FULL', async (db) => {
      let fail = true;
      const writer = new GroupWriter(db, {
        fsync: (fd, callback) => {
          if (fail) {
            fail = false;
            const error = Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' });
            setImmediate(() => callback(error));
          } else fsync(fd, callback);
        },
      });
      const insert = db.prepare('INSERT INTO t (id) VALUES (?)');
      await assert.rejects(writer.submit(() => insert.run(1)), /EIO/);
      await writer.submit(() => insert.run(2));
      writer.close();
    });
  });

  test('an operation that throws is rejected at once, without waiting for the fsync', async () => {
    await withDb('FULL', async (db) => {
      const disk = heldFsync();
      const writer = new GroupWriter(db, { fsync: disk.fn });
      const good = writer.submit(() => db.prepare('INSERT INTO t (id) VALUES (1)').run());
      await assert.rejects(
        writer.submit(() => {
          throw new Error('bad operation');
        }),
        /bad operation/,
      );
      await disk.releaseNext();
      await good;
      writer.close();
    });
  });

  test('close makes pending writes durable and settles them', async () => {
    await withDb('FULL', async (db) => {
      const disk = heldFsync();
      const writer = new GroupWriter(db, { fsync: disk.fn });
      const insert = db.prepare('INSERT INTO t (id) VALUES (?)');
      const inFlight = writer.submit(() => insert.run(1));
      await tick();
      const queued = writer.submit(() => insert.run(2)); // not yet committed
      writer.close(); // commits the queued write and fsyncs synchronously
      await Promise.all([inFlight, queued]);
      assert.equal(count(db), 2);
      await disk.releaseNext(); // the fsync that was running returns after close: harmless
    });
  });

  test('at synchronous=NORMAL the writer adds no fsync', async () => {
    await withDb('NORMAL', async (db) => {
      const writer = new GroupWriter(db, {
        fsync: () => assert.fail('no fsync expected at NORMAL'),
      });
      await writer.submit(() => db.prepare('INSERT INTO t (id) VALUES (1)').run());
      assert.equal(writer.fsyncs, 0);
      assert.equal(db.pragma('synchronous', { simple: true }), 1);
      writer.close();
    });
  });
});

describe('writes that need no fsync', () => {
  test('an operation that calls notDurable() settles at its commit; the others in its batch wait for the fsync', async () => {
    await withDb('FULL', async (db) => {
      const disk = heldFsync();
      const writer = new GroupWriter(db, { fsync: disk.fn });
      const insert = db.prepare('INSERT INTO t (id) VALUES (?)');
      let durableSettled = false;
      const durable = writer.submit(() => insert.run(1)).then(() => (durableSettled = true));
      const lease = writer.submit(() => {
        notDurable();
        return insert.run(2).changes;
      });
      assert.equal(await lease, 1, 'answered without the fsync');
      assert.equal(durableSettled, false);
      await disk.releaseNext();
      await durable;
      writer.close();
    });
  });

  test('a batch of nothing but such operations starts no fsync', async () => {
    await withDb('FULL', async (db) => {
      const writer = new GroupWriter(db, { fsync: () => assert.fail('no fsync expected') });
      await writer.submit(() => {
        notDurable();
        db.prepare('INSERT INTO t (id) VALUES (1)').run();
      });
      assert.equal(writer.fsyncs, 0);
      writer.close();
    });
  });

  test("the store's claims are not held while an fsync runs", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sluice-claim-held-'));
    const db = new Database(join(dir, 'sluice.db'));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    // Fsyncs pass until `hold` is set; then each one's end is kept back until released.
    let hold = false;
    const held: (() => void)[] = [];
    const store = new SqliteStore(db, {
      writer: { fsync: (fd, callback) => fsync(fd, (error) => (hold ? held.push(() => callback(error)) : callback(error))) },
    });
    try {
      await store.migrate();
      const world = await newWorld(store);
      hold = true;
      const eventId = newId('event', T0);
      const ingest = store.acceptRequest(aRequest(world, T0, [eventId]), [
        { id: eventId, connectionId: world.connection.id, destinationId: world.destination.id, status: 'QUEUED' },
      ]);
      while (held.length === 0) await new Promise((resolve) => setTimeout(resolve, 1)); // the ingest's fsync, kept back
      const claim = store.claimDue({ now: T0 + 1, leaseMs: 60_000, limit: 10, inFlight: new Map(), defaultConcurrency: 5 });
      const outcome = await Promise.race([claim, new Promise<'held'>((resolve) => setTimeout(() => resolve('held'), 2000))]);
      assert.notEqual(outcome, 'held', 'the claim waited for the fsync');
      assert.deepEqual(outcome === 'held' ? [] : outcome.map((c) => c.event.id), [eventId]);
      hold = false;
      for (const release of held.splice(0)) release();
      await ingest;
    } finally {
      hold = false;
      for (const release of held.splice(0)) release();
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('a claim is such an operation', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sluice-claim-sync-'));
    const store = openSqliteStore(join(dir, 'sluice.db'));
    try {
      await store.migrate();
      const world = await newWorld(store);
      const eventId = newId('event', T0);
      await store.acceptRequest(aRequest(world, T0, [eventId]), [
        { id: eventId, connectionId: world.connection.id, destinationId: world.destination.id, status: 'QUEUED' },
      ]);
      // A second writer on the same connection, whose fsync must not be called.
      const writer = new GroupWriter(store.database, { fsync: () => assert.fail('a claim waited for the fsync') });
      const options = { now: T0 + 1, leaseMs: 60_000, limit: 10, inFlight: new Map<string, number>(), defaultConcurrency: 5 };
      const claimed = await writer.submit(() => claimDue(new Sql(store.database), options));
      assert.deepEqual(claimed.map((c) => c.event.id), [eventId]);
      assert.equal(writer.fsyncs, 0);
    } finally {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('the group writer beside another connection (the dispatch thread)', () => {
  test("waits for another connection's write lock without blocking the event loop, then commits", async () => {
    await withDb('FULL', async (db) => {
      db.pragma('busy_timeout = 5000'); // SQLite's own wait would block this thread for up to 5 s
      const writer = new GroupWriter(db);
      const other = new Database(db.name, { timeout: 5000 });
      try {
        other.exec('BEGIN IMMEDIATE'); // the other connection holds the write lock
        const written = writer.submit(() => db.prepare('INSERT INTO t (id) VALUES (1)').run());
        let settled = false;
        void written.then(() => (settled = true));
        // Timers still fire while the write waits: the event loop is free.
        await new Promise((resolve) => setTimeout(resolve, 30));
        assert.equal(settled, false, 'the write waits for the lock');
        const late = writer.submit(() => db.prepare('INSERT INTO t (id) VALUES (2)').run());
        other.exec('COMMIT');
        await Promise.all([written, late]);
        assert.deepEqual(other.prepare('SELECT id FROM t ORDER BY id').all(), [{ id: 1 }, { id: 2 }]);
        assert.equal(writer.commits, 1, 'the write queued meanwhile joined the waiting batch');
        assert.equal(writer.lockWaits.count, 1);
        assert.ok(writer.lockWaits.ms >= 25, `the wait is counted (${writer.lockWaits.ms} ms)`);
      } finally {
        other.close();
        writer.close();
      }
    });
  });
});
