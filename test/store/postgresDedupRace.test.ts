/**
 * Deduplicate claims under contention on PostgreSQL (issue 7): several stores (processes) on one database, each
 * with several group-commit lanes, ingest at once requests whose deduplication keys overlap, in varied orders and
 * fanned out to several connections. Two batches claiming the same keys in different orders deadlocked (543 times
 * in 1,440 ingests, each broken after deadlock_timeout and retried by the writer); the keys are now locked in one
 * order first (ingest.ts, lockDedupKeys), so they cannot. Asserted: every ingest is acknowledged (no error reaches a client), each (connection, key) makes exactly
 * one event in its window, every repeat names that event, and the server counted no deadlock.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { newId } from '../../src/domain/ids.js';
import type { Connection } from '../../src/domain/model.js';
import type { AcceptedRequest } from '../../src/store/port.js';
import { openPostgresStore, type PostgresStore } from '../../src/store/postgres/openPostgresStore.js';
import { createDatabase, describeWithPostgres, query, type FreshDatabase } from '../support/postgresDatabase.js';
import { addRoute, aRequest, newWorld, T0, type World } from './fixtures.js';

const STORES = 3;
const ROUNDS = 6;
const PER_ROUND = 240;
const KEYS = 12;
const WINDOW_MS = 3_600_000;

/** A deterministic shuffle (xorshift), so that a failing order can be replayed. */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let x = seed || 1;
  for (let i = out.length - 1; i > 0; i -= 1) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    const j = Math.abs(x) % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

await describeWithPostgres('deduplicate claims under contention', () => {
  describe('postgres: deduplicate claims under contention', () => {
    let database: FreshDatabase;
    const stores: PostgresStore[] = [];

    before(async () => {
      database = await createDatabase('sluice_dd');
      for (let i = 0; i < STORES; i += 1) {
        const store = await openPostgresStore(database.url, { poolSize: 8, writeLanes: 4 });
        await store.migrate();
        stores.push(store);
      }
    });
    after(async () => {
      for (const store of stores) await store.close().catch(() => undefined);
      await database?.drop();
    });

    // Bounded: with the deadlocks back, each costs deadlock_timeout (1 s) and the run took 530 s instead of 4 s.
    test('overlapping keys in varied orders from three stores: one event per key and window, every ingest acknowledged, no deadlock', { timeout: 240_000 }, async () => {
      const [first] = stores;
      assert.ok(first !== undefined);
      const world: World = await newWorld(first);
      const connections: Connection[] = [world.connection, await addRoute(first, world), await addRoute(first, world)];
      const deadlocksAt = async () =>
        Number((await query<{ n: string }>(database.url, 'SELECT deadlocks AS n FROM pg_stat_database WHERE datname = current_database()'))[0]?.n);
      const deadlocksBefore = await deadlocksAt();

      const made = new Map<string, string>(); // connection|key → the one event
      const repeats: { pair: string; of: string }[] = [];
      const failures: unknown[] = [];
      let acknowledged = 0;
      let sent = 0;
      for (let round = 0; round < ROUNDS; round += 1) {
        const at = T0 + round * 10; // every round within the window: keys from earlier rounds stay live
        const calls = Array.from({ length: PER_ROUND }, (_, i) => {
          const seed = round * 100_003 + i * 7919 + 1;
          const key = `k${shuffled(Array.from({ length: KEYS }, (_, k) => k), seed)[0]}-r${round % 2}`;
          // Each request fans out to the connections in an order of its own (and sometimes to only some).
          const routes = shuffled(connections, seed * 31).slice(0, 1 + (seed % connections.length));
          const events = routes.map((c) => ({
            id: newId('event', at),
            connectionId: c.id,
            destinationId: c.destinationId,
            status: 'QUEUED' as const,
            dedup: { key, expiresAt: T0 + WINDOW_MS },
          }));
          const store = stores[(i + round) % STORES] as PostgresStore;
          const request = aRequest(world, at, events.map((e) => e.id));
          sent += 1;
          return store.acceptRequest(request, events).then(
            (accepted: AcceptedRequest) => {
              acknowledged += 1;
              const byId = new Map(events.map((e) => [e.id, e]));
              for (const id of accepted.eventIds) {
                const event = byId.get(id);
                assert.ok(event !== undefined);
                const pair = `${event.connectionId}|${key}`;
                assert.equal(made.get(pair), undefined, `a second event for ${pair}`);
                made.set(pair, id);
              }
              for (const ignored of accepted.ignored) repeats.push({ pair: `${ignored.connectionId}|${key}`, of: ignored.duplicateOf ?? '' });
            },
            (error: unknown) => {
              failures.push(error);
            },
          );
        });
        await Promise.all(calls);
      }

      assert.deepEqual(failures, [], 'no ingest failed');
      assert.equal(acknowledged, sent);
      for (const { pair, of } of repeats) assert.equal(of, made.get(pair), `the repeat of ${pair} names its one event`);
      const stored = await query<{ connection_id: string; n: string }>(
        database.url,
        'SELECT connection_id, count(*) AS n FROM events GROUP BY connection_id ORDER BY connection_id',
      );
      const perConnection = new Map(stored.map((r) => [r.connection_id, Number(r.n)]));
      for (const c of connections) {
        const expected = [...made.keys()].filter((pair) => pair.startsWith(`${c.id}|`)).length;
        assert.equal(perConnection.get(c.id) ?? 0, expected, 'stored events = the ones acknowledged, one per key');
        assert.ok(expected <= KEYS * 2, 'at most one per key');
      }
      assert.equal(await deadlocksAt(), deadlocksBefore, 'the server detected no deadlock');
    });
  });
});
