/**
 * The PostgreSQL store: the storage conformance suite on the machine's real PostgreSQL, each store in a schema of
 * its own (created fresh, dropped after), plus what only this dialect has — migrations under an advisory lock,
 * claims from several processes (no event twice, caps across processes), LISTEN/NOTIFY and the group writer. The
 * query plans of every list filter and of the queue are checked in postgresPartitions.test.ts.
 *
 * Where: DATABASE_URL_TEST, else postgres://postgres@127.0.0.1:5432/test. When PostgreSQL cannot be reached the
 * tests skip with the reason printed, except with CI=true, where they fail: CI must never pass by skipping them.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import pg from 'pg';
import { newId } from '../../src/domain/ids.js';
import type { ClaimOptions, Store } from '../../src/store/port.js';
import { Db } from '../../src/store/postgres/db.js';
import { MIGRATION_LOCK_SQL, migrate, readMigrations } from '../../src/store/postgres/migrate.js';
import { listenForDue, openPostgresStore, type PostgresStore } from '../../src/store/postgres/openPostgresStore.js';
import { GroupWriter, type Merge } from '../../src/store/postgres/writer.js';
import { openSqliteStore } from '../../src/store/sqlite/openSqliteStore.js';
import { storeConformance } from './conformance.js';
import { aCappedDestination, anAttempt, aRequest, addRoute, ingest, newTeam, newWorld, type StoreHarness, T0 } from './fixtures.js';
import { outboundIds, outboundScenario } from './postgresOutbound.js';

const URL = process.env.DATABASE_URL_TEST ?? 'postgres://postgres@127.0.0.1:5432/test';
const IN_CI = process.env.CI === 'true';

async function probe(url: string, createIfMissing = true): Promise<string | null> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return null;
  } catch (error) {
    // The server is up but the test database is not there (a fresh machine): create it from the maintenance one.
    if (createIfMissing && (error as { code?: string }).code === '3D000') {
      const target = new globalThis.URL(url);
      const database = decodeURIComponent(target.pathname.slice(1));
      target.pathname = '/postgres';
      const maintenance = new pg.Client({ connectionString: target.toString(), connectionTimeoutMillis: 3000 });
      try {
        await maintenance.connect();
        await maintenance.query(`CREATE DATABASE "${database.replace(/"/g, '""')}"`);
      } catch {
        // Reported by the probe below.
      } finally {
        await maintenance.end().catch(() => undefined);
      }
      return probe(url, false);
    }
    return error instanceof Error ? error.message : String(error);
  } finally {
    await client.end().catch(() => undefined);
  }
}

const unreachable = await probe(URL);

if (unreachable !== null) {
  const reason = `PostgreSQL is not reachable at ${URL} (${unreachable}); set DATABASE_URL_TEST or start it`;
  if (IN_CI) {
    test('PostgreSQL is reachable (required in CI)', () => assert.fail(reason));
  } else {
    console.log(`# skipping the PostgreSQL store tests: ${reason}`);
    test('postgres store', { skip: reason }, () => undefined);
  }
} else {
  definePostgresTests();
}

function definePostgresTests(): void {
  const admin = new pg.Pool({ connectionString: URL, max: 4 });

  const freshSchema = (): string => `sluice_t_${randomBytes(6).toString('hex')}`;
  const dropSchema = async (schema: string): Promise<void> => {
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  };

  /** A store in a schema of its own; `open()` opens more stores (processes) on the same schema. */
  async function openFresh(options: Parameters<typeof openPostgresStore>[1] = {}): Promise<
    StoreHarness & { store: PostgresStore; schema: string; channel: string; open: () => Promise<PostgresStore> }
  > {
    const schema = freshSchema();
    const channel = `due_${schema}`;
    const opened: PostgresStore[] = [];
    const open = async (): Promise<PostgresStore> => {
      const store = await openPostgresStore(URL, { poolSize: 4, schema, channel, ...options });
      opened.push(store);
      await store.migrate();
      return store;
    };
    const store = await open();
    return {
      store,
      schema,
      channel,
      open,
      reopen: open,
      cleanup: async () => {
        for (const s of opened) await s.close();
        await dropSchema(schema);
      },
    };
  }

  /**
   * The conformance suite opens a store per test: rather than migrating a fresh schema each time (DDL and its
   * commit are most of a test's cost), migrated schemas are kept and emptied (TRUNCATE) between tests. Each test
   * still calls migrate() (the no-op path) and still has the schema to itself (tests in a file run one by one).
   */
  const spareSchemas: string[] = [];
  const everyPooledSchema: string[] = [];
  after(async () => {
    for (const schema of everyPooledSchema) await dropSchema(schema);
    await admin.end();
  });
  async function openPooled(): Promise<StoreHarness> {
    const schema = spareSchemas.pop() ?? freshSchema();
    if (!everyPooledSchema.includes(schema)) everyPooledSchema.push(schema);
    const opened: PostgresStore[] = [];
    const open = async (): Promise<PostgresStore> => {
      const store = await openPostgresStore(URL, { poolSize: 4, schema, channel: `due_${schema}` });
      opened.push(store);
      await store.migrate();
      return store;
    };
    const store = await open();
    return {
      store,
      reopen: open,
      cleanup: async () => {
        for (const s of opened) await s.close();
        const tables = await admin.query<{ t: string }>(
          "SELECT format('%I.%I', schemaname, tablename) AS t FROM pg_tables WHERE schemaname = $1 AND tablename <> 'schema_migrations'",
          [schema],
        );
        await admin.query(`TRUNCATE ${tables.rows.map((r) => r.t).join(', ')}`);
        spareSchemas.push(schema);
      },
    };
  }

  storeConformance('postgres', openPooled);

  describe('postgres store: sessions and migrations', () => {
    test('sessions start with synchronous_commit on and the store schema alone on the search_path', async () => {
      const h = await openFresh();
      try {
        const settings = await h.store.pool.query<{ sc: string; sp: string; schema: string }>(
          "SELECT current_setting('synchronous_commit') AS sc, current_setting('search_path') AS sp, current_schema() AS schema",
        );
        assert.deepEqual(settings.rows[0], { sc: 'on', sp: `"${h.schema}"`, schema: h.schema });
        const big = await h.store.pool.query<{ n: number }>('SELECT 9007199254740991::bigint AS n');
        assert.equal(big.rows[0]?.n, Number.MAX_SAFE_INTEGER, 'bigint columns come back as exact numbers');
      } finally {
        await h.cleanup();
      }
    });

    test('migrations are recorded once each, in order, and running them again is a no-op', async () => {
      const h = await openFresh();
      try {
        const known = readMigrations();
        assert.deepEqual(known.slice(0, 3).map((m) => [m.version, m.name]), [[1, 'init'], [2, 'claim_by_destination'], [3, 'outbound']]);
        const rows = await h.store.pool.query('SELECT version, name FROM schema_migrations ORDER BY version');
        assert.deepEqual(rows.rows, known.map((m) => ({ version: m.version, name: m.name })));
        assert.deepEqual(await migrate(h.store.pool, { schema: h.schema }), []);
        await h.store.migrate();
        assert.equal((await h.store.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM schema_migrations')).rows[0]?.n, known.length);
      } finally {
        await h.cleanup();
      }
    });

    test('five processes migrating a fresh schema at once all succeed and apply each migration once', async () => {
      const schema = freshSchema();
      const stores = await Promise.all(Array.from({ length: 5 }, () => openPostgresStore(URL, { poolSize: 2, schema })));
      try {
        const applied = await Promise.all(stores.map((s) => migrate(s.pool, { schema })));
        const known = readMigrations().map((m) => m.version);
        assert.deepEqual(applied.flat().sort((a, b) => a - b), known, 'every version applied by exactly one process');
        assert.equal(applied.filter((a) => a.length > 0).length, 1, 'one process did the work, the others found it done');
        const rows = await admin.query(`SELECT version FROM "${schema}".schema_migrations ORDER BY version`);
        assert.deepEqual(rows.rows.map((r: { version: number }) => r.version), known);
      } finally {
        for (const s of stores) await s.close();
        await dropSchema(schema);
      }
    });

    test('migrate waits for the advisory lock another session holds on the same schema', async () => {
      const schema = freshSchema();
      const holder = await admin.connect();
      const store = await openPostgresStore(URL, { poolSize: 2, schema });
      try {
        await holder.query('BEGIN');
        await holder.query(MIGRATION_LOCK_SQL, [schema]);
        let done = false;
        const migrating = store.migrate().then(() => {
          done = true;
        });
        await new Promise((resolve) => setTimeout(resolve, 300));
        assert.equal(done, false, 'still waiting for the lock');
        await holder.query('COMMIT');
        await migrating;
        assert.equal(done, true);
      } finally {
        await holder.query('ROLLBACK').catch(() => undefined);
        holder.release();
        await store.close();
        await dropSchema(schema);
      }
    });

    test('refuses a schema written by a newer release, with a message that says what to do', async () => {
      const h = await openFresh();
      try {
        await h.store.pool.query("INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'from_the_future', 0)");
        const error = await h.open().then(
          () => null,
          (e: unknown) => e,
        );
        assert.ok(error instanceof Error);
        assert.match(error.message, /version 999, newer than this Sluice knows/);
        assert.match(error.message, /Run that release/);
      } finally {
        await h.cleanup();
      }
    });

    test('a failing migration leaves nothing behind', async () => {
      const h = await openFresh();
      try {
        const broken = [...readMigrations(), { version: 900, name: 'broken', sql: 'CREATE TABLE half (x integer); THIS IS NOT SQL;' }];
        await assert.rejects(migrate(h.store.pool, { schema: h.schema, migrations: broken }), /Migration 900_broken failed: syntax error/);
        const half = await h.store.pool.query<{ t: string | null }>("SELECT to_regclass('half') AS t");
        assert.equal(half.rows[0]?.t, null);
        const recorded = await h.store.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM schema_migrations WHERE version = 900');
        assert.equal(recorded.rows[0]?.n, 0);
      } finally {
        await h.cleanup();
      }
    });
  });

  const claimOptions = (now: number, over: Partial<ClaimOptions> = {}): ClaimOptions => ({
    now,
    leaseMs: 60_000,
    limit: 100,
    inFlight: new Map(),
    defaultConcurrency: 1000,
    ...over,
  });

  describe('postgres store: several processes on one queue', () => {
    test('two stores claiming at once never get the same event, and together get them all', async () => {
      const h = await openFresh();
      try {
        const other = await h.open();
        const world = await newWorld(h.store);
        const routes = [world.connection, await addRoute(h.store, world), await addRoute(h.store, world)];
        const all: string[] = [];
        await Promise.all(
          Array.from({ length: 100 }, async (_, i) => all.push(...(await ingest(h.store, world, T0 + i, { connections: routes })).eventIds)),
        );
        const seen: string[] = [];
        const worker = async (store: Store): Promise<void> => {
          for (;;) {
            const claimed = await store.claimDue(claimOptions(T0 + 1000, { limit: 7 }));
            if (claimed.length === 0) return;
            seen.push(...claimed.map((c) => c.event.id));
            await store.recordAttempts(
              claimed.map((c) => ({ attempt: anAttempt(c.event, T0 + 1001, { status: 'SUCCESSFUL' }), leaseToken: c.leaseToken, nextAttemptAt: null })),
              T0 + 1001,
            );
          }
        };
        await Promise.all([worker(h.store), worker(other), worker(h.store), worker(other)]);
        assert.equal(new Set(seen).size, seen.length, 'no event claimed twice');
        assert.deepEqual([...seen].sort(), [...all].sort());
      } finally {
        await h.cleanup();
      }
    });

    test("a destination's cap holds across processes: other processes' live leases count against it", async () => {
      const h = await openFresh();
      try {
        const world = await newWorld(h.store);
        const capped = aCappedDestination(world.teamId, 3);
        await h.store.createDestination(capped);
        const route = await addRoute(h.store, world, capped);
        for (let i = 0; i < 20; i++) await ingest(h.store, world, T0 + i, { connections: [route] });
        const stores = [h.store, ...(await Promise.all(Array.from({ length: 5 }, () => h.open())))];
        const inFlight = (n: number) => new Map([[capped.id, n]]);

        // Six processes claiming at once, none with an attempt of its own in flight.
        const rounds = await Promise.all(stores.map((store) => store.claimDue(claimOptions(T0 + 100, { defaultConcurrency: 100 }))));
        assert.equal(rounds.flat().length, 3, 'three attempts at most in flight, whoever claims');
        // The first to take the destination's lock took every free slot; the others found it full.
        const holder = rounds.findIndex((r) => r.length > 0);
        const holderStore = stores[holder];
        assert.ok(holderStore !== undefined);
        assert.equal(rounds[holder]?.length, 3);
        const others = stores.filter((s) => s !== holderStore);
        for (const store of others) assert.deepEqual(await store.claimDue(claimOptions(T0 + 100)), [], 'full for the other processes');
        // The holder counts its own attempts through inFlight (its leases are left to it): full as well.
        assert.deepEqual(await holderStore.claimDue(claimOptions(T0 + 100, { inFlight: inFlight(3) })), []);

        // One of its attempts finished, its record not committed yet: the slot is free again for the holder ...
        const again = await holderStore.claimDue(claimOptions(T0 + 101, { inFlight: inFlight(2) }));
        assert.equal(again.length, 1);
        // ... while every lease it holds counts for the other processes until its record lands.
        for (const store of others) assert.deepEqual(await store.claimDue(claimOptions(T0 + 101)), []);
        const owned = [...(rounds[holder] ?? []), ...again];
        // Two of its attempts are recorded (the finished one and the next): one slot frees for the others.
        const recorded = owned.slice(0, 2);
        await holderStore.recordAttempts(
          recorded.map((c) => ({ attempt: anAttempt(c.event, T0 + 101, { status: 'SUCCESSFUL' }), leaseToken: c.leaseToken, nextAttemptAt: null })),
          T0 + 101,
        );
        const [other, third] = others as [PostgresStore, PostgresStore];
        assert.equal((await other.claimDue(claimOptions(T0 + 102))).length, 1, 'a recorded attempt frees its slot for the others');
        // A process's own attempts without a lease (manual ones) count through inFlight.
        assert.deepEqual(await third.claimDue(claimOptions(T0 + 102, { inFlight: inFlight(1) })), []);
        // Leases that ran out (a crashed process) free their slots.
        assert.equal((await third.claimDue(claimOptions(T0 + 102 + 60_000))).length, 3);
      } finally {
        await h.cleanup();
      }
    });

    test('an unpause racing an ingest from another process never leaves the event held', async () => {
      const h = await openFresh();
      try {
        const other = await h.open();
        const world = await newWorld(h.store);
        for (let i = 0; i < 15; i++) {
          const paused = await h.store.setConnectionPaused(world.teamId, world.connection.id, T0 + i, T0 + i);
          assert.ok(paused !== null);
          const eventId = newId('event', T0 + i);
          await Promise.all([
            other.setConnectionPaused(world.teamId, world.connection.id, null, T0 + i),
            h.store.acceptRequest(aRequest(world, T0 + i, [eventId]), [
              { id: eventId, connectionId: paused.id, destinationId: paused.destinationId, status: 'HOLD' },
            ]),
          ]);
          assert.equal((await h.store.getEvent(world.teamId, eventId))?.status, 'QUEUED', `round ${i}`);
        }
      } finally {
        await h.cleanup();
      }
    });
  });

  describe("postgres store: ingest's cache of active connections", () => {
    const activeIds = async (store: Store, sourceId: string): Promise<string[]> => (await store.listActiveConnectionsOfSource(sourceId)).map((c) => c.id).sort();

    test('a route change made through this store is seen by the next ingest at once', async () => {
      const h = await openFresh({ activeConnectionsTtlMs: 60_000 });
      try {
        const world = await newWorld(h.store);
        const { source, connection } = world;
        assert.deepEqual(await activeIds(h.store, source.id), [connection.id]);
        const second = await addRoute(h.store, world);
        assert.deepEqual(await activeIds(h.store, source.id), [connection.id, second.id].sort());
        await h.store.setConnectionDisabled(world.teamId, second.id, T0, T0);
        assert.deepEqual(await activeIds(h.store, source.id), [connection.id]);
        await h.store.setConnectionDisabled(world.teamId, second.id, null, T0);
        await h.store.setDestinationDisabled(world.teamId, world.destination.id, T0, T0);
        assert.deepEqual(await activeIds(h.store, source.id), [second.id]);
        await h.store.deleteConnection(world.teamId, second.id, T0);
        assert.deepEqual(await activeIds(h.store, source.id), []);
      } finally {
        await h.cleanup();
      }
    });

    test("another process's change: routing by the stale list never makes a wrong event", async () => {
      // A TTL no test outlives, so the list is certainly stale (its expiry: activeConnectionsCache.test.ts).
      const h = await openFresh({ activeConnectionsTtlMs: 60_000 });
      try {
        const other = await h.open();
        const world = await newWorld(h.store);
        const second = await addRoute(h.store, world);
        const before = await activeIds(h.store, world.source.id); // cached here
        await other.setConnectionDisabled(world.teamId, world.connection.id, T0, T0);
        await other.deleteConnection(world.teamId, second.id, T0);
        await addRoute(other, world);
        const stale = await h.store.listActiveConnectionsOfSource(world.source.id);
        assert.deepEqual(stale.map((c) => c.id).sort(), before, 'the other process changed nothing here yet');
        // Each event's status is settled at commit from its connection's state then: nothing is queued for a
        // connection disabled or deleted elsewhere.
        const { eventIds } = await ingest(h.store, world, T0 + 1, { connections: stale });
        const statuses = async (): Promise<Record<string, string>> => {
          const byConnection: Record<string, string> = {};
          for (const id of eventIds) {
            const event = await h.store.getEvent(world.teamId, id);
            assert.ok(event !== null);
            byConnection[event.connectionId] = event.status;
          }
          return byConnection;
        };
        assert.deepEqual(await statuses(), { [world.connection.id]: 'HOLD', [second.id]: 'CANCELLED' });
        assert.equal(await h.store.nextDueAt(), null, 'nothing due');
        // Enabling it again releases the held event, as for an event accepted just before the disable.
        await other.setConnectionDisabled(world.teamId, world.connection.id, null, T0 + 2);
        assert.deepEqual(await statuses(), { [world.connection.id]: 'QUEUED', [second.id]: 'CANCELLED' });
      } finally {
        await h.cleanup();
      }
    });
  });

  describe('postgres store: the outbound face', () => {
    test('answers exactly as the SQLite store (the reference) does, verb by verb', async () => {
      const ids = outboundIds();
      const dir = await mkdtemp(join(tmpdir(), 'sluice-outbound-'));
      const sqlite = openSqliteStore(join(dir, 'sluice.db'));
      const h = await openFresh();
      try {
        await sqlite.migrate();
        const expected = await outboundScenario(sqlite, ids);
        const actual = await outboundScenario(h.store, ids);
        assert.equal(actual.length, expected.length);
        for (const [i, entry] of expected.entries()) assert.deepEqual(actual[i], entry);
      } finally {
        await sqlite.close();
        await rm(dir, { recursive: true, force: true });
        await h.cleanup();
      }
    });

    test('two processes publishing one event id, or claiming one Idempotency-Key, at once: exactly one wins', async () => {
      const h = await openFresh();
      try {
        const other = await h.open();
        const teamId = await newTeam(h.store);
        const windows = { expiredBefore: 0, abandonedBefore: 0 };
        for (let round = 0; round < 10; round++) {
          const publish = (store: PostgresStore) => {
            const messageId = newId('publishedEvent', T0 + round);
            const body = Buffer.from('{}');
            return store.acceptEvent({
              event: { messageId, teamId, eventId: `same-${round}`, eventType: 'x.y', body, origin: 'api', createdAt: T0 + round },
              deliveries: [],
            });
          };
          const accepted = await Promise.all([publish(h.store), publish(other)]);
          assert.deepEqual(accepted.map((a) => a.created).sort(), [false, true], `round ${round}`);
          assert.equal(accepted[0]?.event.messageId, accepted[1]?.event.messageId, 'both answer with the stored event');

          const claims = await Promise.all([
            h.store.claimIdempotencyKey(teamId, `key-${round}`, 'f', T0, windows),
            other.claimIdempotencyKey(teamId, `key-${round}`, 'f', T0, windows),
          ]);
          assert.deepEqual(claims.map((c) => c.state).sort(), ['in_progress', 'new'], `round ${round}`);
        }
      } finally {
        await h.cleanup();
      }
    });
  });

  describe('postgres store: LISTEN/NOTIFY', () => {
    test('listenForDue wakes on a committed ingest that queued events, not on a failed or held one', async () => {
      const h = await openFresh();
      let wakes = 0;
      let waiter: (() => void) | null = null;
      const stop = await listenForDue(
        URL,
        () => {
          wakes += 1;
          waiter?.();
        },
        { channel: h.channel },
      );
      const woken = (ms: number): Promise<boolean> =>
        new Promise((resolve) => {
          const timer = setTimeout(() => {
            waiter = null;
            resolve(false);
          }, ms);
          waiter = () => {
            clearTimeout(timer);
            waiter = null;
            resolve(true);
          };
        });
      try {
        const world = await newWorld(h.store);
        const first = woken(5000);
        const { request } = await ingest(h.store, world, T0);
        assert.equal(await first, true, 'woken by the ingest');

        wakes = 0;
        await assert.rejects(h.store.acceptRequest({ ...request, eventIds: [] }, [])); // duplicate id: rolled back
        const paused = await h.store.setConnectionPaused(world.teamId, world.connection.id, T0 + 1, T0 + 1);
        assert.ok(paused !== null);
        await ingest(h.store, world, T0 + 2, { connections: [paused] }); // held: nothing due
        assert.equal(await woken(300), false);
        assert.equal(wakes, 0);

        const released = woken(5000);
        await h.store.setConnectionPaused(world.teamId, world.connection.id, null, T0 + 3);
        assert.equal(await released, true, 'woken by the unpause that released the held event');
      } finally {
        await stop();
        await h.cleanup();
      }
    });

    test('500 ingests of one group commit send one notification', async () => {
      const h = await openFresh({ writeLanes: 1, maxBatch: 1000 });
      let wakes = 0;
      const stop = await listenForDue(URL, () => (wakes += 1), { channel: h.channel });
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
        assert.equal(h.store.commits - before, 1, 'one commit');
        await new Promise((resolve) => setTimeout(resolve, 300));
        assert.equal(wakes, 1);
      } finally {
        await stop();
        await h.cleanup();
      }
    });
  });

  describe('postgres group writer', () => {
    const withTable = async (fn: (pool: pg.Pool, rows: () => Promise<number[]>) => Promise<void>): Promise<void> => {
      const schema = freshSchema();
      await admin.query(`CREATE SCHEMA "${schema}"; CREATE TABLE "${schema}".t (id integer PRIMARY KEY, v text NOT NULL)`);
      const pool = new pg.Pool({ connectionString: URL, max: 4, options: `-c search_path=${schema}` });
      pool.on('error', () => undefined);
      try {
        await fn(pool, async () => (await pool.query<{ id: number }>('SELECT id FROM t ORDER BY id')).rows.map((r) => r.id));
      } finally {
        await pool.end();
        await dropSchema(schema);
      }
    };
    const insert = (id: number) => (tx: { db: Db }) => tx.db.run('INSERT INTO t (id, v) VALUES ($1, $2)', [id, `v${id}`]);

    test('concurrent writes share one commit; an operation that fails is undone alone', async () => {
      await withTable(async (pool, rows) => {
        const writer = new GroupWriter(pool, { lanes: 1, channel: null });
        const results = await Promise.allSettled([
          writer.submit(insert(1)),
          writer.submit(async (tx) => {
            await insert(2)(tx); // written, then undone with the rest of this operation
            await insert(1)(tx);
          }),
          writer.submit(insert(3)),
        ]);
        assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
        assert.deepEqual(await rows(), [1, 3]);
        assert.equal(writer.commits, 1);
        await writer.close();
        await assert.rejects(writer.submit(insert(4)), /store is closed/);
      });
    });

    /** A merge that inserts all its ids in one statement, answers each id's value, and remembers how many it was given each time. */
    const mergedInserts = (): Merge<number, string> & { calls: number[] } => {
      const calls: number[] = [];
      return {
        calls,
        writeAll: async (tx, ids) => {
          calls.push(ids.length);
          const inserted = await tx.db.rows<{ v: string }>("INSERT INTO t (id, v) SELECT id, 'm' || id FROM unnest($1::int[]) WITH ORDINALITY AS k(id, n) ORDER BY n RETURNING v", [ids]);
          return inserted.map((row) => row.v);
        },
      };
    };

    test('merged operations next to each other are written in one call, and commit together', async () => {
      await withTable(async (pool, rows) => {
        const writer = new GroupWriter(pool, { lanes: 1, channel: null });
        const merge = mergedInserts();
        // Two runs: the plain write in between keeps the batch's order.
        const answers = await Promise.all([
          ...[1, 2, 3].map((id) => writer.submitMerged(merge, id)),
          writer.submit(insert(4)),
          ...[5, 6].map((id) => writer.submitMerged(merge, id)),
        ]);
        assert.deepEqual(merge.calls, [3, 2]);
        assert.deepEqual([...answers.slice(0, 3), ...answers.slice(4)], ['m1', 'm2', 'm3', 'm5', 'm6'], 'each merged input gets its own value');
        assert.deepEqual(await rows(), [1, 2, 3, 4, 5, 6]);
        assert.equal(writer.commits, 1);
        await writer.close();
      });
    });

    test('a merged run stays within its maximum weight; a heavier input is written alone', async () => {
      await withTable(async (pool, rows) => {
        const writer = new GroupWriter(pool, { lanes: 1, channel: null });
        const merge = { ...mergedInserts(), weigh: (id: number) => id, maxWeight: 10 };
        // Weights 1 2 3 4 | 5 | 20 | 6
        await Promise.all([1, 2, 3, 4, 5, 20, 6].map((id) => writer.submitMerged(merge, id)));
        assert.deepEqual(merge.calls, [4, 1, 1, 1]);
        assert.deepEqual(await rows(), [1, 2, 3, 4, 5, 6, 20]);
        await writer.close();
      });
    });

    test('a merged write that fails is redone one input at a time: the bad one fails alone, in the same commit', async () => {
      await withTable(async (pool, rows) => {
        await pool.query("INSERT INTO t (id, v) VALUES (3, 'taken')");
        const writer = new GroupWriter(pool, { lanes: 1, channel: null });
        const merge = mergedInserts();
        const results = await Promise.allSettled([1, 2, 3, 4, 5].map((id) => writer.submitMerged(merge, id)));
        assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
        assert.deepEqual(merge.calls, [5, 1, 1, 1, 1, 1]);
        assert.deepEqual(await rows(), [1, 2, 3, 4, 5]);
        assert.equal((await pool.query<{ v: string }>('SELECT v FROM t WHERE id = 3')).rows[0]?.v, 'taken');
        assert.equal(writer.commits, 1);
        await writer.close();
      });
    });

    test('when the transaction as a whole is lost, each operation is run again alone', async () => {
      await withTable(async (pool, rows) => {
        const writer = new GroupWriter(pool, { lanes: 1, channel: null });
        const results = await Promise.allSettled([
          writer.submit(insert(1)),
          // Kills its own connection: what a network failure or a server restart does to a batch.
          writer.submit((tx) => tx.db.run('SELECT pg_terminate_backend(pg_backend_pid())')),
          writer.submit(insert(3)),
        ]);
        assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
        assert.deepEqual(await rows(), [1, 3]);
        assert.equal(writer.commits, 2, 'the two good operations committed alone');
        await writer.submit(insert(4));
        assert.deepEqual(await rows(), [1, 3, 4]);
        await writer.close();
      });
    });
  });
  // The query plans of every list filter and of the queue, on tables partitioned by week: postgresPartitions.test.ts.
}
