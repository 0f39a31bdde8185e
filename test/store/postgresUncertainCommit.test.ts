/**
 * A COMMIT whose answer never comes back (issue 7): the connection is cut by a real TCP proxy after the statement
 * reached the server (which commits) and before its answer reached the store. The claim gives its leases back at
 * once on a fresh connection (uncertainClaim.ts) rather than leaving its events leased, unattempted, for the whole
 * lease; the release touches only rows holding exactly its tokens; with the database unreachable it gives up
 * within its window and the leases run out. A record or an ingest whose COMMIT answer was lost is redone alone by
 * the group writer and is never applied twice (see docs/postgres.md, "A COMMIT without an answer").
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ClaimOptions } from '../../src/store/port.js';
import { openPostgresStore, type PostgresStore } from '../../src/store/postgres/openPostgresStore.js';
import { releaseUncertainLeases, releaseWindowMs } from '../../src/store/postgres/uncertainClaim.js';
import { createDatabase, describeWithPostgres, query, type FreshDatabase } from '../support/postgresDatabase.js';
import { startTcpProxy, type TcpProxy } from '../support/tcpProxy.js';
import { anAttempt, ingest, newWorld, T0 } from './fixtures.js';

const LEASE_MS = 35_000;

const claimAt = (now: number, over: Partial<ClaimOptions> = {}): ClaimOptions => ({
  now,
  leaseMs: LEASE_MS,
  limit: 100,
  inFlight: new Map(),
  defaultConcurrency: 1000,
  ...over,
});

interface EventRow {
  id: string;
  lease_token: string | null;
  due_at: string | null;
  attempts: number;
}

await describeWithPostgres('a COMMIT without an answer', () => {
  describe('postgres: a COMMIT without an answer', () => {
    let database: FreshDatabase;
    let proxy: TcpProxy;
    let store: PostgresStore;
    let direct: PostgresStore;

    const proxiedUrl = (): string => {
      const url = new URL(database.url);
      url.host = `127.0.0.1:${proxy.port}`;
      return url.toString();
    };
    const events = (ids: string[]): Promise<EventRow[]> =>
      query<EventRow>(database.url, 'SELECT id, lease_token, due_at::text, attempts FROM events WHERE id = ANY($1::text[]) ORDER BY id', [ids]);

    before(async () => {
      database = await createDatabase('sluice_uc');
      direct = await openPostgresStore(database.url, { poolSize: 2 });
      await direct.migrate();
      proxy = await startTcpProxy('127.0.0.1', Number(new URL(database.url).port || 5432));
      store = await openPostgresStore(proxiedUrl(), { poolSize: 2 });
    });
    after(async () => {
      await store?.close().catch(() => undefined);
      await direct?.close().catch(() => undefined);
      await proxy?.close();
      await database?.drop();
    });

    /**
     * Runs `fn` with `n` events due at T0 (written without the proxy), then marks them done whatever happened, so
     * that the next test's claims see only its own.
     */
    async function withDueEvents(n: number, fn: (ids: string[]) => Promise<void>): Promise<void> {
      const world = await newWorld(direct);
      const ids: string[] = [];
      for (let i = 0; i < n; i += 1) ids.push(...(await ingest(direct, world, T0 + i)).eventIds);
      try {
        await fn(ids);
      } finally {
        await query(database.url, "UPDATE events SET status = 'SUCCESSFUL', due_at = NULL, lease_token = NULL WHERE id = ANY($1::text[])", [ids]);
      }
    }

    test('a claim whose COMMIT answer is lost gives its leases back at once: the events are claimable again now', async () => {
      await withDueEvents(5, async (ids) => {
        const now = T0 + 10_000;
        const cut = proxy.cutReplyTo('COMMIT');
        const started = Date.now();
        await assert.rejects(store.claimDue(claimAt(now)), 'the claim reports its failure');
        await cut;
        const elapsed = Date.now() - started;
        const rows = await events(ids);
        assert.deepEqual(rows.map((r) => r.lease_token), ids.map(() => null), 'no lease left behind');
        // due_at = the claim's now, not the events' own due times (T0 + i): the claim committed, then was released.
        assert.deepEqual(rows.map((r) => Number(r.due_at)), ids.map(() => now), 'leased by the commit, then given back');
        const again = await direct.claimDue(claimAt(now + 1));
        assert.deepEqual(again.map((c) => c.event.id).sort(), [...ids].sort(), 'another claimer gets them all at once, not after the lease');
        assert.ok(elapsed < 10_000, `the claim's caller waited ${elapsed} ms`);
      });
    });

    test('when the database stays unreachable the release gives up within its window and the leases run out', async () => {
      await withDueEvents(3, async (ids) => {
        const now = T0 + 20_000;
        const leaseMs = 4000;
        const cut = proxy.cutReplyTo('COMMIT', { refuseAfter: true });
        const started = Date.now();
        await assert.rejects(store.claimDue(claimAt(now, { leaseMs })));
        const elapsed = Date.now() - started;
        await cut;
        try {
          const rows = await events(ids);
          assert.ok(rows.every((r) => r.lease_token !== null && Number(r.due_at) === now + leaseMs), 'still leased until the lease ends');
          assert.ok(elapsed >= releaseWindowMs(leaseMs) - 100, `retried for its window (${elapsed} ms)`);
          assert.ok(elapsed < releaseWindowMs(leaseMs) + 8000, `and no longer (${elapsed} ms)`);
          assert.deepEqual(await direct.claimDue(claimAt(now + 1)), [], 'not claimable during the lease');
          const expired = await direct.claimDue(claimAt(now + leaseMs));
          assert.deepEqual(expired.map((c) => c.event.id).sort(), [...ids].sort(), 'claimable once the lease ran out');
        } finally {
          await proxy.restore();
        }
      });
    });

    test('the release touches only rows that still hold exactly its tokens', async () => {
      await withDueEvents(3, async (ids) => {
        const now = T0 + 30_000;
        const first = await direct.claimDue(claimAt(now, { leaseMs: 1000 }));
        // The leases ran out and another claimer took two of the three.
        const second = await direct.claimDue(claimAt(now + 1000, { limit: 2, leaseMs: 60_000 }));
        assert.equal(second.length, 2);
        const before = await events(ids);
        const released = await releaseUncertainLeases(
          direct.pool,
          first.map((c) => ({ eventId: c.event.id, leaseToken: c.leaseToken })),
          now + 2000,
          1000,
        );
        assert.equal(released, 1, 'only the row still holding its token');
        const rows = new Map((await events(ids)).map((r) => [r.id, r]));
        for (const claim of second) assert.deepEqual(rows.get(claim.event.id), before.find((r) => r.id === claim.event.id), 'the other claimer keeps its lease');
        const untouched = ids.find((id) => !second.some((c) => c.event.id === id));
        assert.equal(rows.get(untouched ?? '')?.lease_token, null);
      });
    });

    test('a record whose COMMIT answer is lost is answered as done, and applied exactly once', async () => {
      await withDueEvents(2, async (ids) => {
        const now = T0 + 40_000;
        const claims = await store.claimDue(claimAt(now));
        assert.equal(claims.length, 2);
        const cut = proxy.cutReplyTo('COMMIT');
        const commitsBefore = store.commits;
        // The batch is lost, run again alone; the redo finds its attempt ids stored and writes nothing.
        await store.recordAttempts(
          claims.map((c) => ({ attempt: anAttempt(c.event, now + 5, { status: 'FAILED' }), leaseToken: c.leaseToken, nextAttemptAt: now + 60_000 })),
          now + 5,
        );
        await cut;
        assert.equal(store.commits, commitsBefore + 1, 'the redo committed (nothing); the cut batch is not counted');
        const rows = await events(ids);
        assert.deepEqual(rows.map((r) => r.attempts), [1, 1], 'counted once');
        assert.deepEqual(rows.map((r) => Number(r.due_at)), [now + 60_000, now + 60_000], 'rescheduled once');
        assert.deepEqual(rows.map((r) => r.lease_token), [null, null]);
        const attempts = await query<{ n: string }>(database.url, 'SELECT count(*) AS n FROM attempts WHERE event_id = ANY($1::text[])', [ids]);
        assert.equal(Number(attempts[0]?.n), 2, 'one attempt row each');
      });
    });

    test('an ingest whose COMMIT answer is lost is acknowledged with what is stored, and stored once', async () => {
      const world = await newWorld(direct);
      const cut = proxy.cutReplyTo('COMMIT');
      const { request, eventIds } = await ingest(store, world, T0 + 50_000);
      await cut;
      const requests = await query<{ id: string }>(database.url, 'SELECT id FROM requests WHERE source_id = $1', [world.source.id]);
      assert.deepEqual(requests.map((r) => r.id), [request.id], 'stored once');
      const stored = await query<{ id: string }>(database.url, 'SELECT id FROM events WHERE request_id = $1', [request.id]);
      assert.deepEqual(stored.map((r) => r.id), eventIds, 'with its one event');
      const accepted = await direct.getRequest(world.teamId, request.id);
      assert.deepEqual(accepted?.eventIds, eventIds);
    });
  });
});
