/**
 * Conformance: what acting on routes and events does to the queue — pause/unpause, disable/enable (connection and
 * destination), mute, delete source/connection — plus the event filters of the Events API and retention.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { EventStatus } from '../../../src/domain/model.js';
import type { Store } from '../../../src/store/port.js';
import { addRoute, anAttempt, ingest, mustGetEvent, newTeam, newWorld, type OpenStore, pageOf, T0, withStore, type World } from '../fixtures.js';
import { claim } from './dispatch.js';

async function statuses(store: Store, teamId: string, ids: string[]): Promise<EventStatus[]> {
  return Promise.all(ids.map(async (id) => (await mustGetEvent(store, teamId, id)).status));
}

/** Three pending events (two QUEUED, one SCHEDULED) and one SUCCESSFUL on the world's connection. */
async function mixedEvents(store: Store, world: World): Promise<{ pending: string[]; done: string }> {
  const ids: string[] = [];
  for (let i = 0; i < 4; i++) ids.push(...(await ingest(store, world, T0 + i)).eventIds);
  const [a, b] = await claim(store, T0 + 1, { limit: 2 });
  assert.ok(a !== undefined && b !== undefined);
  await store.recordAttempts(
    [
      { attempt: anAttempt(a.event, T0 + 5, { status: 'SUCCESSFUL' }), leaseToken: a.leaseToken, nextAttemptAt: null },
      { attempt: anAttempt(b.event, T0 + 5, { status: 'FAILED' }), leaseToken: b.leaseToken, nextAttemptAt: T0 + 100 },
    ],
    T0 + 5,
  );
  return { pending: ids.slice(1), done: a.event.id };
}

