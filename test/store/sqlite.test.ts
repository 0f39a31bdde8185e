/**
 * The SQLite store: the storage conformance suite on real files in a temporary directory, plus what only this
 * dialect has — its migrations, its pragmas, the claim's query plans and group commit's sharing of one commit.
 */
import Database from 'better-sqlite3';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { newId } from '../../src/domain/ids.js';
import { CLAIM_DESTINATION_SQL, CLAIM_HEADS_SQL, NEXT_DUE_BY_DESTINATION_SQL, NEXT_DUE_SQL } from '../../src/store/sqlite/claim.js';
import type { EventFilter } from '../../src/store/port.js';
import { eventWhere } from '../../src/store/sqlite/events.js';
import { HOLD_DESTINATION_SQL, RELEASE_DESTINATION_SQL } from '../../src/store/sqlite/holds.js';
import { idOfKind } from '../../src/store/sqlite/kinds.js';
import { migrate, readMigrations } from '../../src/store/sqlite/migrate.js';
import { openSqliteStore, StoreLockedError, type SqliteStore } from '../../src/store/sqlite/openSqliteStore.js';
import { EVENT_COLUMNS, type EventRow, eventRowOf, REQUEST_COLUMNS_BUT_BODY, type RequestRow, requestRowOf, toEvent, toRequest } from '../../src/store/sqlite/rows.js';
import { Sql } from '../../src/store/sqlite/sql.js';
import { GroupWriter } from '../../src/store/sqlite/writer.js';
import { storeConformance } from './conformance.js';
import { aRequest, newWorld, type StoreHarness, T0 } from './fixtures.js';

