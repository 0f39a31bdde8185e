/**
 * Conformance: the dispatcher's side of the store — claimDue (due only, ordered, leased, capped per destination),
 * lease expiry, recordAttempts (success, retry, exhausted, stale lease, manual), releaseClaims and nextDueAt.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ClaimedEvent, ClaimOptions, Store } from '../../../src/store/port.js';
import {
  addRoute,
  aCappedDestination,
  aDestination,
  anAttempt,
  ingest,
  mustGetEvent,
  newWorld,
  type OpenStore,
  pageOf,
  T0,
  withStore,
} from '../fixtures.js';

const LEASE = 60_000;

export function claim(store: Store, now: number, over: Partial<ClaimOptions> = {}): Promise<ClaimedEvent[]> {
  return store.claimDue({ now, leaseMs: LEASE, limit: 100, inFlight: new Map(), defaultConcurrency: 100, ...over });
}

function ids(claimed: ClaimedEvent[]): string[] {
  return claimed.map((c) => c.event.id);
}

export function dispatchTests(open: OpenStore): void {
  describe('claimDue', () => {
    test('claims only due events, with everything an attempt needs, and leases them', async () => {
      await withStore(open, async (store) => {
        const world = await newWorld(store);
        const due = await ingest(store, world, T0);
        const later = await ingest(store, world, T0 + 10_000);
        assert.deepEqual(await claim(store, T0 - 1), []);

        const [claimed, ...rest] = await claim(store, T0 + 5000);
        assert.equal(rest.length, 0);
        assert.ok(claimed !== undefined);
        assert.equal(claimed.event.id, due.eventIds[0]);
        assert.equal(claimed.event.status, 'QUEUED');
        assert.deepEqual(claimed.request, due.request);
        assert.deepEqual(claimed.destination, world.destination);
        assert.deepEqual(claimed.connection, world.connection);
        assert.equal(claimed.sourceName, world.source.name);
        assert.equal(claimed.dueAt, T0);
        assert.equal(claimed.trigger, 'INITIAL');
        assert.equal(typeof claimed.leaseToken, 'string');
        assert.ok(claimed.leaseToken.length > 0);

        // Leased: not claimable again until the lease ends; the later event is the next thing due.
        assert.deepEqual(await claim(store, T0 + 5000), []);
        assert.equal(await store.nextDueAt(), T0 + 10_000);
        assert.deepEqual(ids(await claim(store, T0 + 10_000)), later.eventIds);
        assert.equal(await store.nextDueAt(), T0 + 5000 + LEASE);
        assert.equal((await mustGetEvent(store, world.teamId, claimed.event.id)).nextAttemptAt, T0, 'a lease does not change next_attempt_at');
      });
    });

    test('a claim whose lease ran out without an attempt is claimable again (crash recovery)', async () => {
      await withStore(open, async (store) => {
        const world = await newWorld(store);
        const { eventIds } = await ingest(store, world, T0);
        const first = await claim(store, T0 + 1);
        assert.deepEqual(ids(first), eventIds);
        assert.deepEqual(await claim(store, T0 + LEASE), [], 'still leased one ms before the end');
        const again = await claim(store, T0 + 1 + LEASE);
        assert.deepEqual(ids(again), eventIds);
        assert.notEqual(again[0]?.leaseToken, first[0]?.leaseToken);
        assert.equal(again[0]?.dueAt, T0 + 1 + LEASE);
        assert.equal(again[0]?.trigger, 'INITIAL');
      });
    });

    test('claims the earliest due first, at most `limit`', async () => {
      await withStore(open, async (store) => {
        const world = await newWorld(store);
        const routes = [world.connection, await addRoute(store, world), await addRoute(store, world)];
        const order: string[] = [];
        for (const [i, at] of [T0 + 30, T0 + 10, T0 + 50, T0 + 20, T0 + 40].entries()) {
          const route = routes[i % routes.length];
          assert.ok(route !== undefined);
          order.push(...(await ingest(store, world, at, { connections: [route] })).eventIds.map((id) => `${at}:${id}`));
        }
        const expected = order.sort().map((entry) => entry.split(':')[1]);
        const claimed = await claim(store, T0 + 100, { limit: 3 });
        assert.deepEqual(ids(claimed), expected.slice(0, 3));
        assert.deepEqual(claimed.map((c) => c.dueAt), [T0 + 10, T0 + 20, T0 + 30]);
        assert.deepEqual(ids(await claim(store, T0 + 100, { limit: 3 })), expected.slice(3));
      });
    });

    test('the earliest across destinations, even when one destination alone could fill the claim', async () => {
      await withStore(open, async (store) => {
        const world = await newWorld(store);
        const other = await addRoute(store, world);
        const busy = [];
        for (const at of [T0, T0 + 100, T0 + 200, T0 + 300]) busy.push(...(await ingest(store, world, at)).eventIds);
        const quiet = (await ingest(store, world, T0 + 1, { connections: [other] })).eventIds;
        const claimed = await claim(store, T0 + 1000, { limit: 3 });
        assert.deepEqual(ids(claimed), [busy[0], quiet[0], busy[1]]);
        assert.deepEqual(claimed.map((c) => c.dueAt), [T0, T0 + 1, T0 + 100]);
      });
    });

    test('honours each destination cap minus its attempts in flight; a full destination does not block others', async () => {
      await withStore(open, async (store) => {
        const world = await newWorld(store); // default cap
        const capped = aCappedDestination(world.teamId, 3);
        await store.createDestination(capped);
        const toCapped = await addRoute(store, world, capped);
        for (let i = 0; i < 6; i++) await ingest(store, world, T0 + i, { connections: [world.connection, toCapped] });
        const late = await ingest(store, world, T0 + 1000, { connections: [world.connection] });

        const byDestination = (claimed: ClaimedEvent[]) =>
          claimed.reduce((m, c) => m.set(c.destination.id, (m.get(c.destination.id) ?? 0) + 1), new Map<string, number>());
        const inFlight = new Map([[world.destination.id, 1], [capped.id, 1]]);
        const first = await claim(store, T0 + 2000, { defaultConcurrency: 4, inFlight });
        assert.deepEqual(byDestination(first), new Map([[world.destination.id, 3], [capped.id, 2]]));
        assert.deepEqual(first.map((c) => c.dueAt), [T0, T0, T0 + 1, T0 + 1, T0 + 2], 'earliest first across destinations');

        // Full on both: nothing, although 5 events are due.
        const full = new Map([[world.destination.id, 4], [capped.id, 3]]);
        assert.deepEqual(await claim(store, T0 + 2000, { defaultConcurrency: 4, inFlight: full }), []);
        // The capped destination is full and holds the oldest due events; the other one still gets its own.
        const onlyCappedFull = new Map([[capped.id, 3]]);
        const second = await claim(store, T0 + 2000, { defaultConcurrency: 100, inFlight: onlyCappedFull });
        assert.equal(second.length, 4);
        assert.ok(second.every((c) => c.destination.id === world.destination.id));
        assert.ok(ids(second).includes(late.eventIds[0] ?? ''));
      });
    });

    test('events of a paused or disabled connection or a disabled destination are not claimed', async () => {
      await withStore(open, async (store) => {
        const world = await newWorld(store);
        const paused = await addRoute(store, world);
        const disabled = await addRoute(store, world);
        const deadDestination = aDestination(world.teamId);
        await store.createDestination(deadDestination);
        const toDead = await addRoute(store, world, deadDestination);
        const { eventIds } = await ingest(store, world, T0, { connections: [world.connection, paused, disabled, toDead] });
        await store.setConnectionPaused(world.teamId, paused.id, T0 + 1, T0 + 1);
        await store.setConnectionDisabled(world.teamId, disabled.id, T0 + 1, T0 + 1);
        await store.setDestinationDisabled(world.teamId, deadDestination.id, T0 + 1, T0 + 1);
        assert.deepEqual(ids(await claim(store, T0 + 10)), eventIds.slice(0, 1));
        assert.equal(await store.nextDueAt(), T0 + 10 + LEASE);
      });
    });
  });

  describe('recordAttempts', () => {
    test('a success ends the event and cancels pending retries', async () => {
      await withStore(open, async (store) => {
        const world = await newWorld(store);
        const { eventIds } = await ingest(store, world, T0);
        const [claimed] = await claim(store, T0 + 1);
        assert.ok(claimed !== undefined);
        const attempt = anAttempt(claimed.event, T0 + 20, { status: 'SUCCESSFUL', responseStatus: 204 });
        await store.recordAttempts([{ attempt, leaseToken: claimed.leaseToken, nextAttemptAt: T0 + 99_999 }], T0 + 21);
        const event = await mustGetEvent(store, world.teamId, eventIds[0] ?? '');
        assert.deepEqual(
          { ...event },
          {
            ...claimed.event,
            status: 'SUCCESSFUL',
            attempts: 1,
            responseStatus: 204,
            errorCode: null,
            lastAttemptAt: T0 + 20,
            nextAttemptAt: null,
            successfulAt: T0 + 20,
            updatedAt: T0 + 21,
          },
        );
        assert.deepEqual(await store.getAttempt(world.teamId, attempt.id), attempt);
        assert.deepEqual((await store.listAttempts(world.teamId, { eventId: event.id }, pageOf())).models, [attempt]);
        assert.equal(await store.nextDueAt(), null);
        assert.deepEqual(await claim(store, T0 + 10 * LEASE), []);
      });
    });

    test('a failure with a retry schedules it (trigger AUTOMATIC); with none left the event FAILED', async () => {
      await withStore(open, async (store) => {
        const world = await newWorld(store);
        const { eventIds } = await ingest(store, world, T0);
        const id = eventIds[0] ?? '';
        const [first] = await claim(store, T0 + 1);
        assert.ok(first !== undefined);
        await store.recordAttempts(
          [{ attempt: anAttempt(first.event, T0 + 10, { status: 'FAILED', responseStatus: null, errorCode: 'TIMEOUT' }), leaseToken: first.leaseToken, nextAttemptAt: T0 + 30_000 }],
          T0 + 11,
        );
        const scheduled = await mustGetEvent(store, world.teamId, id);
        assert.equal(scheduled.status, 'SCHEDULED');
        assert.equal(scheduled.nextAttemptAt, T0 + 30_000);
        assert.equal(scheduled.attempts, 1);
        assert.equal(scheduled.errorCode, 'TIMEOUT');
        assert.equal(scheduled.responseStatus, null);
        assert.equal(scheduled.lastAttemptAt, T0 + 10);
        assert.equal(await store.nextDueAt(), T0 + 30_000);
        assert.deepEqual(await claim(store, T0 + 29_999), []);

        const [second] = await claim(store, T0 + 30_000);
        assert.ok(second !== undefined);
        assert.equal(second.trigger, 'AUTOMATIC');
        assert.equal(second.dueAt, T0 + 30_000);
        assert.equal(second.event.status, 'SCHEDULED');
        await store.recordAttempts(
          [{ attempt: anAttempt(second.event, T0 + 30_010, { status: 'FAILED', responseStatus: 503, trigger: 'AUTOMATIC' }), leaseToken: second.leaseToken, nextAttemptAt: null }],
          T0 + 30_011,
        );
        const failed = await mustGetEvent(store, world.teamId, id);
        assert.equal(failed.status, 'FAILED');
        assert.equal(failed.nextAttemptAt, null);
        assert.equal(failed.attempts, 2);
        assert.equal(failed.responseStatus, 503);
        assert.equal(failed.errorCode, null);
        assert.equal(await store.nextDueAt(), null);
        assert.deepEqual(await claim(store, T0 + 10 * LEASE), []);
        const attempts = await store.listAttempts(world.teamId, { eventId: id }, pageOf());
        assert.deepEqual(attempts.models.map((a) => a.trigger), ['INITIAL', 'AUTOMATIC']);
      });
    });

    test('a failure under a lease that was lost changes only the counters', async () => {
      await withStore(open, async (store) => {
        const world = await newWorld(store);
        const { eventIds } = await ingest(store, world, T0);
        const id = eventIds[0] ?? '';
        const [stale] = await claim(store, T0 + 1);
        const [current] = await claim(store, T0 + 1 + LEASE); // the first lease ran out; another worker took it
        assert.ok(stale !== undefined && current !== undefined);
        await store.recordAttempts(
          [{ attempt: anAttempt(stale.event, T0 + LEASE + 5, { status: 'FAILED' }), leaseToken: stale.leaseToken, nextAttemptAt: T0 + 99 }],
          T0 + LEASE + 6,
        );
        const after = await mustGetEvent(store, world.teamId, id);
        assert.equal(after.status, 'QUEUED');
        assert.equal(after.attempts, 1);
        assert.equal(after.responseStatus, 500);
        assert.equal(after.nextAttemptAt, T0, 'schedule untouched');
        assert.equal(await store.nextDueAt(), T0 + 1 + 2 * LEASE, 'still leased by the current holder');

        await store.recordAttempts(
          [{ attempt: anAttempt(after, T0 + LEASE + 7, { status: 'FAILED' }), leaseToken: current.leaseToken, nextAttemptAt: T0 + 5 * LEASE }],
          T0 + LEASE + 8,
        );
        const rescheduled = await mustGetEvent(store, world.teamId, id);
        assert.equal(rescheduled.status, 'SCHEDULED');
        assert.equal(rescheduled.nextAttemptAt, T0 + 5 * LEASE);
        assert.equal(rescheduled.attempts, 2);
      });
    });

    test('manual attempts: a failure leaves the schedule as it was, a success ends the event', async () => {
      await withStore(open, async (store) => {
        const world = await newWorld(store);
        const { eventIds, request } = await ingest(store, world, T0);
        const id = eventIds[0] ?? '';
        const [claimed] = await claim(store, T0 + 1);
        assert.ok(claimed !== undefined);
        await store.recordAttempts([{ attempt: anAttempt(claimed.event, T0 + 2, { status: 'FAILED' }), leaseToken: claimed.leaseToken, nextAttemptAt: T0 + 50_000 }], T0 + 3);

        const manual = await store.loadForManualAttempt(world.teamId, id);
        assert.ok(manual !== null);
        assert.equal(manual.trigger, 'MANUAL');
        assert.deepEqual(manual.request, request);
        assert.deepEqual(manual.destination, world.destination);
        assert.deepEqual(manual.connection, world.connection);
        assert.equal(manual.sourceName, world.source.name);
        assert.equal(manual.event.status, 'SCHEDULED');
        assert.equal(await store.loadForManualAttempt((await newWorld(store)).teamId, id), null, 'scoped by team');

        await store.recordAttempts([{ attempt: anAttempt(manual.event, T0 + 10, { status: 'FAILED', responseStatus: 502, trigger: 'MANUAL' }), leaseToken: null, nextAttemptAt: T0 + 11 }], T0 + 10);
        const afterFailure = await mustGetEvent(store, world.teamId, id);
        assert.equal(afterFailure.status, 'SCHEDULED');
        assert.equal(afterFailure.nextAttemptAt, T0 + 50_000);
        assert.equal(afterFailure.attempts, 2);
        assert.equal(afterFailure.responseStatus, 502);
        assert.equal(await store.nextDueAt(), T0 + 50_000);

        await store.recordAttempts([{ attempt: anAttempt(afterFailure, T0 + 20, { status: 'SUCCESSFUL', trigger: 'MANUAL' }), leaseToken: null, nextAttemptAt: null }], T0 + 20);
        const succeeded = await mustGetEvent(store, world.teamId, id);
        assert.equal(succeeded.status, 'SUCCESSFUL');
        assert.equal(succeeded.nextAttemptAt, null);
        assert.equal(succeeded.successfulAt, T0 + 20);
        assert.equal(succeeded.attempts, 3);
        assert.deepEqual(await claim(store, T0 + 50_000), [], 'the pending retry is cancelled');
      });
    });

    test('a success is never undone by a late failure, and several results record together', async () => {
      await withStore(open, async (store) => {
        const world = await newWorld(store);
        const one = await ingest(store, world, T0);
        const two = await ingest(store, world, T0 + 1);
        const claimed = await claim(store, T0 + 2);
        const [c1, c2] = claimed;
        assert.ok(c1 !== undefined && c2 !== undefined);
        await store.recordAttempts(
          [
            { attempt: anAttempt(c1.event, T0 + 10, { status: 'SUCCESSFUL', trigger: 'MANUAL' }), leaseToken: null, nextAttemptAt: null },
            { attempt: anAttempt(c2.event, T0 + 10, { status: 'FAILED' }), leaseToken: c2.leaseToken, nextAttemptAt: null },
          ],
          T0 + 11,
        );
        // The claimed attempt of event one finishes late and fails: it still holds the lease it was given.
        await store.recordAttempts([{ attempt: anAttempt({ ...c1.event, attempts: 1 }, T0 + 12, { status: 'FAILED' }), leaseToken: c1.leaseToken, nextAttemptAt: T0 + 1000 }], T0 + 12);
        const first = await mustGetEvent(store, world.teamId, one.eventIds[0] ?? '');
        assert.equal(first.status, 'SUCCESSFUL');
        assert.equal(first.nextAttemptAt, null);
        assert.equal(first.successfulAt, T0 + 10);
        assert.equal(first.attempts, 2);
        assert.equal((await mustGetEvent(store, world.teamId, two.eventIds[0] ?? '')).status, 'FAILED');
        // Delivered again by hand: still successful since the first success.
        await store.recordAttempts([{ attempt: anAttempt(first, T0 + 20, { status: 'SUCCESSFUL', responseStatus: 201, trigger: 'MANUAL' }), leaseToken: null, nextAttemptAt: null }], T0 + 20);
        const again = await mustGetEvent(store, world.teamId, first.id);
        assert.equal(again.successfulAt, T0 + 10);
        assert.equal(again.responseStatus, 201);
        assert.equal(again.attempts, 3);
        assert.equal(await store.nextDueAt(), null);
        assert.equal((await store.listAttempts(world.teamId, {}, pageOf())).totalCount, 4);
      });
    });
  });

  describe('releaseClaims and nextDueAt', () => {
    test('a released claim is due again at once; a wrong token releases nothing', async () => {
      await withStore(open, async (store) => {
        const world = await newWorld(store);
        assert.equal(await store.nextDueAt(), null);
        const { eventIds } = await ingest(store, world, T0);
        const [claimed] = await claim(store, T0 + 1);
        assert.ok(claimed !== undefined);
        await store.releaseClaims([{ eventId: claimed.event.id, leaseToken: 'not-the-token' }]);
        assert.deepEqual(await claim(store, T0 + 2), []);
        assert.equal(await store.nextDueAt(), T0 + 1 + LEASE);

        const before = Date.now();
        await store.releaseClaims([{ eventId: claimed.event.id, leaseToken: claimed.leaseToken }]);
        const due = await store.nextDueAt();
        assert.ok(due !== null && due >= before && due <= Date.now(), 'due at the wall clock now');
        const again = await claim(store, Date.now());
        assert.deepEqual(ids(again), eventIds);
        assert.equal(again[0]?.trigger, 'INITIAL');
        // The old token is worthless now.
        await store.releaseClaims([{ eventId: claimed.event.id, leaseToken: claimed.leaseToken }]);
        assert.deepEqual(await claim(store, Date.now()), []);
      });
    });

    test('nextDueAt is the earliest due time of any pending or leased event', async () => {
      await withStore(open, async (store) => {
        const world = await newWorld(store);
        await ingest(store, world, T0 + 500);
        await ingest(store, world, T0 + 200);
        assert.equal(await store.nextDueAt(), T0 + 200);
        await claim(store, T0 + 300, { leaseMs: 1000 });
        assert.equal(await store.nextDueAt(), T0 + 500);
        await claim(store, T0 + 500, { leaseMs: 100 });
        assert.equal(await store.nextDueAt(), T0 + 600);
      });
    });
  });
}