export function lifecycleTests(open: OpenStore): void {
  describe('pause, disable and their undoing', () => {
    test('pausing holds pending events; unpausing queues them again with trigger UNPAUSE', async () => {
      await withStore(open, async (store) => {
        const world = await newWorld(store);
        const { teamId, connection } = world;
        const { pending, done } = await mixedEvents(store, world);
        assert.deepEqual(await statuses(store, teamId, pending), ['SCHEDULED', 'QUEUED', 'QUEUED']);

        const paused = await store.setConnectionPaused(teamId, connection.id, T0 + 10, T0 + 10);
        assert.deepEqual(paused, { ...connection, pausedAt: T0 + 10, updatedAt: T0 + 10 });
        assert.deepEqual(await statuses(store, teamId, pending), ['HOLD', 'HOLD', 'HOLD']);
        for (const id of pending) assert.equal((await mustGetEvent(store, teamId, id)).nextAttemptAt, null);
        assert.equal((await mustGetEvent(store, teamId, done)).status, 'SUCCESSFUL');
        assert.equal(await store.nextDueAt(), null);
        assert.deepEqual(await claim(store, T0 + 10 * 60_000), []);
        assert.deepEqual(await store.setConnectionPaused(teamId, connection.id, T0 + 11, T0 + 11), paused, 'pausing twice changes nothing');

        const whilePaused = await ingest(store, world, T0 + 12, { connections: [paused ?? connection] });
        const held = [...pending, ...whilePaused.eventIds];
        assert.deepEqual(await statuses(store, teamId, held), ['HOLD', 'HOLD', 'HOLD', 'HOLD']);

        const unpaused = await store.setConnectionPaused(teamId, connection.id, null, T0 + 20);
        assert.deepEqual(unpaused, { ...connection, pausedAt: null, updatedAt: T0 + 20 });
        assert.deepEqual(await statuses(store, teamId, held), ['QUEUED', 'QUEUED', 'QUEUED', 'QUEUED']);
        for (const id of held) assert.equal((await mustGetEvent(store, teamId, id)).nextAttemptAt, T0 + 20);
        assert.equal(await store.nextDueAt(), T0 + 20);
        assert.deepEqual(await store.setConnectionPaused(teamId, connection.id, null, T0 + 21), unpaused, 'unpausing twice changes nothing');
        const claimed = await claim(store, T0 + 20);
        assert.deepEqual(claimed.map((c) => c.event.id).sort(), [...held].sort());
        assert.ok(claimed.every((c) => c.trigger === 'UNPAUSE' && c.dueAt === T0 + 20));
      });
    });

    test('an attempt in flight while its connection is paused changes only the counters', async () => {
      await withStore(open, async (store) => {
        const world = await newWorld(store);
        const { eventIds } = await ingest(store, world, T0);
        const [claimed] = await claim(store, T0 + 1);
        assert.ok(claimed !== undefined);
        await store.setConnectionPaused(world.teamId, world.connection.id, T0 + 2, T0 + 2);
        await store.recordAttempts([{ attempt: anAttempt(claimed.event, T0 + 3, { status: 'FAILED' }), leaseToken: claimed.leaseToken, nextAttemptAt: T0 + 50 }], T0 + 3);
        const event = await mustGetEvent(store, world.teamId, eventIds[0] ?? '');
        assert.equal(event.status, 'HOLD');
        assert.equal(event.attempts, 1);
        assert.equal(event.nextAttemptAt, null);
        assert.equal(await store.nextDueAt(), null);
      });
    });

    test('disabling a connection holds its events; enabling it releases them unless it is still paused', async () => {
      await withStore(open, async (store) => {
        const world = await newWorld(store);
        const { teamId, connection } = world;
        const { pending } = await mixedEvents(store, world);
        const disabled = await store.setConnectionDisabled(teamId, connection.id, T0 + 10, T0 + 10);
        assert.equal(disabled?.disabledAt, T0 + 10);
        assert.deepEqual(await statuses(store, teamId, pending), ['HOLD', 'HOLD', 'HOLD']);
        assert.deepEqual(await store.setConnectionDisabled(teamId, connection.id, T0 + 11, T0 + 11), disabled);
        await store.setConnectionPaused(teamId, connection.id, T0 + 12, T0 + 12);
        await store.setConnectionDisabled(teamId, connection.id, null, T0 + 13);
        assert.deepEqual(await statuses(store, teamId, pending), ['HOLD', 'HOLD', 'HOLD'], 'still paused');
        await store.setConnectionPaused(teamId, connection.id, null, T0 + 14);
        assert.deepEqual(await statuses(store, teamId, pending), ['QUEUED', 'QUEUED', 'QUEUED']);
        assert.ok((await claim(store, T0 + 14)).every((c) => c.trigger === 'UNPAUSE'));
      });
    });

    test("disabling a destination holds every connection's events; enabling releases those of active connections", async () => {
      await withStore(open, async (store) => {
        const world = await newWorld(store);
        const { teamId, destination } = world;
        const sibling = await addRoute(store, world, destination); // a second connection to the same destination
        const elsewhere = await addRoute(store, world); // another destination: untouched
        const { eventIds } = await ingest(store, world, T0, { connections: [world.connection, sibling, elsewhere] });
        const [viaWorld, viaSibling, viaElsewhere] = eventIds;
        assert.ok(viaWorld !== undefined && viaSibling !== undefined && viaElsewhere !== undefined);

        await store.setDestinationDisabled(teamId, destination.id, T0 + 1, T0 + 1);
        assert.deepEqual(await statuses(store, teamId, eventIds), ['HOLD', 'HOLD', 'QUEUED']);
        await store.setConnectionPaused(teamId, sibling.id, T0 + 2, T0 + 2);
        await store.setConnectionPaused(teamId, world.connection.id, T0 + 2, T0 + 2);
        await store.setConnectionPaused(teamId, world.connection.id, null, T0 + 3);
        assert.deepEqual(await statuses(store, teamId, eventIds), ['HOLD', 'HOLD', 'QUEUED'], 'destination still disabled');

        await store.setDestinationDisabled(teamId, destination.id, null, T0 + 4);
        assert.deepEqual(await statuses(store, teamId, eventIds), ['QUEUED', 'HOLD', 'QUEUED'], 'the paused connection keeps its events held');
        const claimed = await claim(store, T0 + 4);
        assert.deepEqual(claimed.map((c) => [c.event.id, c.trigger]).sort(), [[viaElsewhere, 'INITIAL'], [viaWorld, 'UNPAUSE']].sort());
      });
    });
  });

  describe('mute and delete', () => {
    test('muting cancels a pending event, keeps a finished one, and is scoped by team', async () => {
      await withStore(open, async (store) => {
        const world = await newWorld(store);
        const { teamId } = world;
        const { pending, done } = await mixedEvents(store, world);
        const [scheduled, queued, untouched] = pending;
        assert.ok(scheduled !== undefined && queued !== undefined && untouched !== undefined);
        const [claimed] = await claim(store, T0 + 3, { limit: 1 });
        assert.ok(claimed !== undefined);
        assert.equal(claimed.event.id, queued);

        assert.equal(await store.muteEvent(await newTeam(store), scheduled, T0 + 10), null);
        const muted = await store.muteEvent(teamId, scheduled, T0 + 10);
        assert.equal(muted?.status, 'CANCELLED');
        assert.equal(muted?.nextAttemptAt, null);
        assert.equal(muted?.updatedAt, T0 + 10);
        assert.deepEqual(await mustGetEvent(store, teamId, scheduled), muted);

        // Muted while its attempt is in flight: the attempt's failure cannot schedule it again.
        assert.equal((await store.muteEvent(teamId, queued, T0 + 11))?.status, 'CANCELLED');
        await store.recordAttempts([{ attempt: anAttempt(claimed.event, T0 + 12, { status: 'FAILED' }), leaseToken: claimed.leaseToken, nextAttemptAt: T0 + 99 }], T0 + 12);
        assert.equal((await mustGetEvent(store, teamId, queued)).status, 'CANCELLED');

        const finished = await store.muteEvent(teamId, done, T0 + 13);
        assert.equal(finished?.status, 'SUCCESSFUL');
        assert.equal(finished?.nextAttemptAt, null);

        assert.deepEqual((await claim(store, T0 + 1000)).map((c) => c.event.id), [untouched]);
      });
    });

    test('deleting a connection cancels its pending and held events', async () => {
      await withStore(open, async (store) => {
        const world = await newWorld(store);
        const { teamId, connection } = world;
        const other = await addRoute(store, world);
        const { pending, done } = await mixedEvents(store, world);
        const otherEvents = (await ingest(store, world, T0 + 50, { connections: [other] })).eventIds;
        const paused = await store.setConnectionPaused(teamId, connection.id, T0 + 60, T0 + 60);
        assert.ok(paused !== null);
        const fresh = (await ingest(store, world, T0 + 61, { connections: [paused] })).eventIds; // held
        assert.equal(await store.deleteConnection(teamId, connection.id, T0 + 70), true);
        assert.deepEqual(await statuses(store, teamId, [...pending, ...fresh]), ['CANCELLED', 'CANCELLED', 'CANCELLED', 'CANCELLED']);
        assert.equal((await mustGetEvent(store, teamId, pending[0] ?? '')).nextAttemptAt, null);
        assert.equal((await mustGetEvent(store, teamId, done)).status, 'SUCCESSFUL');
        assert.deepEqual(await statuses(store, teamId, otherEvents), ['QUEUED']);
        assert.deepEqual((await claim(store, T0 + 1000)).map((c) => c.event.id), otherEvents);
      });
    });

    test('deleting a source deletes its connections and cancels their events', async () => {
      await withStore(open, async (store) => {
        const world = await newWorld(store);
        const { teamId, source } = world;
        const second = await addRoute(store, world);
        const { eventIds } = await ingest(store, world, T0, { connections: [world.connection, second] });
        const unrelated = await newWorld(store, { teamId });
        const kept = (await ingest(store, unrelated, T0)).eventIds;
        assert.equal(await store.deleteSource(teamId, source.id, T0 + 5), true);
        assert.equal(await store.getConnection(teamId, world.connection.id), null);
        assert.equal(await store.getConnection(teamId, second.id), null);
        assert.deepEqual(await statuses(store, teamId, eventIds), ['CANCELLED', 'CANCELLED']);
        assert.deepEqual((await claim(store, T0 + 1000)).map((c) => c.event.id), kept);
        assert.equal(await store.deleteDestination(teamId, world.destination.id), 'deleted', 'no connection uses it any more');
      });
    });
  });

  describe('event filters', () => {
    test('listEvents filters by status, source, destination, connection, request, response, error code and time', async () => {
      await withStore(open, async (store) => {
        const world = await newWorld(store);
        const { teamId } = world;
        const route = await addRoute(store, world);
        const otherWorld = await newWorld(store, { teamId });
        const r1 = await ingest(store, world, T0, { connections: [world.connection, route] });
        const r2 = await ingest(store, otherWorld, T0 + 100);
        const r3 = await ingest(store, world, T0 + 200);
        await ingest(store, await newWorld(store), T0 + 100); // another team
        const [e1a, e1b] = r1.eventIds;
        const [e2] = r2.eventIds;
        const [e3] = r3.eventIds;
        assert.ok(e1a !== undefined && e1b !== undefined && e2 !== undefined && e3 !== undefined);
        const claimed = await claim(store, T0 + 300);
        const byId = new Map(claimed.map((c) => [c.event.id, c]));
        const fail = (id: string, responseStatus: number | null, errorCode: 'TIMEOUT' | null, nextAttemptAt: number | null) => {
          const c = byId.get(id);
          assert.ok(c !== undefined);
          return { attempt: anAttempt(c.event, T0 + 301, { status: 'FAILED', responseStatus, errorCode }), leaseToken: c.leaseToken, nextAttemptAt };
        };
        await store.recordAttempts([fail(e1a, 500, null, T0 + 9000), fail(e1b, null, 'TIMEOUT', null), fail(e2, 404, null, null)], T0 + 302);

        const list = async (filter: Parameters<Store['listEvents']>[1]) =>
          (await store.listEvents(teamId, filter, pageOf())).models.map((e) => e.id).sort();
        const sorted = (...ids: string[]) => ids.sort();
        assert.deepEqual(await list({}), sorted(e1a, e1b, e2, e3));
        assert.deepEqual(await list({ status: ['FAILED'] }), sorted(e1b, e2));
        assert.deepEqual(await list({ status: ['SCHEDULED', 'QUEUED'] }), sorted(e1a, e3));
        assert.deepEqual(await list({ sourceId: world.source.id }), sorted(e1a, e1b, e3));
        assert.deepEqual(await list({ destinationId: route.destinationId }), [e1b]);
        assert.deepEqual(await list({ connectionId: world.connection.id }), sorted(e1a, e3));
        assert.deepEqual(await list({ requestId: r1.request.id }), sorted(e1a, e1b));
        assert.deepEqual(await list({ responseStatus: [404, 500] }), sorted(e1a, e2));
        assert.deepEqual(await list({ errorCode: ['TIMEOUT'] }), [e1b]);
        assert.deepEqual(await list({ createdAfter: T0 + 100 }), sorted(e2, e3), 'createdAfter is inclusive');
        assert.deepEqual(await list({ createdBefore: T0 + 200 }), sorted(e1a, e1b, e2), 'createdBefore is exclusive');
        assert.deepEqual(await list({ createdAfter: T0 + 1, createdBefore: T0 + 200, status: ['FAILED'] }), [e2]);
        assert.equal((await store.listEvents(teamId, { status: ['FAILED'] }, pageOf(1))).totalCount, 2);
        assert.equal(await store.getEvent(await newTeam(store), e1a), null);
        assert.equal((await store.listEvents(await newTeam(store), {}, pageOf())).totalCount, 0);
      });
    });
  });

  describe('retention', () => {
    test('purgeBefore deletes the oldest requests with their events and attempts, a batch at a time', async () => {
      await withStore(open, async (store) => {
        const world = await newWorld(store);
        const { teamId } = world;
        const route = await addRoute(store, world);
        const ingested = [];
        for (let i = 0; i < 5; i++) ingested.push(await ingest(store, world, T0 + i * 1000, { connections: [world.connection, route] }));
        const claimed = await claim(store, T0 + 10_000);
        await store.recordAttempts(
          claimed.map((c) => ({ attempt: anAttempt(c.event, T0 + 10_001, { status: 'FAILED' }), leaseToken: c.leaseToken, nextAttemptAt: null })),
          T0 + 10_001,
        );
        const attemptsOf = async (eventId: string) => (await store.listAttempts(teamId, { eventId }, pageOf())).totalCount;

        assert.equal(await store.purgeBefore(T0 + 3000, 2), 2);
        assert.equal(await store.purgeBefore(T0 + 3000, 2), 1);
        assert.equal(await store.purgeBefore(T0 + 3000, 2), 0);
        for (const [i, { request, eventIds }] of ingested.entries()) {
          const kept = i >= 3;
          assert.equal((await store.getRequest(teamId, request.id)) !== null, kept, `request ${i}`);
          for (const id of eventIds) {
            assert.equal((await store.getEvent(teamId, id)) !== null, kept, `event of request ${i}`);
            assert.equal(await attemptsOf(id), kept ? 1 : 0, `attempts of request ${i}`);
          }
        }
        assert.equal((await store.listAttempts(teamId, {}, pageOf())).totalCount, 4);
        assert.equal(await store.purgeBefore(T0 + 1_000_000, 100), 2);
        assert.equal((await store.listEvents(teamId, {}, pageOf())).totalCount, 0);
      });
    });
  });
}
