/**
 * Conformance: acceptRequest. The request is stored exactly as received (bytes of the body included), its events
 * start QUEUED (due at once) or HOLD (paused connection), many concurrent calls all commit, one bad call fails
 * alone, and what was acknowledged is still there after the store is reopened.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { newId } from '../../../src/domain/ids.js';
import type { RequestRecord } from '../../../src/domain/model.js';
import type { Store } from '../../../src/store/port.js';
import { addRoute, aRequest, ingest, mustGetEvent, newTeam, newWorld, type OpenStore, pageOf, T0, withStore, type World } from '../fixtures.js';

const CONCURRENT = 500;

async function acceptMany(store: Store, world: World, count: number): Promise<RequestRecord[]> {
  const requests = Array.from({ length: count }, (_, i) => {
    const at = T0 + i;
    const eventId = newId('event', at);
    return { request: aRequest(world, at, [eventId], { body: Buffer.from(`{"n":${i}}`) }), eventId };
  });
  await Promise.all(
    requests.map(({ request, eventId }) =>
      store.acceptRequest(request, [{ id: eventId, connectionId: world.connection.id, destinationId: world.destination.id, status: 'QUEUED' }]),
    ),
  );
  return requests.map((r) => r.request);
}

async function assertAllStored(store: Store, world: World, requests: RequestRecord[]): Promise<void> {
  assert.equal((await store.listRequests(world.teamId, {}, pageOf(1))).totalCount, requests.length);
  assert.equal((await store.listEvents(world.teamId, {}, pageOf(1))).totalCount, requests.length);
  for (const request of requests) {
    assert.deepEqual(await store.getRequest(world.teamId, request.id), request);
  }
}

export function ingestTests(open: OpenStore): void {
  describe('acceptRequest', () => {
    test('stores the request as received and its events as due at once', async () => {
      await withStore(open, async (store) => {
        const world = await newWorld(store);
        const second = await addRoute(store, world);
        const body = Buffer.from([0x00, 0xff, 0x7b, 0x0a, 0xc3, 0x28]); // not UTF-8, not JSON: bytes must survive
        const { request, eventIds } = await ingest(store, world, T0 + 7, { connections: [world.connection, second], body });
        const stored = await store.getRequest(world.teamId, request.id);
        assert.deepEqual(stored, request);
        assert.ok(stored !== null && Buffer.isBuffer(stored.body));
        assert.equal(stored.body.equals(body), true);
        assert.equal(await store.getRequest(await newTeam(store), request.id), null);

        const [firstId, secondId] = eventIds;
        assert.ok(firstId !== undefined && secondId !== undefined);
        assert.deepEqual(await store.getEvent(world.teamId, firstId), {
          id: firstId,
          teamId: world.teamId,
          requestId: request.id,
          connectionId: world.connection.id,
          sourceId: world.source.id,
          destinationId: world.destination.id,
          duplicateEventId: null,
          status: 'QUEUED',
          attempts: 0,
          responseStatus: null,
          errorCode: null,
          lastAttemptAt: null,
          nextAttemptAt: T0 + 7,
          successfulAt: null,
          createdAt: T0 + 7,
          updatedAt: T0 + 7,
        });
        const secondEvent = await mustGetEvent(store, world.teamId, secondId);
        assert.equal(secondEvent.connectionId, second.id);
        assert.equal(secondEvent.destinationId, second.destinationId);
        const byRequest = await store.listEvents(world.teamId, { requestId: request.id }, pageOf());
        assert.deepEqual(byRequest.models.map((e) => e.id).sort(), [...eventIds].sort());
        assert.equal(await store.nextDueAt(), T0 + 7);
      });
    });

    test('events of a paused connection are held; a rejected request is stored without events', async () => {
      await withStore(open, async (store) => {
        const world = await newWorld(store);
        const paused = await store.setConnectionPaused(world.teamId, world.connection.id, T0, T0);
        assert.ok(paused !== null);
        const { eventIds } = await ingest(store, world, T0 + 1, { connections: [paused] });
        const held = await mustGetEvent(store, world.teamId, eventIds[0] ?? '');
        assert.equal(held.status, 'HOLD');
        assert.equal(held.nextAttemptAt, null);
        assert.equal(await store.nextDueAt(), null);

        const rejected = aRequest(world, T0 + 2, [], { rejectionCause: 'SOURCE_DISABLED', bodyIsJson: false, body: Buffer.alloc(0) });
        await store.acceptRequest(rejected, []);
        assert.deepEqual(await store.getRequest(world.teamId, rejected.id), rejected);
        const list = await store.listRequests(world.teamId, { rejectionCause: ['SOURCE_DISABLED', 'NO_CONNECTION'] }, pageOf());
        assert.deepEqual(list.models.map((r) => r.id), [rejected.id]);
        assert.equal((await store.listRequests(world.teamId, { sourceId: world.source.id }, pageOf())).totalCount, 2);
      });
    });

    test('a delayed event is SCHEDULED at its due time; ignored connections are kept on the request, across a reopen', async () => {
      await withStore(open, async (store, harness) => {
        const world = await newWorld(store);
        const filtered = await addRoute(store, world);
        const eventId = newId('event', T0);
        const request: RequestRecord = { ...aRequest(world, T0, [eventId]), ignored: [{ connectionId: filtered.id, cause: 'FILTERED' }] };
        const delayed = { id: eventId, connectionId: world.connection.id, destinationId: world.destination.id, status: 'QUEUED' as const, dueAt: T0 + 60_000 };
        await store.acceptRequest(request, [delayed]);
        const check = async (s: Store) => {
          assert.deepEqual(await s.getRequest(world.teamId, request.id), request);
          const event = await mustGetEvent(s, world.teamId, eventId);
          assert.equal(event.status, 'SCHEDULED');
          assert.equal(event.nextAttemptAt, T0 + 60_000);
          assert.equal(await s.nextDueAt(), T0 + 60_000);
          assert.deepEqual(await s.claimDue({ now: T0 + 59_999, leaseMs: 30_000, limit: 10, inFlight: new Map(), defaultConcurrency: 10 }), []);
        };
        await check(store);
        const plain = aRequest(world, T0 + 1, []);
        await store.acceptRequest(plain, []);
        assert.equal((await store.getRequest(world.teamId, plain.id))?.ignored, undefined, 'none ignored: the field is absent');
        let current = store;
        if (harness.reopen !== undefined) {
          await store.close();
          current = await harness.reopen();
          await check(current);
        }
        const [claimed] = await current.claimDue({ now: T0 + 60_000, leaseMs: 30_000, limit: 10, inFlight: new Map(), defaultConcurrency: 10 });
        assert.equal(claimed?.event.id, eventId);
        assert.equal(claimed?.trigger, 'INITIAL');
      });
    });

    test('deduplicate claims: a live key makes no event (ignored, DEDUPLICATED, with the original), an expired one does; across a reopen', async () => {
      await withStore(open, async (store, harness) => {
        const world = await newWorld(store);
        const other = await addRoute(store, world);
        const accept = (s: Store, at: number, key: string, connections = [world.connection]) => {
          const events = connections.map((c) => ({ id: newId('event', at), connectionId: c.id, destinationId: c.destinationId, status: 'QUEUED' as const, dedup: { key, expiresAt: at + 10_000 } }));
          const request = aRequest(world, at, events.map((e) => e.id));
          return { request, events, accepted: s.acceptRequest(request, events) };
        };
        const first = accept(store, T0, 'k1', [world.connection, other]);
        assert.deepEqual(await first.accepted, { eventIds: first.request.eventIds, ignored: [] });
        const [originalId] = first.request.eventIds;
        const repeat = accept(store, T0 + 9_999, 'k1');
        assert.deepEqual(await repeat.accepted, { eventIds: [], ignored: [{ connectionId: world.connection.id, cause: 'DEDUPLICATED', duplicateOf: originalId }] });
        const stored = await store.getRequest(world.teamId, repeat.request.id);
        assert.deepEqual(stored?.eventIds, []);
        assert.deepEqual(stored?.ignored, [{ connectionId: world.connection.id, cause: 'DEDUPLICATED', duplicateOf: originalId }]);
        assert.equal(await store.getEvent(world.teamId, repeat.request.eventIds[0] ?? ''), null, 'no event was made');
        assert.equal((await accept(store, T0 + 9_999, 'k2').accepted).eventIds.length, 1, 'another key is no repeat');

        let current = store;
        if (harness.reopen !== undefined) {
          await store.close();
          current = await harness.reopen();
        }
        assert.equal((await accept(current, T0 + 9_999, 'k1', [other]).accepted).ignored[0]?.cause, 'DEDUPLICATED', 'the key outlives a restart');
        const later = accept(current, T0 + 10_000, 'k1');
        assert.deepEqual((await later.accepted).eventIds, later.request.eventIds, 'an expired key is claimed again');
        assert.equal((await accept(current, T0 + 10_001, 'k1').accepted).ignored[0]?.duplicateOf, later.request.eventIds[0]);
        const racing = Array.from({ length: 20 }, (_, i) => accept(current, T0 + 30_000 + i, 'k3'));
        const outcomes = await Promise.all(racing.map((r) => r.accepted));
        assert.equal(outcomes.filter((o) => o.eventIds.length === 1).length, 1, 'of concurrent repeats, exactly one makes an event');
      });
    });

    test('purgeDedupKeys deletes expired keys in bounded batches, earliest first, and never a live one', async () => {
      await withStore(open, async (store) => {
        const world = await newWorld(store);
        const accept = async (at: number, key: string, windowMs: number) => {
          const events = [{ id: newId('event', at), connectionId: world.connection.id, destinationId: world.destination.id, status: 'QUEUED' as const, dedup: { key, expiresAt: at + windowMs } }];
          return store.acceptRequest(aRequest(world, at, events.map((e) => e.id)), events);
        };
        for (let i = 0; i < 5; i += 1) await accept(T0 + i, `short-${i}`, 10_000); // expire at T0 + 10,000 … 10,004
        for (let i = 0; i < 2; i += 1) await accept(T0 + i, `long-${i}`, 50_000);
        assert.equal(await store.purgeDedupKeys(T0 + 9_999, 10), 0, 'nothing expired yet');
        assert.equal(await store.purgeDedupKeys(T0 + 10_004, 2), 2, 'one batch');
        assert.equal(await store.purgeDedupKeys(T0 + 10_004, 2), 2);
        assert.equal(await store.purgeDedupKeys(T0 + 10_004, 2), 1);
        assert.equal(await store.purgeDedupKeys(T0 + 10_004, 2), 0);
        assert.equal((await accept(T0 + 20_000, 'long-0', 50_000)).ignored[0]?.cause, 'DEDUPLICATED', 'a live key still deduplicates');
        assert.equal((await accept(T0 + 20_000, 'short-0', 10_000)).eventIds.length, 1, 'a purged key is claimed anew');
        assert.equal(await store.purgeDedupKeys(T0 + 50_001, 0), 0, 'a batch of 0 deletes nothing');
        assert.equal(await store.purgeDedupKeys(T0 + 50_001, 10), 3);
      });
    });

    test('the status is settled at commit from the connection as it is then, not as the caller last read it', async () => {
      await withStore(open, async (store) => {
        const world = await newWorld(store);
        const stale = world.connection; // read before the pause below, as an ingest racing a pause would have
        await store.setConnectionPaused(world.teamId, stale.id, T0, T0);
        const held = await ingest(store, world, T0 + 1, { connections: [stale] }); // asks for QUEUED
        assert.equal((await mustGetEvent(store, world.teamId, held.eventIds[0] ?? '')).status, 'HOLD');
        const paused = await store.getConnection(world.teamId, stale.id);
        await store.setConnectionPaused(world.teamId, stale.id, null, T0 + 2);
        assert.ok(paused !== null);
        const queued = await ingest(store, world, T0 + 3, { connections: [paused] }); // asks for HOLD
        const event = await mustGetEvent(store, world.teamId, queued.eventIds[0] ?? '');
        assert.equal(event.status, 'QUEUED');
        assert.equal(event.nextAttemptAt, T0 + 3);
      });
    });

    test(`${CONCURRENT} concurrent calls all commit, and survive closing and reopening the store`, async () => {
      await withStore(open, async (store, harness) => {
        const world = await newWorld(store);
        const requests = await acceptMany(store, world, CONCURRENT);
        await assertAllStored(store, world, requests);
        if (harness.reopen === undefined) return;
        await store.close();
        const again = await harness.reopen();
        await assertAllStored(again, world, requests);
        const event = (await again.listEvents(world.teamId, {}, pageOf(1, 'asc'))).models[0];
        assert.equal(event?.status, 'QUEUED');
        assert.equal(await again.nextDueAt(), T0);
      });
    });

    test('one failing call among concurrent ones fails alone', async () => {
      await withStore(open, async (store) => {
        const world = await newWorld(store);
        const { request: existing } = await ingest(store, world, T0);
        const good = Array.from({ length: 20 }, (_, i) => aRequest(world, T0 + 1 + i, []));
        const duplicate = { ...existing, eventIds: [] };
        const results = await Promise.allSettled([...good.slice(0, 10), duplicate, ...good.slice(10)].map((r) => store.acceptRequest(r, [])));
        assert.equal(results.filter((r) => r.status === 'rejected').length, 1);
        assert.equal(results[10]?.status, 'rejected');
        for (const request of good) assert.deepEqual(await store.getRequest(world.teamId, request.id), request);
        assert.deepEqual(await store.getRequest(world.teamId, existing.id), existing);
      });
    });

    test('a call that fails part-way leaves nothing behind, and the calls around it commit', async () => {
      await withStore(open, async (store) => {
        const world = await newWorld(store);
        const { request: owner, eventIds: taken } = await ingest(store, world, T0);
        const takenId = taken[0] ?? '';
        const fresh = newId('event', T0 + 1);
        // Its request and first event are fine; its second event reuses an id, so the whole call must fail.
        const bad = aRequest(world, T0 + 1, [fresh, takenId]);
        const route = { connectionId: world.connection.id, destinationId: world.destination.id, status: 'QUEUED' as const };
        const before = aRequest(world, T0 + 2, []);
        const after = aRequest(world, T0 + 3, []);
        const results = await Promise.allSettled([
          store.acceptRequest(before, []),
          store.acceptRequest(bad, [{ id: fresh, ...route }, { id: takenId, ...route }]),
          store.acceptRequest(after, []),
        ]);
        assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
        assert.equal(await store.getRequest(world.teamId, bad.id), null);
        assert.equal(await store.getEvent(world.teamId, fresh), null);
        assert.equal((await mustGetEvent(store, world.teamId, takenId)).requestId, owner.id);
        assert.deepEqual(await store.getRequest(world.teamId, before.id), before);
        assert.deepEqual(await store.getRequest(world.teamId, after.id), after);
      });
    });
  });
}
