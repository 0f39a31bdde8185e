/**
 * Conformance: destinations' rate limits by time in claimDue and nextDueAt (docs/api.md, "Destination rate limits").
 * Time moves through the claim's `now`, never by sleeping: at every claim the bucket must have let through exactly
 * the tokens it had (a burst of the limit, then one per refill interval), nextDueAt must be the next token's time
 * while only the bucket holds events back, destinations without a limit are unaffected, and a changed limit takes
 * effect at the next claim.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Destination, HttpDestinationConfig } from '../../../src/domain/model.js';
import type { ClaimedEvent, Store } from '../../../src/store/port.js';
import { addRoute, aDestination, ingest, newWorld, type OpenStore, T0, withStore, type World } from '../fixtures.js';
import { claim } from './dispatch.js';

function aLimitedDestination(teamId: string, limit: number, period: HttpDestinationConfig['rate_limit_period']): Destination {
  const destination = aDestination(teamId);
  return { ...destination, config: { ...destination.config, rate_limit: limit, rate_limit_period: period } };
}

/** A world whose destination has `limit` per `period`, with `count` events due at T0. */
async function limitedWorld(store: Store, count: number, limit: number, period: HttpDestinationConfig['rate_limit_period']): Promise<World> {
  const teamId = (await newWorld(store)).teamId;
  const world = await newWorld(store, { teamId, destination: aLimitedDestination(teamId, limit, period) });
  for (let i = 0; i < count; i++) await ingest(store, world, T0 - 1000 + i);
  return world;
}

function countFor(claimed: ClaimedEvent[], destinationId: string): number {
  return claimed.filter((c) => c.destination.id === destinationId).length;
}

export function rateLimitTests(open: OpenStore): void {
  describe('rate limits by time', () => {
    test('a burst of the limit, then exactly one event per refill interval, and nextDueAt is the next token', async () => {
      await withStore(open, async (store) => {
        const world = await limitedWorld(store, 10, 3, 'second');
        assert.equal((await claim(store, T0)).length, 3, 'a full bucket: a burst of the limit');
        assert.deepEqual(await claim(store, T0), [], 'seven events are due, but the bucket is empty');
        // One token every 1000/3 ms: the next is due at T0 + 334 (whole milliseconds, rounded up).
        assert.equal(await store.nextDueAt(), T0 + 334, 'the dispatcher sleeps until the next token, not on the due backlog');
        assert.deepEqual(await claim(store, T0 + 333), []);
        const one = await claim(store, T0 + 334);
        assert.equal(one.length, 1);
        assert.equal(one[0]?.destination.id, world.destination.id);
        assert.equal(await store.nextDueAt(), T0 + 667);
        assert.equal((await claim(store, T0 + 2000)).length, 3, 'refilled over a long pause, never above the limit');
      });
    });

    test('at every claim, what was leased since the first is exactly the burst plus the refill (never more)', async () => {
      await withStore(open, async (store) => {
        const limit = 5;
        await limitedWorld(store, 40, limit, 'second');
        let leased = 0;
        // Claims at irregular times (a prime step), as dispatchers wake: each takes all the tokens there are.
        for (let t = T0; t <= T0 + 8000; t += 37) {
          leased += (await claim(store, t)).length;
          const allowed = Math.min(40, limit + Math.floor(((t - T0) * limit) / 1000));
          assert.equal(leased, allowed, `leased by T0 + ${t - T0} ms`);
        }
        assert.equal(leased, 40);
        assert.ok((await store.nextDueAt()) !== null);
      });
    });

    test('a per-minute limit holds over the minute; destinations without one are unaffected and fill the claim', async () => {
      await withStore(open, async (store) => {
        const world = await limitedWorld(store, 20, 4, 'minute');
        const free = await addRoute(store, world);
        for (let i = 0; i < 6; i++) await ingest(store, world, T0 - 500 + i, { connections: [free] });
        const first = await claim(store, T0);
        assert.equal(countFor(first, world.destination.id), 4);
        assert.equal(countFor(first, free.destinationId), 6, 'the unlimited destination takes all its due events');
        assert.deepEqual(await claim(store, T0 + 14_999), [], 'a token every 15 s');
        assert.equal(await store.nextDueAt(), T0 + 15_000);
        assert.equal((await claim(store, T0 + 15_000)).length, 1);
        // A due event of an unlimited destination is the next thing due, ahead of the limited one's token.
        await ingest(store, world, T0 + 20_000, { connections: [free] });
        assert.equal(await store.nextDueAt(), T0 + 20_000);
      });
    });

    test('a time limit keeps the default concurrency cap', async () => {
      await withStore(open, async (store) => {
        const world = await limitedWorld(store, 10, 100, 'second');
        assert.equal((await claim(store, T0, { defaultConcurrency: 4 })).length, 4, 'tokens to spare, but at most 4 in flight');
        const inFlight = new Map([[world.destination.id, 4]]);
        assert.deepEqual(await claim(store, T0, { defaultConcurrency: 4, inFlight }), []);
        assert.equal((await claim(store, T0, { defaultConcurrency: 10, inFlight })).length, 6, 'the slots, not the tokens, bound it');
      });
    });

    test('a changed limit takes effect at the next claim; a removed one frees the backlog', async () => {
      await withStore(open, async (store) => {
        const world = await limitedWorld(store, 30, 3, 'second');
        // Leases longer than the test's span, so that no lease running out makes events due again.
        const claimAt = (now: number) => claim(store, now, { leaseMs: 3_600_000 });
        assert.equal((await claimAt(T0)).length, 3);
        const update = (config: Partial<HttpDestinationConfig>) =>
          store.updateDestination(world.teamId, world.destination.id, { config: { ...world.destination.config, ...config } }, T0);

        // Slower: the empty bucket refills at the new rate; the next token is 60 s away, not 334 ms.
        await update({ rate_limit: 1, rate_limit_period: 'minute' });
        assert.deepEqual(await claimAt(T0 + 2000), []);
        assert.equal(await store.nextDueAt(), T0 + 60_000);
        assert.equal((await claimAt(T0 + 60_000)).length, 1, 'refilled to the new limit, never above it');

        // Faster: 1000 per second refills within milliseconds.
        await update({ rate_limit: 1000, rate_limit_period: 'second' });
        assert.equal((await claimAt(T0 + 60_010)).length, 10);

        // None: what is left goes at once, and nothing holds nextDueAt back.
        await update({ rate_limit: null, rate_limit_period: null });
        assert.equal((await claimAt(T0 + 60_010)).length, 16);
        assert.equal(await store.nextDueAt(), T0 + 3_600_000, 'the first leases are all that is left');

        // Concurrent is no time limit: an emptied bucket of a former one holds nothing back.
        await update({ rate_limit: 1, rate_limit_period: 'hour' });
        for (let i = 0; i < 4; i++) await ingest(store, world, T0 + 61_000 + i);
        assert.equal((await claimAt(T0 + 61_003)).length, 1);
        await update({ rate_limit: 40, rate_limit_period: 'concurrent' });
        assert.equal((await claimAt(T0 + 61_003)).length, 3, 'within the 40 slots (30 + 1 leased), not one per hour');
      });
    });
  });
}
