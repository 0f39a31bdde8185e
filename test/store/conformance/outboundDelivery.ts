/**
 * Conformance: the outbound face's delivery side — consecutive-failure counting, auto-disable (pending deliveries
 * held, `destination.disabled` published once, never to the destination itself), `delivery.exhausted` only when
 * the record really ends the delivery, the failure alerts' hook (`alertAt`), re-enabling; the delivery log (attempts, filters, cursors); Idempotency-Key
 * records; and retention of published events and keys.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { newId } from '../../../src/domain/ids.js';
import { newPublishedEvent } from '../../../src/domain/publishedEvent.js';
import type { EventRecord } from '../../../src/domain/model.js';
import type { AttemptResult, ClaimedEvent, GatewayStore, OutboundRecordEffects } from '../../../src/store/port.js';
import { anAttempt, mustGetEvent, newTeam, type OpenStore, pageOf, T0, withStore } from '../fixtures.js';
import { asGatewayStore, newEventDestination, prepareEvent, publish } from '../outboundFixtures.js';
import { claim } from './dispatch.js';

function withOutbound(open: OpenStore, fn: (store: GatewayStore) => Promise<void>): Promise<void> {
  return withStore(open, (store) => fn(asGatewayStore(store)));
}

function deliveryAttempt(event: Pick<EventRecord, 'id' | 'teamId' | 'destinationId' | 'attempts'>, at: number, status: 'SUCCESSFUL' | 'FAILED') {
  return { ...anAttempt(event, at, { status }), id: newId('deliveryAttempt', at) };
}

function result(c: ClaimedEvent, at: number, status: 'SUCCESSFUL' | 'FAILED', nextAttemptAt: number | null, outbound: OutboundRecordEffects): AttemptResult {
  return { attempt: deliveryAttempt(c.event, at, status), leaseToken: c.leaseToken, nextAttemptAt, outbound };
}

export function outboundDeliveryTests(open: OpenStore): void {
  describe('recording deliveries', () => {
    test('consecutive failures are counted per destination and reset by a success', async () => {
      await withOutbound(open, async (store) => {
        const teamId = await newTeam(store);
        const destination = await newEventDestination(store, teamId);
        const effects: OutboundRecordEffects = { autoDisableAfter: 0, onDisabled: null, onExhausted: null };
        for (let i = 0; i < 3; i++) await publish(store, teamId, 'a.b', T0 + i);
        const claimed = await claim(store, T0 + 10);
        assert.equal(claimed.length, 3);
        const [a, b, c] = claimed as [ClaimedEvent, ClaimedEvent, ClaimedEvent];
        await store.recordAttempts([result(a, T0 + 11, 'FAILED', T0 + 1000, effects), result(b, T0 + 11, 'FAILED', T0 + 1000, effects)], T0 + 11);
        assert.equal((await store.getEventDestination(teamId, destination.id))?.outbound?.consecutiveFailures, 2);
        await store.recordAttempts([result(c, T0 + 12, 'SUCCESSFUL', null, effects)], T0 + 12);
        assert.equal((await store.getEventDestination(teamId, destination.id))?.outbound?.consecutiveFailures, 0);
        assert.equal((await store.getEventDestination(teamId, destination.id))?.disabledAt, null, 'autoDisableAfter 0 never disables');
      });
    });

    test('at the limit the destination is disabled, its deliveries held, and destination.disabled published once', async () => {
      await withOutbound(open, async (store) => {
        const teamId = await newTeam(store);
        const failing = await newEventDestination(store, teamId, { subscription: ['a.*'] });
        const operator = await newEventDestination(store, teamId, { subscription: ['destination.*'] });
        for (let i = 0; i < 3; i++) await publish(store, teamId, 'a.b', T0 + i);
        const [first, second, third] = (await claim(store, T0 + 10, { limit: 2 })).concat(await claim(store, T0 + 10));
        assert.ok(first && second && third);
        const onDisabled = await prepareEvent(store, teamId, 'destination.disabled', T0 + 20, { origin: 'sluice', exclude: failing.id });
        assert.deepEqual(onDisabled.deliveries.map((d) => d.destinationId), [operator.id]);
        const effects: OutboundRecordEffects = { autoDisableAfter: 2, onDisabled, onExhausted: null };

        await store.recordAttempts([result(first, T0 + 20, 'FAILED', T0 + 5000, effects)], T0 + 20);
        assert.equal((await store.getEventDestination(teamId, failing.id))?.disabledAt, null, 'one failure is below the limit');
        await store.recordAttempts([result(second, T0 + 21, 'FAILED', T0 + 5000, { ...effects, onDisabled })], T0 + 21);
        const disabled = await store.getEventDestination(teamId, failing.id);
        assert.equal(disabled?.disabledAt, T0 + 21);
        assert.equal(disabled?.outbound?.consecutiveFailures, 2);
        for (const c of [first, second]) assert.equal((await mustGetEvent(store, teamId, c.event.id)).status, 'HOLD');
        assert.equal((await store.getPublishedEvent(teamId, onDisabled.event.eventId))?.eventType, 'destination.disabled');
        assert.deepEqual((await store.getPublishedEvent(teamId, onDisabled.event.eventId))?.origin, 'sluice');
        assert.deepEqual(await store.listOutboundRoutes(teamId).then((r) => r.map((x) => x.destinationId)), [operator.id]);

        // A further failure of the (still leased) third delivery neither disables again nor publishes again.
        const again = await prepareEvent(store, teamId, 'destination.disabled', T0 + 22, { origin: 'sluice', exclude: failing.id });
        await store.recordAttempts([result(third, T0 + 22, 'FAILED', T0 + 5000, { ...effects, onDisabled: again })], T0 + 22);
        assert.equal(await store.getPublishedEvent(teamId, again.event.eventId), null);
        assert.equal((await store.listPublishedEvents(teamId, { types: ['destination.disabled'] }, pageOf())).totalCount, 1);
        const [operatorDelivery] = (await claim(store, T0 + 30)).filter((c) => c.destination.id === operator.id);
        assert.equal(operatorDelivery?.request.published?.eventType, 'destination.disabled');

        // Enabling resets the count and queues the held deliveries again (trigger UNPAUSE).
        const enabled = await store.updateEventDestination(teamId, failing.id, { disabled: false }, T0 + 40);
        assert.equal(enabled?.disabledAt, null);
        assert.equal(enabled?.outbound?.consecutiveFailures, 0);
        const released = await claim(store, T0 + 40);
        assert.deepEqual(released.map((c) => c.event.id).sort(), [first.event.id, second.event.id, third.event.id].sort());
        assert.ok(released.every((c) => c.trigger === 'UNPAUSE'));
      });
    });

    test('alertAt sees each count of a streak once, its alert is published, the limit both alerts and disables, and a disabled destination never alerts', async () => {
      await withOutbound(open, async (store) => {
        const teamId = await newTeam(store);
        const failing = await newEventDestination(store, teamId, { subscription: ['a.*'] });
        await newEventDestination(store, teamId, { subscription: ['alert.*', 'destination.*'] });
        for (let i = 0; i < 4; i++) await publish(store, teamId, 'a.b', T0 + i);
        const [a, b, c, d] = (await claim(store, T0 + 10)) as [ClaimedEvent, ClaimedEvent, ClaimedEvent, ClaimedEvent];
        const seen: number[] = [];
        const alerts: string[] = [];
        const at = T0 + 20;
        const effects = async (): Promise<OutboundRecordEffects> => ({
          autoDisableAfter: 3,
          onDisabled: await prepareEvent(store, teamId, 'destination.disabled', at, { origin: 'sluice', exclude: failing.id }),
          onExhausted: null,
          alertAt: (count) => {
            seen.push(count);
            if (count === 2) return null; // the dispatcher's choice: no alert at this count
            const alert = newPublishedEvent(teamId, { type: 'alert.consecutive_failure', data: { count } }, 'sluice', at);
            alerts.push(alert.eventId);
            return { event: alert, deliveries: [] };
          },
        });
        await store.recordAttempts([result(a, at, 'FAILED', at + 5000, await effects()), result(b, at, 'FAILED', at + 5000, await effects())], at);
        await store.recordAttempts([result(c, at + 1, 'SUCCESSFUL', null, await effects())], at + 1);
        assert.deepEqual(seen, [1, 2], 'a success is not counted');
        const streak = await effects();
        await store.recordAttempts([result(d, at + 2, 'FAILED', at + 5000, streak)], at + 2);
        assert.deepEqual(seen, [1, 2, 1], 'the success reset the streak');
        assert.equal((await store.getEventDestination(teamId, failing.id))?.disabledAt, null);
        const published = await store.listPublishedEvents(teamId, { types: ['alert.consecutive_failure'] }, pageOf());
        assert.deepEqual(published.models.map((e) => e.eventId).sort(), [alerts[0], alerts[1]].sort(), 'the alerts at count 1 of each streak');

        // Up to the limit: the 3rd failure alerts, then disables; later failures are not offered to alertAt.
        const [retry] = (await claim(store, at + 5000)).filter((x) => x.event.id === d.event.id);
        assert.ok(retry);
        await store.recordAttempts([result(retry, at + 5001, 'FAILED', at + 9000, await effects())], at + 5001);
        const [again] = (await claim(store, at + 9000)).filter((x) => x.event.id === d.event.id);
        assert.ok(again);
        const last = await effects();
        await store.recordAttempts([result(again, at + 9001, 'FAILED', at + 20000, last)], at + 9001);
        assert.deepEqual(seen, [1, 2, 1, 2, 3]);
        assert.equal((await store.getEventDestination(teamId, failing.id))?.disabledAt, at + 9001);
        assert.ok(last.onDisabled !== null && (await store.getPublishedEvent(teamId, last.onDisabled.event.eventId)) !== null);
        assert.ok((await store.getPublishedEvent(teamId, alerts[2] ?? '')) !== null, 'the alert at the limit');
        await store.recordAttempts([{ ...result(again, at + 9002, 'FAILED', null, await effects()), leaseToken: null }], at + 9002);
        assert.deepEqual(seen, [1, 2, 1, 2, 3], 'a disabled destination raises no alert');
      });
    });

    test('410 Gone disables the destination at once, whatever the count, holds its deliveries, and publishes destination.disabled once', async () => {
      await withOutbound(open, async (store) => {
        const teamId = await newTeam(store);
        const gone = await newEventDestination(store, teamId, { subscription: ['a.*'] });
        const operator = await newEventDestination(store, teamId, { subscription: ['destination.*'] });
        for (let i = 0; i < 3; i++) await publish(store, teamId, 'a.b', T0 + i);
        const [first, second] = (await claim(store, T0 + 10, { limit: 2 })) as [ClaimedEvent, ClaimedEvent];
        const deliveries = async () => (await store.listDeliveries(teamId, gone.id, {}, pageOf())).models.map((v) => v.delivery);
        const onDisabled = await prepareEvent(store, teamId, 'destination.disabled', T0 + 20, { origin: 'sluice', exclude: gone.id });
        const noLimit: OutboundRecordEffects = { autoDisableAfter: 0, onDisabled: null, onExhausted: null };

        await store.recordAttempts([{ ...result(first, T0 + 20, 'FAILED', T0 + 5000, noLimit), gone: { onDisabled } }], T0 + 20);
        assert.equal((await store.getEventDestination(teamId, gone.id))?.disabledAt, T0 + 20, 'disabled by the first 410');
        assert.deepEqual(
          (await deliveries()).map((e) => e.status),
          ['HOLD', 'HOLD', 'HOLD'],
          'the answered, the in-flight and the queued deliveries are all held',
        );
        assert.equal((await store.getPublishedEvent(teamId, onDisabled.event.eventId))?.eventType, 'destination.disabled');
        const [operatorDelivery] = (await claim(store, T0 + 30)).filter((c) => c.destination.id === operator.id);
        assert.equal(operatorDelivery?.request.published?.eventType, 'destination.disabled', 'delivered to the operator destination');

        // The other 410 in flight at the time neither disables again nor publishes again.
        const again = await prepareEvent(store, teamId, 'destination.disabled', T0 + 21, { origin: 'sluice', exclude: gone.id });
        await store.recordAttempts([{ ...result(second, T0 + 21, 'FAILED', T0 + 5000, noLimit), gone: { onDisabled: again } }], T0 + 21);
        assert.equal(await store.getPublishedEvent(teamId, again.event.eventId), null);
        assert.equal((await store.getEventDestination(teamId, gone.id))?.disabledAt, T0 + 20);
      });
    });

    test('delivery.exhausted is published only when the record ends the delivery FAILED', async () => {
      await withOutbound(open, async (store) => {
        const teamId = await newTeam(store);
        await newEventDestination(store, teamId, { subscription: ['a.*'] });
        const operator = await newEventDestination(store, teamId, { subscription: ['delivery.exhausted'] });
        await publish(store, teamId, 'a.b', T0);
        await publish(store, teamId, 'a.c', T0);
        const [x, y] = (await claim(store, T0 + 1)) as [ClaimedEvent, ClaimedEvent];
        const exhausted = () => prepareEvent(store, teamId, 'delivery.exhausted', T0 + 2, { origin: 'sluice' });
        const none = { autoDisableAfter: 0, onDisabled: null };

        const retried = await exhausted();
        await store.recordAttempts([result(x, T0 + 2, 'FAILED', T0 + 100, { ...none, onExhausted: retried })], T0 + 2);
        assert.equal(await store.getPublishedEvent(teamId, retried.event.eventId), null, 'a retry follows: not exhausted');

        // y's lease was taken away (its destination disabled and enabled meanwhile): the record ends nothing.
        const stale = await exhausted();
        await store.recordAttempts([{ ...result(y, T0 + 3, 'FAILED', null, { ...none, onExhausted: stale }), leaseToken: 'not-the-lease' }], T0 + 3);
        assert.equal(await store.getPublishedEvent(teamId, stale.event.eventId), null, 'not held: not exhausted');

        const [retry] = (await claim(store, T0 + 100)).filter((c) => c.event.id === x.event.id);
        assert.ok(retry);
        const final = await exhausted();
        await store.recordAttempts([result(retry, T0 + 101, 'FAILED', null, { ...none, onExhausted: final })], T0 + 101);
        assert.equal((await mustGetEvent(store, teamId, x.event.id)).status, 'FAILED');
        assert.equal((await store.getPublishedEvent(teamId, final.event.eventId))?.eventType, 'delivery.exhausted');
        assert.equal((await store.listDeliveries(teamId, operator.id, {}, pageOf())).totalCount, 1);
      });
    });
  });

  describe('the delivery log', () => {
    test('deliveries with their attempts, filtered by status and event type, paged by cursor, scoped', async () => {
      await withOutbound(open, async (store) => {
        const teamId = await newTeam(store);
        const destination = await newEventDestination(store, teamId);
        const other = await newEventDestination(store, teamId);
        const a = await publish(store, teamId, 'task_run.completed', T0, { id: 'run-1' });
        await publish(store, teamId, 'credential.verified', T0 + 1);
        await publish(store, teamId, 'task_run.failed', T0 + 2);
        const claimed = (await claim(store, T0 + 10)).filter((c) => c.destination.id === destination.id);
        const [first] = claimed.filter((c) => c.event.requestId === a.event.messageId);
        assert.ok(first);
        const attempt = deliveryAttempt(first.event, T0 + 11, 'SUCCESSFUL');
        await store.recordAttempts([{ attempt, leaseToken: first.leaseToken, nextAttemptAt: null }], T0 + 11);

        const log = await store.listDeliveries(teamId, destination.id, {}, pageOf(10, 'desc'));
        assert.equal(log.totalCount, 3);
        assert.deepEqual(log.models.map((d) => d.eventType), ['task_run.failed', 'credential.verified', 'task_run.completed']);
        const done = log.models[2];
        assert.equal(done?.eventId, 'run-1');
        assert.equal(done?.delivery.status, 'SUCCESSFUL');
        assert.deepEqual(done?.attempts, [attempt]);
        assert.deepEqual(await store.getDelivery(teamId, destination.id, first.event.id), done);
        assert.equal(await store.getDelivery(teamId, other.id, first.event.id), null, 'another destination\'s delivery id');

        const types = async (filter: Parameters<GatewayStore['listDeliveries']>[2]) =>
          (await store.listDeliveries(teamId, destination.id, filter, pageOf(10, 'desc'))).models.map((d) => d.eventType);
        assert.deepEqual(await types({ status: ['SUCCESSFUL'] }), ['task_run.completed']);
        assert.deepEqual(await types({ status: ['QUEUED', 'SCHEDULED', 'HOLD'] }), ['task_run.failed', 'credential.verified']);
        assert.deepEqual(await types({ types: ['task_run.completed', 'task_run.failed'] }), ['task_run.failed', 'task_run.completed']);
        const page = await store.listDeliveries(teamId, destination.id, {}, pageOf(2, 'desc'));
        assert.ok(page.next !== null);
        const rest = await store.listDeliveries(teamId, destination.id, {}, { ...pageOf(2, 'desc'), after: page.next });
        assert.deepEqual(rest.models.map((d) => d.eventType), ['task_run.completed']);
        assert.equal(rest.next, null);
      });
    });
  });

  describe('Idempotency-Key records', () => {
    const windows = (now: number) => ({ expiredBefore: now - 86_400_000, abandonedBefore: now - 600_000 });

    test('new, in progress, replayed; another request with the key is a mismatch; keys are per team', async () => {
      await withOutbound(open, async (store) => {
        const teamId = await newTeam(store);
        const other = await newTeam(store);
        assert.deepEqual(await store.claimIdempotencyKey(teamId, 'k1', 'f1', T0, windows(T0)), { state: 'new' });
        assert.deepEqual(await store.claimIdempotencyKey(teamId, 'k1', 'f1', T0 + 1, windows(T0 + 1)), { state: 'in_progress' });
        assert.deepEqual(await store.claimIdempotencyKey(other, 'k1', 'f9', T0 + 1, windows(T0 + 1)), { state: 'new' });
        await store.completeIdempotencyKey(teamId, 'k1', 202, '{"ok":true}');
        assert.deepEqual(await store.claimIdempotencyKey(teamId, 'k1', 'f1', T0 + 2, windows(T0 + 2)), { state: 'replay', status: 202, response: '{"ok":true}' });
        assert.deepEqual(await store.claimIdempotencyKey(teamId, 'k1', 'f2', T0 + 2, windows(T0 + 2)), { state: 'mismatch' });
        const later = T0 + 86_400_001;
        assert.deepEqual(await store.claimIdempotencyKey(teamId, 'k1', 'f2', later, windows(later)), { state: 'new' }, 'expired after 24 h');
      });
    });

    test('a released or abandoned reservation can be claimed again; purge removes old keys', async () => {
      await withOutbound(open, async (store) => {
        const teamId = await newTeam(store);
        await store.claimIdempotencyKey(teamId, 'k', 'f', T0, windows(T0));
        await store.releaseIdempotencyKey(teamId, 'k');
        assert.deepEqual(await store.claimIdempotencyKey(teamId, 'k', 'g', T0 + 1, windows(T0 + 1)), { state: 'new' });
        const abandoned = T0 + 600_002;
        assert.deepEqual(await store.claimIdempotencyKey(teamId, 'k', 'h', abandoned, windows(abandoned)), { state: 'new' });
        await store.completeIdempotencyKey(teamId, 'k', 200, '{}');
        await store.releaseIdempotencyKey(teamId, 'k');
        assert.equal((await store.claimIdempotencyKey(teamId, 'k', 'h', abandoned + 1, windows(abandoned + 1))).state, 'replay', 'a completed key is not released');
        await store.claimIdempotencyKey(teamId, 'young', 'f', abandoned + 10, windows(abandoned + 10));
        assert.equal(await store.purgeIdempotencyKeys(abandoned + 5, 10), 1);
        assert.equal(await store.purgeIdempotencyKeys(abandoned + 5, 10), 0);
        assert.deepEqual(await store.claimIdempotencyKey(teamId, 'young', 'f', abandoned + 11, windows(abandoned + 11)), { state: 'in_progress' });
      });
    });
  });

  describe('retention', () => {
    test('purgeBefore deletes old published events with their deliveries and attempts, and keeps the rest', async () => {
      await withOutbound(open, async (store) => {
        const teamId = await newTeam(store);
        const destination = await newEventDestination(store, teamId);
        const old = await publish(store, teamId, 'a.b', T0, { id: 'old' });
        await publish(store, teamId, 'a.b', T0 + 10_000, { id: 'new' });
        const claimed = await claim(store, T0 + 20_000);
        await store.recordAttempts(
          claimed.map((c) => ({ attempt: deliveryAttempt(c.event, T0 + 20_001, 'SUCCESSFUL'), leaseToken: c.leaseToken, nextAttemptAt: null })),
          T0 + 20_001,
        );
        assert.equal(await store.purgeBefore(T0 + 5000, 10), 1);
        assert.equal(await store.getPublishedEvent(teamId, 'old'), null);
        assert.notEqual(await store.getPublishedEvent(teamId, 'new'), null);
        const log = await store.listDeliveries(teamId, destination.id, {}, pageOf());
        assert.deepEqual(log.models.map((d) => d.eventId), ['new']);
        assert.equal(log.models[0]?.attempts.length, 1);
        assert.equal(await store.getEvent(teamId, claimed.find((c) => c.event.requestId === old.event.messageId)?.event.id ?? ''), null);
        assert.notEqual(await store.getEventDestination(teamId, destination.id), null, 'destinations are not purged');
        assert.equal((await publish(store, teamId, 'a.b', T0 + 30_000)).destinationIds.length, 1, 'the platform source is kept');
      });
    });
  });
}
