/**
 * The dispatcher's outbound side against the real SQLite store, with a recording destination type standing in for
 * the catalog: what a publisher gets (the stored event JSON, metadata, attempt number, decrypted credentials, the
 * config), one publisher per type reused, permanent outcomes failing at once, a throwing publisher recorded as a
 * failure, undecryptable credentials and unknown types failing permanently, and `forgetDestination` evicting.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { newId } from '../../src/domain/ids.js';
import { EVENT_DESTINATION_ENGINE_CONFIG, eventDestinationSecretBinding, type Destination } from '../../src/domain/model.js';
import { encryptSecret, makeKeyring } from '../../src/domain/secretBox.js';
import { createPublisherRegistry } from '../../src/destinations/registry.js';
import type { DestinationType, OutboundMessage, PublishOutcome, TypedPublisher } from '../../src/destinations/types.js';
import { Dispatcher } from '../../src/dispatch/dispatcher.js';
import { silentLogger } from '../../src/dispatch/logger.js';
import { OutboundDelivery } from '../../src/dispatch/outbound.js';
import { EventPublisher } from '../../src/publish/eventPublisher.js';
import { RouteCache } from '../../src/publish/routeCache.js';
import { openTestStore, SIGNING_SECRET, testConfig, waitForEvent, type TestStore } from './fixtures.js';

interface Sent {
  message: OutboundMessage;
  destinationId: string;
  config: unknown;
  credentials: unknown;
}

/** A destination type whose publisher records what it is given and answers what the test says. */
function recordingType(name: string) {
  const sent: Sent[] = [];
  const evicted: string[] = [];
  let created = 0;
  let answer: (message: OutboundMessage) => PublishOutcome | Promise<PublishOutcome> = () => ({
    kind: 'success', status: 200, body: null, requestedUrl: `${name}://target`, httpMethod: 'SEND', responseLatency: 1,
  });
  const type: DestinationType = {
    type: name,
    label: name,
    description: 'test type',
    configFields: [],
    credentialFields: [],
    parseConfig: (input) => input as Record<string, unknown>,
    parseCredentials: (input) => input as Record<string, unknown>,
    maskCredentials: () => ({ token: '***' }),
    createPublisher: (): TypedPublisher<Record<string, unknown>, Record<string, unknown>> => {
      created++;
      return {
        publish: async (message, target) => {
          sent.push({ message, destinationId: target.destinationId, config: target.config, credentials: target.credentials });
          return answer(message);
        },
        evict: async (id) => void evicted.push(id),
        close: async () => undefined,
      };
    },
  };
  return {
    type,
    sent,
    evicted,
    created: () => created,
    answerWith: (next: typeof answer) => (answer = next),
  };
}

