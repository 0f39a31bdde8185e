/**
 * The outbound face's store verbs (event destinations, published events, deliveries, Idempotency-Key) as one
 * scripted scenario that returns a transcript of every answer. postgres.test.ts runs it on a SQLite store and on a
 * PostgreSQL store with the same ids and clocks and requires the same transcript: the SQLite store is the
 * reference, so this checks the PostgreSQL port of the outbound face until the conformance suite covers it.
 * Lease tokens are random, so they are left out of the transcript.
 */
import { newId } from '../../src/domain/ids.js';
import { EVENT_DESTINATION_ENGINE_CONFIG, type Destination, type PublishedEvent, type Rule } from '../../src/domain/model.js';
import type { GatewayStore, NewPublishedEvent } from '../../src/store/port.js';
import { anAttempt, T0 } from './fixtures.js';

const RULES: Rule[] = [{ type: 'retry', strategy: 'exponential', interval: 30_000, count: 2 }];
const PAGE = { orderDirection: 'asc' as const, limit: 50 };

/** Every id and time the scenario uses, made once so both stores see the same. */
export function outboundIds() {
  const at = (ms: number) => T0 + ms;
  return {
    teamId: newId('team', at(0)),
    destinations: [newId('eventDestination', at(1)), newId('eventDestination', at(2))] as const,
    routes: [newId('subscription', at(1)), newId('subscription', at(2))] as const,
    messages: [10, 11, 12, 13, 14].map((ms) => newId('publishedEvent', at(ms))),
    deliveries: Array.from({ length: 8 }, (_, i) => newId('delivery', at(20 + i))),
    attempts: [newId('deliveryAttempt', at(30)), newId('deliveryAttempt', at(31))] as const,
    at,
  };
}

function eventDestination(teamId: string, id: string, name: string, at: number): Destination {
  return {
    id,
    teamId,
    name,
    description: null,
    type: 'webhook',
    config: EVENT_DESTINATION_ENGINE_CONFIG,
    disabledAt: null,
    createdAt: at,
    updatedAt: at,
    outbound: { displayName: name, config: { url: `https://example.test/${name}` }, credentials: null, subscription: ['*'], consecutiveFailures: 0 },
  };
}

function published(teamId: string, messageId: string, eventId: string, type: string, at: number): PublishedEvent {
  const body = Buffer.from(JSON.stringify({ id: eventId, object: 'event', type, data: { n: 1 }, created_at: new Date(at).toISOString() }));
  return { messageId, teamId, eventId, eventType: type, body, origin: 'api', createdAt: at };
}

