/**
 * The SQLite store's cache of ingest's lookups (src/store/sqlite/ingestLookups.ts): a change made through the store
 * is seen by the next lookup at once, whatever the TTL (each test uses a TTL no test outlives, so only the
 * invalidation can make it pass); a change made through another connection to the same file is seen once the TTL
 * has run out, and routing by the stale answer in the meantime never makes a wrong event.
 */
import Database from 'better-sqlite3';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { openSqliteStore } from '../../src/store/sqlite/openSqliteStore.js';
import { SqliteStore } from '../../src/store/sqlite/sqliteStore.js';
import { addRoute, anAttempt, ingest, mustGetEvent, newWorld, T0 } from './fixtures.js';

const FOREVER = 3_600_000;

async function openWithTtl(ttlMs: number): Promise<{ store: SqliteStore; other: () => Promise<SqliteStore>; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-lookups-'));
  const file = join(dir, 'sluice.db');
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  const store = new SqliteStore(db, { ingestLookupTtlMs: ttlMs });
  await store.migrate();
  const opened: SqliteStore[] = [store];
  return {
    store,
    other: async () => {
      const second = openSqliteStore(file);
      opened.push(second);
      return second;
    },
    cleanup: async () => {
      for (const s of opened) await s.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

const ids = async (store: SqliteStore, sourceId: string): Promise<string[]> => (await store.listActiveConnectionsOfSource(sourceId)).map((c) => c.id).sort();

describe("sqlite store: ingest's cached lookups", () => {
  test('a source changed through this store is seen by the next lookup at once', async () => {
    const h = await openWithTtl(FOREVER);
    try {
      const { store } = h;
      const world = await newWorld(store);
      const { teamId, source } = world;
      assert.equal((await store.getSourceForIngest(source.id))?.disabledAt, null);
      await store.setSourceDisabled(teamId, source.id, T0 + 1, T0 + 1);
      assert.equal((await store.getSourceForIngest(source.id))?.disabledAt, T0 + 1);
      await store.setSourceDisabled(teamId, source.id, null, T0 + 2);
      assert.equal((await store.getSourceForIngest(source.id))?.disabledAt, null);
      await store.updateSource(teamId, source.id, { config: { ...source.config, allowed_http_methods: ['PUT'] } }, T0 + 3);
      assert.deepEqual((await store.getSourceForIngest(source.id))?.config.allowed_http_methods, ['PUT']);
      await store.deleteSource(teamId, source.id, T0 + 4);
      assert.equal(await store.getSourceForIngest(source.id), null);
      assert.deepEqual(await ids(store, source.id), []);
      assert.equal(await store.getConnectionForIngest(world.connection.id), null, 'its connections went with it');
      // An unknown id is cached too (as null), and a source created with that id is seen at once.
      await store.createSource(source);
      assert.equal((await store.getSourceForIngest(source.id))?.id, source.id);
    } finally {
      await h.cleanup();
    }
  });

  test('connections and destinations changed through this store are seen by the next lookup at once', async () => {
    const h = await openWithTtl(FOREVER);
    try {
      const { store } = h;
      const world = await newWorld(store);
      const { teamId, source, connection } = world;
      assert.deepEqual(await ids(store, source.id), [connection.id]);
      const second = await addRoute(store, world);
      assert.deepEqual(await ids(store, source.id), [connection.id, second.id].sort());
      assert.equal((await store.getConnectionForIngest(second.id))?.pausedAt, null);
      await store.setConnectionPaused(teamId, second.id, T0 + 1, T0 + 1);
      assert.equal((await store.getConnectionForIngest(second.id))?.pausedAt, T0 + 1);
      assert.equal((await store.listActiveConnectionsOfSource(source.id)).find((c) => c.id === second.id)?.pausedAt, T0 + 1, 'paused is still active, with its pause');
      await store.setConnectionDisabled(teamId, second.id, T0 + 2, T0 + 2);
      assert.deepEqual(await ids(store, source.id), [connection.id]);
      await store.setConnectionDisabled(teamId, second.id, null, T0 + 3);
      await store.updateConnection(teamId, second.id, { name: 'renamed' }, T0 + 3);
      assert.equal((await store.getConnectionForIngest(second.id))?.name, 'renamed');
      await store.setDestinationDisabled(teamId, world.destination.id, T0 + 4, T0 + 4);
      assert.deepEqual(await ids(store, source.id), [second.id]);
      await store.setDestinationDisabled(teamId, world.destination.id, null, T0 + 5);
      assert.deepEqual(await ids(store, source.id), [connection.id, second.id].sort());
      await store.deleteConnection(teamId, second.id, T0 + 6);
      assert.deepEqual(await ids(store, source.id), [connection.id]);
      assert.equal(await store.getConnectionForIngest(second.id), null);
    } finally {
      await h.cleanup();
    }
  });

  test('a destination disabled by a 410 Gone in this store is seen by the next lookup at once', async () => {
    const h = await openWithTtl(FOREVER);
    try {
      const { store } = h;
      const world = await newWorld(store);
      const { eventIds } = await ingest(store, world, T0 + 1);
      assert.deepEqual(await ids(store, world.source.id), [world.connection.id]);
      const [claimed] = await store.claimDue({ now: T0 + 2, leaseMs: 60_000, limit: 1, inFlight: new Map(), defaultConcurrency: 10 });
      assert.equal(claimed?.event.id, eventIds[0]);
      const event = await mustGetEvent(store, world.teamId, eventIds[0] ?? '');
      const attempt = anAttempt(event, T0 + 3, { status: 'FAILED', responseStatus: 410 });
      await store.recordAttempts([{ attempt, leaseToken: claimed?.leaseToken ?? null, nextAttemptAt: null, gone: { onDisabled: null } }], T0 + 3);
      assert.deepEqual(await ids(store, world.source.id), []);
    } finally {
      await h.cleanup();
    }
  });

  test("another connection's change: seen after the TTL, and routing by the stale list never makes a wrong event", async () => {
    const h = await openWithTtl(FOREVER);
    try {
      const { store } = h;
      const other = await h.other();
      const world = await newWorld(store);
      const second = await addRoute(store, world);
      const before = await ids(store, world.source.id); // cached here
      await other.setConnectionDisabled(world.teamId, world.connection.id, T0, T0);
      await other.deleteConnection(world.teamId, second.id, T0);
      const stale = await store.listActiveConnectionsOfSource(world.source.id);
      assert.deepEqual(stale.map((c) => c.id).sort(), before, 'the other connection changed nothing here yet');
      // Each event's status is settled at commit from its connection's state then (ingest.ts).
      const { eventIds } = await ingest(store, world, T0 + 1, { connections: stale });
      const statuses: Record<string, string> = {};
      for (const id of eventIds) {
        const event = await mustGetEvent(store, world.teamId, id);
        statuses[event.connectionId] = event.status;
      }
      assert.deepEqual(statuses, { [world.connection.id]: 'HOLD', [second.id]: 'CANCELLED' });
      assert.equal(await store.nextDueAt(), null, 'nothing due');
    } finally {
      await h.cleanup();
    }
  });

  test('the TTL bounds how long a change made elsewhere goes unseen', async () => {
    const h = await openWithTtl(150);
    try {
      const { store } = h;
      const other = await h.other();
      const world = await newWorld(store);
      assert.equal((await store.getSourceForIngest(world.source.id))?.disabledAt, null);
      await other.setSourceDisabled(world.teamId, world.source.id, T0, T0);
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.equal((await store.getSourceForIngest(world.source.id))?.disabledAt, T0);
      assert.deepEqual(await ids(store, world.source.id), [world.connection.id]);
      await other.setConnectionDisabled(world.teamId, world.connection.id, T0, T0);
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.deepEqual(await ids(store, world.source.id), []);
    } finally {
      await h.cleanup();
    }
  });
});