describe('Dispatcher: deliveries to event destinations', () => {
  let t: TestStore;
  let dispatcher: Dispatcher;
  let outbound: OutboundDelivery;
  let publisher: EventPublisher;
  let routes: RouteCache;
  let fake: ReturnType<typeof recordingType>;
  const key = randomBytes(32);

  beforeEach(async () => {
    t = await openTestStore();
    fake = recordingType('recording');
    const config = testConfig({ SLUICE_RETRY_INTERVAL_MS: '50', SLUICE_RETRY_COUNT: '2' });
    routes = new RouteCache(t.store);
    let wake = (): void => undefined;
    publisher = new EventPublisher({ store: t.store, routes, wake: () => wake() });
    outbound = new OutboundDelivery({
      types: [fake.type],
      deps: { outboundAllowlist: [], responseBodyLimit: 1024 },
      keyring: makeKeyring(key),
      publisher,
      autoDisableAfter: 0,
      logger: silentLogger,
    });
    dispatcher = new Dispatcher({ store: t.store, config, publishers: createPublisherRegistry(config), logger: silentLogger, secretFor: async () => SIGNING_SECRET, outbound });
    wake = () => dispatcher.wake();
    dispatcher.start();
  });
  afterEach(async () => {
    await dispatcher.stop(1000);
    await outbound.close();
    await t.close();
  });

  async function eventDestination(type = fake.type.type, credentials: string | null = null): Promise<Destination> {
    const now = Date.now();
    const id = newId('eventDestination', now);
    const destination: Destination = {
      id, teamId: t.teamId, name: 'd', description: null, type, config: EVENT_DESTINATION_ENGINE_CONFIG, disabledAt: null, createdAt: now, updatedAt: now,
      outbound: {
        displayName: 'd',
        config: { queue: 'orders' },
        credentials: credentials ?? encryptSecret(makeKeyring(key), JSON.stringify({ token: 's3cret' }), eventDestinationSecretBinding(t.teamId, id)),
        subscription: ['*'],
        consecutiveFailures: 0,
      },
    };
    await t.store.createEventDestination(destination, { id: newId('subscription', now), rules: [] });
    routes.invalidate(t.teamId); // as the API does on every change
    return destination;
  }

  async function deliveryOf(destinationId: string, eventId: string) {
    const page = await t.store.listDeliveries(t.teamId, destinationId, {}, { orderDirection: 'desc', limit: 100 });
    const view = page.models.find((d) => d.eventId === eventId);
    assert.ok(view, 'the delivery exists');
    return view.delivery.id;
  }

  it('hands the publisher the stored event JSON, its metadata, the config and the decrypted credentials', async () => {
    const d = await eventDestination();
    const accepted = await publisher.publish(t.teamId, { type: 'task_run.completed', data: { n: 1 }, id: 'ext-1' });
    const deliveryId = await deliveryOf(d.id, 'ext-1');
    await waitForEvent(t, deliveryId, (e) => e.status === 'SUCCESSFUL');
    const [sent] = fake.sent;
    assert.ok(sent);
    assert.deepEqual(sent.message.body, accepted.event.body, 'the bytes stored at publish');
    assert.equal(sent.message.eventId, 'ext-1');
    assert.equal(sent.message.eventType, 'task_run.completed');
    assert.equal(sent.message.contentType, 'application/json');
    assert.equal(sent.message.attemptNumber, 1);
    assert.deepEqual(sent.message.metadata, { 'event-id': 'ext-1', 'event-type': 'task_run.completed', timestamp: new Date(accepted.event.createdAt).toISOString() });
    assert.equal(sent.destinationId, d.id);
    assert.deepEqual(sent.config, { queue: 'orders' });
    assert.deepEqual(sent.credentials, { token: 's3cret' });
    const attempt = (await t.store.getDelivery(t.teamId, d.id, deliveryId))?.attempts[0];
    assert.ok(attempt?.id.startsWith('dla_'), 'delivery attempts have their own prefix');
    assert.equal(attempt?.requestedUrl, 'recording://target');

    await publisher.publish(t.teamId, { type: 'task_run.completed', data: { n: 2 } });
    await publisher.publish(t.teamId, { type: 'task_run.completed', data: { n: 3 } });
    const deadline = Date.now() + 3000;
    while (fake.sent.length < 3 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(fake.created(), 1, 'one publisher per type, reused');
  });

  it('a permanent failure ends the delivery at once; a retryable one is retried', async () => {
    const d = await eventDestination();
    fake.answerWith((message) =>
      message.eventType === 'a.permanent'
        ? { kind: 'rejected', status: 404, body: 'no such queue', permanent: true, requestedUrl: '', httpMethod: 'SEND', responseLatency: 1 }
        : { kind: 'unreachable', errorCode: 'CONNECTION_REFUSED', message: 'peer down', requestedUrl: '', httpMethod: 'SEND', responseLatency: 1 },
    );
    await publisher.publish(t.teamId, { type: 'a.permanent', data: {}, id: 'p' });
    await publisher.publish(t.teamId, { type: 'a.retryable', data: {}, id: 'r' });
    const permanent = await waitForEvent(t, await deliveryOf(d.id, 'p'), (e) => e.status === 'FAILED');
    assert.equal(permanent.attempts, 1);
    const retried = await waitForEvent(t, await deliveryOf(d.id, 'r'), (e) => e.status === 'FAILED');
    assert.equal(retried.attempts, 3, 'the first attempt and SLUICE_RETRY_COUNT retries');
    assert.equal(retried.errorCode, 'CONNECTION_REFUSED');
  });

  it('a publisher that throws, credentials that cannot be opened and an unknown type are failures, never a lost attempt', async () => {
    const throwing = await eventDestination();
    fake.answerWith(() => {
      throw new Error('bug in the publisher');
    });
    await publisher.publish(t.teamId, { type: 'a.b', data: {}, id: 'x' });
    const thrown = await waitForEvent(t, await deliveryOf(throwing.id, 'x'), (e) => e.attempts >= 1);
    assert.equal(thrown.errorCode, 'UNKNOWN');
    await t.store.deleteEventDestination(t.teamId, throwing.id, Date.now());
    routes.invalidate(t.teamId);

    const unreadable = await eventDestination(fake.type.type, encryptSecret(makeKeyring(randomBytes(32)), '{}', { teamId: t.teamId, rowId: 'elsewhere' }));
    await publisher.publish(t.teamId, { type: 'a.b', data: {}, id: 'y' });
    const sealed = await waitForEvent(t, await deliveryOf(unreadable.id, 'y'), (e) => e.status === 'FAILED');
    assert.equal(sealed.attempts, 1, 'permanent: retrying cannot help');
    await t.store.deleteEventDestination(t.teamId, unreadable.id, Date.now());
    routes.invalidate(t.teamId);

    const unknown = await eventDestination('carrier_pigeon');
    await publisher.publish(t.teamId, { type: 'a.b', data: {}, id: 'z' });
    const none = await waitForEvent(t, await deliveryOf(unknown.id, 'z'), (e) => e.status === 'FAILED');
    assert.equal(none.attempts, 1);
    assert.equal(fake.sent.filter((s) => s.destinationId !== throwing.id).length, 0);
  });

  it('forgetDestination evicts the clients its type holds for it', async () => {
    const d = await eventDestination();
    await publisher.publish(t.teamId, { type: 'a.b', data: {}, id: 'warm' });
    await waitForEvent(t, await deliveryOf(d.id, 'warm'), (e) => e.status === 'SUCCESSFUL');
    dispatcher.forgetDestination(d.id);
    const deadline = Date.now() + 1000;
    while (fake.evicted.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    assert.deepEqual(fake.evicted, [d.id]);
  });
});
