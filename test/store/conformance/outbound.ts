/**
 * Conformance: the outbound face's config objects and publishing — event destinations (create, get, list with
 * filters and cursors, update, delete, their own timeout), their invisibility to the inbound face's verbs, publishing (deliveries per
 * matching active destination, repeated ids, per-team ids), the published events list, and team isolation.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { newId } from '../../../src/domain/ids.js';
import { EVENT_DESTINATION_ENGINE_CONFIG, eventDestinationEngineConfig } from '../../../src/domain/model.js';
import type { GatewayStore, PageQuery } from '../../../src/store/port.js';
import { aDestination, newTeam, type OpenStore, pageOf, T0, withStore } from '../fixtures.js';
import { anEventDestination, asGatewayStore, newEventDestination, prepareEvent, publish } from '../outboundFixtures.js';
import { claim } from './dispatch.js';

function withOutbound(open: OpenStore, fn: (store: GatewayStore) => Promise<void>): Promise<void> {
  return withStore(open, (store) => fn(asGatewayStore(store)));
}

export function outboundTests(open: OpenStore): void {
  describe('event destinations', () => {
    test('create, get, update and delete, with the route created and removed alongside', async () => {
      await withOutbound(open, async (store) => {
        const teamId = await newTeam(store);
        const created = anEventDestination(teamId, { subscription: ['task_run.*'], name: 'Production Webhook' });
        await store.createEventDestination(created, { id: newId('subscription'), rules: [] });
        assert.deepEqual(await store.getEventDestination(teamId, created.id), created);
        const [route] = await store.listOutboundRoutes(teamId);
        assert.ok(route);
        assert.deepEqual({ ...route, connectionId: '' }, { destinationId: created.id, connectionId: '', subscription: ['task_run.*'] });

        const updated = await store.updateEventDestination(
          teamId,
          created.id,
          { displayName: 'Renamed', config: { url: 'https://example.test/v2' }, credentials: 'v1.other', subscription: ['*'] },
          T0 + 5,
        );
        assert.deepEqual(updated, {
          ...created,
          name: 'Renamed',
          updatedAt: T0 + 5,
          outbound: { ...created.outbound, displayName: 'Renamed', config: { url: 'https://example.test/v2' }, credentials: 'v1.other', subscription: ['*'] },
        });
        const partly = await store.updateEventDestination(teamId, created.id, { subscription: ['a.b'] }, T0 + 6);
        assert.equal(partly?.outbound?.displayName, 'Renamed', 'fields not in the patch are kept');
        assert.equal(partly?.outbound?.credentials, 'v1.other');
        assert.equal(await store.updateEventDestination(teamId, newId('eventDestination'), { displayName: 'x' }, T0), null);

        assert.equal(await store.deleteEventDestination(teamId, created.id, T0 + 7), true);
        assert.equal(await store.getEventDestination(teamId, created.id), null);
        assert.deepEqual(await store.listOutboundRoutes(teamId), []);
        assert.equal(await store.deleteEventDestination(teamId, created.id, T0 + 8), false);
      });
    });

    test("an event destination's own timeout: stored, kept by other patches, changed, and reset to the default", async () => {
      await withOutbound(open, async (store) => {
        const teamId = await newTeam(store);
        const plain = await newEventDestination(store, teamId);
        assert.deepEqual(plain.config, EVENT_DESTINATION_ENGINE_CONFIG, 'the gateway defaults');
        const own = { ...anEventDestination(teamId), config: eventDestinationEngineConfig(1500) };
        await store.createEventDestination(own, { id: newId('subscription'), rules: [] });
        assert.equal((await store.getEventDestination(teamId, own.id))?.config.timeout, 1500);
        assert.equal((await store.updateEventDestination(teamId, own.id, { displayName: 'x' }, T0 + 1))?.config.timeout, 1500);
        assert.equal((await store.updateEventDestination(teamId, own.id, { timeoutMs: 250 }, T0 + 2))?.config.timeout, 250);
        await publish(store, teamId, 'a.b', T0 + 4);
        const [delivery] = (await claim(store, T0 + 5)).filter((c) => c.destination.id === own.id);
        assert.equal(delivery?.destination.config.timeout, 250, 'the dispatcher sees it on the claimed delivery');
        assert.deepEqual((await store.updateEventDestination(teamId, own.id, { timeoutMs: null }, T0 + 6))?.config, EVENT_DESTINATION_ENGINE_CONFIG);
      });
    });

    test('names need not be unique, and never collide with the inbound face\'s destination names', async () => {
      await withOutbound(open, async (store) => {
        const teamId = await newTeam(store);
        await newEventDestination(store, teamId, { name: 'same' });
        await newEventDestination(store, teamId, { name: 'same' });
        await store.createDestination(aDestination(teamId, { name: 'same' }));
        assert.equal((await store.listEventDestinations(teamId, {}, pageOf())).totalCount, 2);
      });
    });

    test('list: newest first by default, filters by type and status, pages by cursor', async () => {
      await withOutbound(open, async (store) => {
        const teamId = await newTeam(store);
        const a = await newEventDestination(store, teamId, {}, T0);
        const b = await newEventDestination(store, teamId, { type: 'aws_sqs' }, T0 + 1);
        const c = await newEventDestination(store, teamId, { disabledAt: T0 + 2 }, T0 + 2);
        const ids = async (filter: Parameters<GatewayStore['listEventDestinations']>[1], page: PageQuery = pageOf(10, 'desc')) =>
          (await store.listEventDestinations(teamId, filter, page)).models.map((d) => d.id);
        assert.deepEqual(await ids({}), [c.id, b.id, a.id]);
        assert.deepEqual(await ids({ type: ['aws_sqs'] }), [b.id]);
        assert.deepEqual(await ids({ status: 'inactive' }), [c.id]);
        assert.deepEqual(await ids({ status: 'active' }), [b.id, a.id]);
        const first = await store.listEventDestinations(teamId, {}, pageOf(2, 'desc'));
        assert.equal(first.next, b.id);
        assert.deepEqual(await ids({}, { ...pageOf(2, 'desc'), after: b.id }), [a.id]);
        assert.deepEqual(
          (await store.listOutboundRoutes(teamId)).map((r) => r.destinationId),
          [a.id, b.id],
          'publishing matches active destinations only',
        );
      });
    });

    test("the inbound face's verbs never show the outbound face's objects", async () => {
      await withOutbound(open, async (store) => {
        const teamId = await newTeam(store);
        const destination = await newEventDestination(store, teamId);
        const { destinationIds } = await publish(store, teamId, 'a.b', T0 + 1);
        assert.deepEqual(destinationIds, [destination.id]);
        const [claimed] = await claim(store, T0 + 2);
        assert.ok(claimed);
        assert.equal((await store.listSources(teamId, pageOf(), {})).totalCount, 0);
        assert.equal((await store.listDestinations(teamId, pageOf(), {})).totalCount, 0);
        assert.equal((await store.listConnections(teamId, pageOf(), {})).totalCount, 0);
        assert.equal(await store.getDestination(teamId, destination.id), null);
        assert.equal(await store.getSource(teamId, claimed.event.sourceId), null, 'the platform source');
        assert.equal(await store.getSourceForIngest(claimed.event.sourceId), null, 'nothing can be sent to the platform source');
        assert.equal(await store.getConnection(teamId, claimed.event.connectionId), null, 'the route');
        assert.equal(await store.getConnectionForIngest(claimed.event.connectionId), null);
        await store.recordAttempts(
          [{ attempt: { ...attemptOf(claimed.event, T0 + 3), id: newId('deliveryAttempt', T0 + 3) }, leaseToken: claimed.leaseToken, nextAttemptAt: null }],
          T0 + 3,
        );
        assert.equal((await store.listRequests(teamId, {}, pageOf())).totalCount, 0);
        assert.equal((await store.listEvents(teamId, {}, pageOf())).totalCount, 0);
        assert.equal((await store.listAttempts(teamId, {}, pageOf())).totalCount, 0);
        assert.equal(await store.deleteDestination(teamId, destination.id), 'not_found');
        assert.equal(await store.setDestinationDisabled(teamId, destination.id, T0, T0), null);
      });
    });

    test('another team sees and changes none of them', async () => {
      await withOutbound(open, async (store) => {
        const teamId = await newTeam(store);
        const other = await newTeam(store);
        const destination = await newEventDestination(store, teamId);
        const { event } = await publish(store, teamId, 'a.b', T0 + 1, { id: 'order-1' });
        assert.equal(await store.getEventDestination(other, destination.id), null);
        assert.equal((await store.listEventDestinations(other, {}, pageOf())).totalCount, 0);
        assert.equal(await store.updateEventDestination(other, destination.id, { displayName: 'mine', disabled: true }, T0 + 2), null);
        assert.equal(await store.deleteEventDestination(other, destination.id, T0 + 2), false);
        assert.deepEqual(await store.listOutboundRoutes(other), []);
        assert.equal(await store.getPublishedEvent(other, 'order-1'), null);
        assert.equal((await store.listPublishedEvents(other, {}, pageOf())).totalCount, 0);
        assert.equal((await store.listDeliveries(other, destination.id, {}, pageOf())).totalCount, 0);

        // Another team's routes cannot be used to deliver its events, and its ids are its own.
        const stolen = await prepareEvent(store, teamId, 'a.b', T0 + 3);
        const foreign = await store.acceptEvent({ event: { ...stolen.event, teamId: other }, deliveries: stolen.deliveries });
        assert.deepEqual(foreign.destinationIds, []);
        const same = await publish(store, other, 'a.b', T0 + 4, { id: 'order-1' });
        assert.equal(same.created, true, 'ids are per team');
        assert.deepEqual(await store.getPublishedEvent(teamId, 'order-1'), event);
        assert.equal((await store.getEventDestination(teamId, destination.id))?.name, destination.name);
      });
    });
  });

  describe('publishing', () => {
    test('stores the event and one queued delivery per matching active destination, in one call', async () => {
      await withOutbound(open, async (store) => {
        const teamId = await newTeam(store);
        const all = await newEventDestination(store, teamId, { subscription: ['*'] });
        const exact = await newEventDestination(store, teamId, { subscription: ['task_run.completed'] });
        const prefix = await newEventDestination(store, teamId, { subscription: ['task_run.*'] });
        await newEventDestination(store, teamId, { subscription: ['credential.verified'] });
        await newEventDestination(store, teamId, { subscription: ['*'], disabledAt: T0 });

        const accepted = await publish(store, teamId, 'task_run.completed', T0 + 10);
        assert.equal(accepted.created, true);
        assert.deepEqual([...accepted.destinationIds].sort(), [all.id, exact.id, prefix.id].sort());
        assert.deepEqual(await store.getPublishedEvent(teamId, accepted.event.eventId), accepted.prepared.event);

        const claimed = await claim(store, T0 + 10);
        assert.equal(claimed.length, 3);
        for (const c of claimed) {
          assert.equal(c.trigger, 'INITIAL');
          assert.equal(c.dueAt, T0 + 10);
          assert.equal(c.event.requestId, accepted.event.messageId);
          assert.ok(c.event.id.startsWith('dlv_'));
          assert.ok(c.destination.outbound !== undefined, 'the claim carries the event destination');
          assert.deepEqual(c.request.published, { eventId: accepted.event.eventId, eventType: 'task_run.completed', origin: 'api' });
          assert.deepEqual(c.request.body, accepted.event.body, 'the body is the event JSON, stored once');
        }
      });
    });

    test('a repeated id stores nothing and answers the stored event with its destinations', async () => {
      await withOutbound(open, async (store) => {
        const teamId = await newTeam(store);
        const destination = await newEventDestination(store, teamId);
        const first = await publish(store, teamId, 'a.b', T0, { id: 'evt-ext-1' });
        const again = await publish(store, teamId, 'a.c', T0 + 5, { id: 'evt-ext-1' });
        assert.equal(again.created, false);
        assert.deepEqual(again.event, first.event);
        assert.deepEqual(again.destinationIds, [destination.id]);
        assert.equal((await store.listPublishedEvents(teamId, {}, pageOf())).totalCount, 1);
        assert.equal((await claim(store, T0 + 10)).length, 1, 'delivered once');
      });
    });

    test('a delivery whose destination was disabled or deleted after matching is left out', async () => {
      await withOutbound(open, async (store) => {
        const teamId = await newTeam(store);
        const kept = await newEventDestination(store, teamId);
        const disabled = await newEventDestination(store, teamId);
        const deleted = await newEventDestination(store, teamId);
        const prepared = await prepareEvent(store, teamId, 'a.b', T0 + 1);
        assert.equal(prepared.deliveries.length, 3);
        await store.updateEventDestination(teamId, disabled.id, { disabled: true }, T0 + 2);
        await store.deleteEventDestination(teamId, deleted.id, T0 + 2);
        const accepted = await store.acceptEvent(prepared);
        assert.deepEqual(accepted.destinationIds, [kept.id]);
        assert.equal((await store.listDeliveries(teamId, disabled.id, {}, pageOf())).totalCount, 0);
      });
    });

    test('published events: newest first, filtered by type and time, paged by cursor', async () => {
      await withOutbound(open, async (store) => {
        const teamId = await newTeam(store);
        const events = [];
        for (const [i, type] of ['a.one', 'b.two', 'a.one', 'c.three'].entries()) events.push((await publish(store, teamId, type, T0 + i * 1000)).event);
        const list = async (filter: Parameters<GatewayStore['listPublishedEvents']>[1], page: PageQuery = pageOf(10, 'desc')) =>
          (await store.listPublishedEvents(teamId, filter, page)).models.map((e) => e.eventId);
        const ids = events.map((e) => e.eventId);
        assert.deepEqual(await list({}), [...ids].reverse());
        assert.deepEqual(await list({ types: ['a.one'] }), [ids[2], ids[0]]);
        assert.deepEqual(await list({ types: ['a.one', 'c.three'] }), [ids[3], ids[2], ids[0]]);
        assert.deepEqual(await list({ createdAfter: T0 + 1000, createdBefore: T0 + 3000 }), [ids[2], ids[1]]);
        const page = await store.listPublishedEvents(teamId, {}, pageOf(3, 'desc'));
        assert.equal(page.next, events[1]?.messageId, 'cursors are message ids');
        assert.deepEqual(await list({}, { ...pageOf(3, 'desc'), after: page.next ?? '' }), [ids[0]]);
      });
    });
  });
}

function attemptOf(event: { id: string; teamId: string; destinationId: string }, at: number) {
  return {
    id: newId('attempt', at), teamId: event.teamId, eventId: event.id, destinationId: event.destinationId, attemptNumber: 1,
    trigger: 'INITIAL' as const, status: 'SUCCESSFUL' as const, responseStatus: 200, errorCode: null, body: 'ok',
    requestedUrl: 'https://example.test/hook', httpMethod: 'POST', deliveryLatency: 1, responseLatency: 1, successfulAt: at, createdAt: at, updatedAt: at,
  };
}