async function openTemp(options: Parameters<typeof openSqliteStore>[1] = {}): Promise<StoreHarness & { store: SqliteStore; file: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-store-'));
  const file = join(dir, 'data', 'sluice.db');
  const opened: SqliteStore[] = [];
  const openOne = async (): Promise<SqliteStore> => {
    const store = openSqliteStore(file, options);
    opened.push(store);
    await store.migrate();
    return store;
  };
  const store = await openOne();
  return {
    store,
    file,
    reopen: openOne,
    cleanup: async () => {
      for (const s of opened) await s.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

storeConformance('sqlite', () => openTemp());

describe('sqlite store specifics', () => {
  test('opens with WAL, synchronous FULL (or NORMAL when asked) and foreign keys on', async () => {
    for (const [options, level] of [[{}, 2], [{ synchronous: 'NORMAL' as const }, 1]] as const) {
      const h = await openTemp(options);
      try {
        const db = h.store.database;
        assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
        assert.equal(db.pragma('synchronous', { simple: true }), level);
        assert.equal(db.pragma('foreign_keys', { simple: true }), 1);
        assert.ok(Number(db.pragma('busy_timeout', { simple: true })) > 0);
      } finally {
        await h.cleanup();
      }
    }
  });

  test('migrations are recorded once each, in order, and re-running them is a no-op', async () => {
    const h = await openTemp();
    try {
      const db = h.store.database;
      const known = readMigrations();
      assert.deepEqual(known.slice(0, 2).map((m) => [m.version, m.name]), [[1, 'init'], [2, 'claim_by_destination']]);
      const rows = db.prepare('SELECT version, name FROM schema_migrations ORDER BY version').all();
      assert.deepEqual(rows, known.map((m) => ({ version: m.version, name: m.name })));
      assert.deepEqual(migrate(db), []);
      await h.store.migrate();
      assert.equal(db.prepare('SELECT count(*) AS n FROM schema_migrations').pluck().get(), known.length);
    } finally {
      await h.cleanup();
    }
  });

  test('refuses a database written by a newer schema, with a message that says what to do', async () => {
    const h = await openTemp();
    try {
      h.store.database.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, ?, ?)').run('from_the_future', Date.now());
      await h.store.close();
      const again = await (h.reopen?.() ?? Promise.reject(new Error('no reopen'))).then(
        () => null,
        (error: unknown) => error,
      );
      assert.ok(again instanceof Error);
      assert.match(again.message, /version 999, newer than this Sluice knows/);
      assert.match(again.message, /Run that release/);
    } finally {
      await h.cleanup();
    }
  });

  test('a failing migration leaves nothing behind; malformed or duplicate file names are refused', async () => {
    const h = await openTemp();
    const dir = await mkdtemp(join(tmpdir(), 'sluice-migrations-'));
    try {
      const db = h.store.database;
      const broken = [...readMigrations(), { version: 900, name: 'broken', sql: 'CREATE TABLE half (x INTEGER); THIS IS NOT SQL;' }];
      assert.throws(() => migrate(db, broken), /syntax error/);
      assert.equal(db.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'half'").pluck().get(), 0);
      assert.equal(db.prepare('SELECT count(*) FROM schema_migrations WHERE version = 900').pluck().get(), 0);

      await writeFile(join(dir, '001_a.sql'), 'SELECT 1;');
      await writeFile(join(dir, '001_b.sql'), 'SELECT 1;');
      assert.throws(() => readMigrations(dir), /Two migration files have version 1/);
      await rm(join(dir, '001_b.sql'));
      await mkdir(join(dir, 'sub'));
      await writeFile(join(dir, 'Second.sql'), 'SELECT 1;');
      assert.throws(() => readMigrations(dir), /must be named NNN_name\.sql/);
    } finally {
      await h.cleanup();
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('the claim and wake-up queries read the queue through its partial indexes, never by a table scan', async () => {
    const h = await openTemp();
    try {
      const plan = (sql: string, ...params: unknown[]): string[] =>
        h.store.database
          .prepare(`EXPLAIN QUERY PLAN ${sql}`)
          .all(...params)
          .map((row) => (row as { detail: string }).detail);
      const heads = plan(CLAIM_HEADS_SQL, T0);
      assert.ok(heads.some((d) => /SEARCH e USING COVERING INDEX events_destination_due \(destination_id>\?\)/.test(d)), heads.join('\n'));
      assert.ok(heads.some((d) => /USING COVERING INDEX events_destination_due \(destination_id=\? AND due_at>\?\)/.test(d)), heads.join('\n'));
      const perDestination = plan(CLAIM_DESTINATION_SQL, 'des_x', T0, 10);
      assert.match(perDestination[0] ?? '', /^SEARCH e USING INDEX events_destination_due \(destination_id=\? AND due_at>\? AND due_at<\?\)$/);
      assert.ok(!perDestination.some((d) => /TEMP B-TREE/.test(d)), 'no sort: the index gives due order');
      assert.deepEqual(plan(NEXT_DUE_SQL), ['SEARCH events USING COVERING INDEX events_due (due_at>?)']);
      // The wake-up while a rate limit binds: the same loose scan, and each destination's bucket by its key.
      const byDestination = plan(NEXT_DUE_BY_DESTINATION_SQL);
      assert.ok(byDestination.some((d) => /SEARCH e USING COVERING INDEX events_destination_due \(destination_id>\?\)/.test(d)), byDestination.join('\n'));
      assert.ok(byDestination.some((d) => /SEARCH b USING INDEX sqlite_autoindex_destination_rate_buckets_1 \(destination_id=\?\)/.test(d)), byDestination.join('\n'));
      // The loose scan starts with the first entry of the index (a SCAN that stops after one row); no plan may
      // read the events table itself in full.
      for (const detail of [...heads, ...perDestination, ...byDestination]) assert.doesNotMatch(detail, /^SCAN (events|e)\b(?! USING COVERING INDEX)/);
    } finally {
      await h.cleanup();
    }
  });

  test("each face's lists read their own id range through an index: one face's volume never slows the other's", async () => {
    const h = await openTemp();
    try {
      const plan = (sql: string): string => h.store.database.prepare(`EXPLAIN QUERY PLAN ${sql}`).all().map((row) => (row as { detail: string }).detail).join(' | ');
      const deliveries = plan(`SELECT * FROM events WHERE destination_id = 'evtd_x' AND ${idOfKind('delivery')} AND team_id = 'tm_x' ORDER BY id DESC LIMIT 21`);
      assert.match(deliveries, /^SEARCH events USING INDEX events_destination_id \(destination_id=\? AND id>\? AND id<\?\)$/);
      const inbound = plan(`SELECT * FROM events WHERE team_id = 'tm_x' AND ${idOfKind('event')} ORDER BY id DESC LIMIT 101`);
      assert.match(inbound, /^SEARCH events USING INDEX events_team \(team_id=\? AND id>\? AND id<\?\)$/);
      const published = plan(`SELECT * FROM requests WHERE team_id = 'tm_x' AND ${idOfKind('publishedEvent')} AND kind = 'event' ORDER BY id DESC LIMIT 21`);
      assert.match(published, /^SEARCH requests USING INDEX requests_team \(team_id=\? AND id>\? AND id<\?\)$/);
      assert.match(plan(`SELECT * FROM requests WHERE team_id = 'tm_x' AND external_id = 'x' AND kind = 'event'`), /USING INDEX requests_external_id/);
    } finally {
      await h.cleanup();
    }
  });

  test('GET /events?destination_id= walks that destination\'s events in id order (events_destination_id), with or without other filters', async () => {
    const h = await openTemp();
    try {
      const sql = new Sql(h.store.database);
      const plan = (filter: EventFilter): string => {
        // The list's own conditions (eventWhere), ordered and limited as listPage does.
        const { where, params } = eventWhere(sql, 'tm_x', filter);
        const query = `EXPLAIN QUERY PLAN SELECT * FROM events WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT 101`;
        return h.store.database.prepare(query).all(...params).map((row) => (row as { detail: string }).detail).join(' | ');
      };
      const byDestination = /^SEARCH events USING INDEX events_destination_id \(destination_id=\? AND id>\? AND id<\?\)/;
      assert.match(plan({ destinationId: 'des_x' }), byDestination);
      assert.match(plan({ destinationId: 'des_x', status: ['FAILED'] }), byDestination);
      assert.match(plan({ destinationId: 'des_x', createdAfter: T0 }), byDestination);
      for (const filter of [{ destinationId: 'des_x' }, { destinationId: 'des_x', createdAfter: T0 }]) {
        assert.doesNotMatch(plan(filter), /TEMP B-TREE/, 'no sort: the index gives id order');
      }
      // total_count walks the same range (reading each row for its team_id).
      const { where, params } = eventWhere(sql, 'tm_x', { destinationId: 'des_x' });
      const count = h.store.database.prepare(`EXPLAIN QUERY PLAN SELECT count(*) FROM events WHERE ${where.join(' AND ')}`).all(...params);
      assert.match((count[0] as { detail: string }).detail, byDestination);
    } finally {
      await h.cleanup();
    }
  });

  test("holding and releasing a destination's events read only its pending or held events (events_destination dropped by 012)", async () => {
    const h = await openTemp();
    try {
      const db = h.store.database;
      const plan = (sql: string, ...params: unknown[]): string =>
        db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params).map((row) => (row as { detail: string }).detail).join(' | ');
      assert.equal(db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = 'events_destination'").get(), undefined);
      // Never events_destination_id (destination_id, id): that walks every event the destination ever had.
      assert.match(plan(HOLD_DESTINATION_SQL, T0, 'des_x'), /^SEARCH events USING INDEX events_destination_due \(destination_id=\? AND due_at>\?\)$/);
      assert.match(plan(RELEASE_DESTINATION_SQL, { now: T0, id: 'des_x' }), /^SEARCH events USING INDEX events_connection \(connection_id=\? AND status=\?\)/);
    } finally {
      await h.cleanup();
    }
  });

  test('the claim reads events and requests rows as JSON arrays of every column, each one in its place', async () => {
    const h = await openTemp();
    try {
      const world = await newWorld(h.store);
      const eventId = newId('event', T0);
      const request = aRequest(world, T0, [eventId], { body: Buffer.from([0, 255, 10, 34]) });
      await h.store.acceptRequest(request, [{ id: eventId, connectionId: world.connection.id, destinationId: world.destination.id, status: 'QUEUED' }]);
      // Every nullable column set, each to a value of its own, so a column read into another's place shows.
      const db = h.store.database;
      db.prepare(`UPDATE requests SET rejection_cause = 'x', ignored = '[]', event_type = 'a.b', external_id = 'ext', origin = 'api' WHERE id = ?`).run(request.id);
      db.prepare('UPDATE events SET duplicate_event_id = ?, response_status = 503, error_code = ?, last_attempt_at = ?, next_attempt_at = ?, successful_at = ? WHERE id = ?')
        .run('evt_dup', 'TIMEOUT', T0 + 1, T0 + 2, T0 + 3, eventId);
      // Against SELECT *: a column added to either table and not to the lists fails here.
      const eventRow = db.prepare('SELECT * FROM events WHERE id = ?').get(eventId);
      const eventJson = db.prepare(`SELECT json_array(${EVENT_COLUMNS}) FROM events WHERE id = ?`).pluck().get(eventId) as string;
      assert.deepEqual(eventRowOf(JSON.parse(eventJson) as unknown[]), eventRow);
      const requestRow = db.prepare('SELECT * FROM requests WHERE id = ?').get(request.id);
      const requestJson = db.prepare(`SELECT json_array(${REQUEST_COLUMNS_BUT_BODY}) FROM requests WHERE id = ?`).pluck().get(request.id) as string;
      assert.deepEqual(requestRowOf(JSON.parse(requestJson) as unknown[], request.body), requestRow);
      // And the claim itself hands out the same records as rows read whole.
      const [claimed] = await h.store.claimDue({ now: T0 + 10, leaseMs: 1000, limit: 10, inFlight: new Map(), defaultConcurrency: 10 });
      assert.ok(claimed !== undefined);
      assert.deepEqual(claimed.event, toEvent(db.prepare('SELECT * FROM events WHERE id = ?').get(eventId) as EventRow));
      assert.deepEqual(claimed.request, toRequest(requestRow as RequestRow));
      assert.deepEqual(claimed.request.body, request.body);
    } finally {
      await h.cleanup();
    }
  });

  test('a claim skips queued events of a paused or disabled connection even if the queue says they are due', async () => {
    const h = await openTemp();
    try {
      const world = await newWorld(h.store);
      const eventId = newId('event', T0);
      await h.store.acceptRequest(aRequest(world, T0, [eventId]), [
        { id: eventId, connectionId: world.connection.id, destinationId: world.destination.id, status: 'QUEUED' },
      ]);
      const options = { now: T0 + 10, leaseMs: 1000, limit: 10, inFlight: new Map<string, number>(), defaultConcurrency: 10 };
      // Break the invariant the port keeps (paused => HOLD) by hand: the claim must still not deliver it.
      for (const column of ['paused_at', 'disabled_at']) {
        h.store.database.prepare(`UPDATE connections SET ${column} = ?`).run(T0);
        assert.deepEqual(await h.store.claimDue(options), [], column);
        h.store.database.prepare(`UPDATE connections SET ${column} = NULL`).run();
      }
      assert.equal((await h.store.claimDue(options)).length, 1);
    } finally {
      await h.cleanup();
    }
  });

  test('an exclusive store refuses a second opener and releases stale leases at once on recovery', async () => {
    const h = await openTemp({ exclusive: true });
    try {
      await assert.rejects(async () => openSqliteStore(h.file, { exclusive: true }), StoreLockedError);
      const world = await newWorld(h.store);
      const eventId = newId('event', T0);
      await h.store.acceptRequest(aRequest(world, T0, [eventId]), [
        { id: eventId, connectionId: world.connection.id, destinationId: world.destination.id, status: 'QUEUED' },
      ]);
      const options = { now: T0 + 10, leaseMs: 3_600_000, limit: 10, inFlight: new Map<string, number>(), defaultConcurrency: 10 };
      assert.equal((await h.store.claimDue(options)).length, 1);
      await h.store.close(); // a crash: the lease is left behind
      const again = (await h.reopen?.()) as SqliteStore;
      assert.deepEqual(await again.claimDue({ ...options, now: T0 + 20 }), [], 'still leased');
      assert.equal(await again.recoverStaleClaims(T0 + 20), 1);
      assert.deepEqual((await again.claimDue({ ...options, now: T0 + 20 })).map((c) => c.event.id), [eventId]);
    } finally {
      await h.cleanup();
    }
  });

  test('500 concurrent acceptRequest calls share one commit', async () => {
    const h = await openTemp();
    try {
      const world = await newWorld(h.store);
      const before = h.store.commits;
      await Promise.all(
        Array.from({ length: 500 }, (_, i) => {
          const eventId = newId('event', T0 + i);
          return h.store.acceptRequest(aRequest(world, T0 + i, [eventId]), [
            { id: eventId, connectionId: world.connection.id, destinationId: world.destination.id, status: 'QUEUED' },
          ]);
        }),
      );
      assert.equal(h.store.commits - before, 1);
      assert.equal(h.store.database.prepare('SELECT count(*) FROM events').pluck().get(), 500);
    } finally {
      await h.cleanup();
    }
  });

  test('close flushes queued writes; writes after close are refused', async () => {
    const h = await openTemp();
    try {
      const world = await newWorld(h.store);
      const request = aRequest(world, T0, []);
      const accepted = h.store.acceptRequest(request, []); // queued, not yet committed
      await h.store.close();
      await accepted;
      await assert.rejects(h.store.acceptRequest(aRequest(world, T0 + 1, []), []), /store is closed/);
      const again = await h.reopen?.();
      assert.deepEqual(await again?.getRequest(world.teamId, request.id), request);
    } finally {
      await h.cleanup();
    }
  });
});

describe('group writer', () => {
  const withDb = async (fn: (db: Database.Database) => Promise<void>): Promise<void> => {
    const dir = await mkdtemp(join(tmpdir(), 'sluice-writer-'));
    const db = new Database(join(dir, 'w.db'));
    try {
      db.pragma('journal_mode = WAL');
      db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)');
      await fn(db);
    } finally {
      db.close();
      await rm(dir, { recursive: true, force: true });
    }
  };
  const rows = (db: Database.Database): unknown[] => db.prepare('SELECT id FROM t ORDER BY id').pluck().all();

  test('an operation that throws is undone alone; the rest commit together and get their results', async () => {
    await withDb(async (db) => {
      const writer = new GroupWriter(db);
      const insert = db.prepare('INSERT INTO t (id, v) VALUES (?, ?)');
      const results = await Promise.allSettled([
        writer.submit(() => insert.run(1, 'a').changes),
        writer.submit(() => {
          insert.run(2, 'b'); // written, then undone with the rest of this operation
          insert.run(1, 'dup');
        }),
        writer.submit(() => insert.run(3, 'c').changes),
      ]);
      assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
      assert.equal(results[0]?.status === 'fulfilled' ? results[0].value : null, 1);
      assert.deepEqual(rows(db), [1, 3]);
      assert.equal(writer.commits, 1);
    });
  });

  test('when the transaction as a whole fails, each operation is run again alone', async () => {
    await withDb(async (db) => {
      const writer = new GroupWriter(db);
      const insert = db.prepare('INSERT INTO t (id, v) VALUES (?, ?)');
      const results = await Promise.allSettled([
        writer.submit(() => insert.run(1, 'a')),
        // Ends the transaction under the writer's feet: what an I/O error or a full disk does.
        writer.submit(() => db.exec('ROLLBACK')),
        writer.submit(() => insert.run(3, 'c')),
      ]);
      assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
      assert.deepEqual(rows(db), [1, 3]);
      assert.equal(writer.commits, 2, 'the two good operations committed alone');
      assert.equal(db.inTransaction, false);
      await writer.submit(() => insert.run(4, 'd'));
      assert.deepEqual(rows(db), [1, 3, 4]);
    });
  });
});