export async function outboundScenario(store: GatewayStore, ids: ReturnType<typeof outboundIds>): Promise<unknown[]> {
  const out: unknown[] = [];
  const log = (label: string, value: unknown): void => {
    // The platform source is created by the store with an id of its own: the same place, another name.
    const plain = (key: string, v: unknown): unknown => (key === 'sourceId' && typeof v === 'string' && v.startsWith('src_') ? 'src_platform' : v);
    out.push([label, JSON.parse(JSON.stringify(value, (key, v: unknown) => plain(key, Buffer.isBuffer(v) ? v.toString('base64') : v))) as unknown]);
  };
  const { teamId, at } = ids;
  const [destA, destB] = ids.destinations;
  const [routeA, routeB] = ids.routes;
  const d = ids.deliveries;

  await store.createTeam({ id: teamId, name: 'outbound', signingSecretEncrypted: 'enc' }, at(0));
  await store.createEventDestination(eventDestination(teamId, destA, 'alpha', at(1)), { id: routeA, rules: RULES });
  await store.createEventDestination(eventDestination(teamId, destB, 'beta', at(2)), { id: routeB, rules: RULES });
  log('get A', await store.getEventDestination(teamId, destA));
  log('list', await store.listEventDestinations(teamId, {}, PAGE));
  log('list webhook active', await store.listEventDestinations(teamId, { type: ['webhook'], status: 'active' }, PAGE));
  log('routes', await store.listOutboundRoutes(teamId));

  const deliver = (messageId: string, eventId: string, type: string, atMs: number, deliveries: [string, string, string][]): NewPublishedEvent => ({
    event: published(teamId, messageId, eventId, type, at(atMs)),
    deliveries: deliveries.map(([id, connectionId, destinationId]) => ({ id, connectionId, destinationId })),
  });
  const e1 = deliver(ids.messages[0] ?? '', 'order-1', 'order.created', 10, [[d[0] ?? '', routeA, destA], [d[1] ?? '', routeB, destB]]);
  log('accept e1', await store.acceptEvent(e1));
  log('accept e1 again', await store.acceptEvent(deliver(ids.messages[1] ?? '', 'order-1', 'order.created', 11, [[d[2] ?? '', routeA, destA]])));
  log('get e1', await store.getPublishedEvent(teamId, 'order-1'));
  log('deliveries A', await store.listDeliveries(teamId, destA, {}, PAGE));
  log('delivery B', await store.getDelivery(teamId, destB, d[1] ?? ''));
  log('delivery B on A', await store.getDelivery(teamId, destA, d[1] ?? ''));

  const claimed = await store.claimDue({ now: at(100), leaseMs: 60_000, limit: 10, inFlight: new Map(), defaultConcurrency: 10 });
  log('claimed', claimed.map((c) => ({ ...c, leaseToken: undefined })));
  const byDestination = new Map(claimed.map((c) => [c.destination.id, c]));
  const onA = byDestination.get(destA);
  const onB = byDestination.get(destB);
  if (onA === undefined || onB === undefined) throw new Error('both deliveries should be claimed');
  const operatorEvent = (messageId: string, type: string, atMs: number, deliveryId: string) =>
    deliver(messageId, messageId, type, atMs, [[deliveryId, routeB, destB]]);
  await store.recordAttempts(
    [
      {
        attempt: { ...anAttempt(onA.event, at(101), { status: 'FAILED', responseStatus: 500 }), id: ids.attempts[0] },
        leaseToken: onA.leaseToken,
        nextAttemptAt: null,
        outbound: {
          autoDisableAfter: 1,
          onDisabled: operatorEvent(ids.messages[2] ?? '', 'destination.disabled', 12, d[3] ?? ''),
          onExhausted: operatorEvent(ids.messages[3] ?? '', 'delivery.exhausted', 13, d[4] ?? ''),
        },
      },
      {
        attempt: { ...anAttempt(onB.event, at(101), { status: 'SUCCESSFUL' }), id: ids.attempts[1] },
        leaseToken: onB.leaseToken,
        nextAttemptAt: null,
        outbound: { autoDisableAfter: 1, onDisabled: null, onExhausted: null },
      },
    ],
    at(102),
  );
  log('A after failure', await store.getEventDestination(teamId, destA));
  log('B after success', await store.getEventDestination(teamId, destB));
  log('deliveries A after', await store.listDeliveries(teamId, destA, {}, PAGE));
  log('deliveries B', await store.listDeliveries(teamId, destB, { status: ['QUEUED'], types: ['destination.disabled', 'delivery.exhausted'] }, PAGE));
  log('published', await store.listPublishedEvents(teamId, {}, PAGE));
  log('published by type', await store.listPublishedEvents(teamId, { types: ['delivery.exhausted'], createdAfter: at(13) }, PAGE));
  log('routes while A disabled', await store.listOutboundRoutes(teamId));
  log('accept to disabled A', await store.acceptEvent(deliver(ids.messages[4] ?? '', 'order-2', 'order.paid', 14, [[d[5] ?? '', routeA, destA]])));

  log('enable A', await store.updateEventDestination(teamId, destA, { disabled: false, displayName: 'alpha-2', subscription: ['order.*'] }, at(200)));
  log('disable B', await store.updateEventDestination(teamId, destB, { disabled: true, credentials: 'sealed' }, at(201)));
  log('deliveries B held', await store.listDeliveries(teamId, destB, {}, PAGE));
  log('enable B', await store.updateEventDestination(teamId, destB, { disabled: false }, at(202)));
  log('deliveries B released', await store.listDeliveries(teamId, destB, {}, PAGE));
  log('update other team', await store.updateEventDestination(newId('team', at(0)), destB, { displayName: 'x' }, at(203)));

  // The inbound face sees none of it.
  log('inbound sources', await store.listSources(teamId, PAGE, {}));
  log('inbound destinations', await store.listDestinations(teamId, PAGE, {}));
  log('inbound connections', await store.listConnections(teamId, PAGE, {}));
  log('inbound events', await store.listEvents(teamId, {}, PAGE));
  log('inbound requests', await store.listRequests(teamId, {}, PAGE));
  log('inbound attempts', await store.listAttempts(teamId, {}, PAGE));
  log('inbound get destination', await store.getDestination(teamId, destA));

  // Idempotency-Key.
  const windows = { expiredBefore: at(0), abandonedBefore: at(0) };
  log('key new', await store.claimIdempotencyKey(teamId, 'k1', 'f1', at(300), windows));
  log('key in progress', await store.claimIdempotencyKey(teamId, 'k1', 'f1', at(301), windows));
  log('key mismatch', await store.claimIdempotencyKey(teamId, 'k1', 'f2', at(302), windows));
  await store.completeIdempotencyKey(teamId, 'k1', 202, '{"ok":true}');
  log('key replay', await store.claimIdempotencyKey(teamId, 'k1', 'f1', at(303), windows));
  await store.releaseIdempotencyKey(teamId, 'k1'); // completed: kept
  log('key replay again', await store.claimIdempotencyKey(teamId, 'k1', 'f1', at(304), windows));
  log('key expired', await store.claimIdempotencyKey(teamId, 'k1', 'f2', at(305), { expiredBefore: at(1000), abandonedBefore: at(0) }));
  log('key k2', await store.claimIdempotencyKey(teamId, 'k2', 'f1', at(306), windows));
  await store.releaseIdempotencyKey(teamId, 'k2');
  log('key k2 released', await store.claimIdempotencyKey(teamId, 'k2', 'f1', at(307), windows));
  log('key abandoned', await store.claimIdempotencyKey(teamId, 'k2', 'f1', at(308), { expiredBefore: at(0), abandonedBefore: at(1000) }));

  log('delete B', await store.deleteEventDestination(teamId, destB, at(400)));
  log('delete B again', await store.deleteEventDestination(teamId, destB, at(401)));
  log('deliveries of deleted B', await store.listDeliveries(teamId, destB, {}, PAGE));
  log('purge keys', await store.purgeIdempotencyKeys(at(306), 10));
  log('purge messages', await store.purgeBefore(at(12), 10));
  log('published after purge', await store.listPublishedEvents(teamId, {}, PAGE));
  log('purge all', await store.purgeBefore(at(100_000), 10));
  log('deliveries A after purge', await store.listDeliveries(teamId, destA, {}, PAGE));
  return out;
}
