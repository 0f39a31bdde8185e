/**
 * Builders for the outbound conformance tests: event destinations as the /v2 API creates them, and publishing as
 * the EventPublisher does it (match the team's routes, one delivery each), with ids made at the record's time.
 */
import { newId } from '../../src/domain/ids.js';
import { EVENT_DESTINATION_ENGINE_CONFIG, type Destination, type EventOrigin } from '../../src/domain/model.js';
import { newPublishedEvent } from '../../src/domain/publishedEvent.js';
import { matchesSubscription } from '../../src/domain/subscription.js';
import type { AcceptedEvent, GatewayStore, NewPublishedEvent, Store } from '../../src/store/port.js';
import { T0, uniqueName } from './fixtures.js';

/** The store as a gateway store; the outbound tests are skipped for a dialect that lacks the outbound verbs. */
export function hasOutbound(store: Store): store is GatewayStore {
  return typeof (store as Partial<GatewayStore>).acceptEvent === 'function';
}

export function asGatewayStore(store: Store): GatewayStore {
  if (!hasOutbound(store)) throw new Error('this store does not implement the outbound verbs');
  return store;
}

export function anEventDestination(
  teamId: string,
  over: { subscription?: string[]; disabledAt?: number | null; type?: string; name?: string; config?: Record<string, unknown>; credentials?: string | null } = {},
  at: number = T0,
): Destination {
  const name = over.name ?? uniqueName('Event Destination');
  return {
    id: newId('eventDestination', at),
    teamId,
    name,
    description: null,
    type: over.type ?? 'webhook',
    config: EVENT_DESTINATION_ENGINE_CONFIG,
    disabledAt: over.disabledAt ?? null,
    createdAt: at,
    updatedAt: at,
    outbound: {
      displayName: name,
      config: over.config ?? { url: 'https://example.test/hook', custom_headers: {} },
      credentials: over.credentials === undefined ? 'v1.sealed.credentials.blob' : over.credentials,
      subscription: over.subscription ?? ['*'],
      consecutiveFailures: 0,
    },
  };
}

/** Creates an event destination with its route; returns it as stored. */
export async function newEventDestination(store: GatewayStore, teamId: string, over: Parameters<typeof anEventDestination>[1] = {}, at = T0): Promise<Destination> {
  const destination = anEventDestination(teamId, over, at);
  await store.createEventDestination(destination, { id: newId('subscription', at), rules: [] });
  const stored = await store.getEventDestination(teamId, destination.id);
  if (stored === null) throw new Error('the event destination should exist');
  return stored;
}

/** An event matched against the team's active routes, as the publisher prepares it. */
export async function prepareEvent(
  store: GatewayStore,
  teamId: string,
  type: string,
  at: number,
  options: { id?: string; origin?: EventOrigin; exclude?: string } = {},
): Promise<NewPublishedEvent> {
  const input = { type, data: { at }, ...(options.id === undefined ? {} : { id: options.id }) };
  const event = newPublishedEvent(teamId, input, options.origin ?? 'api', at);
  const routes = await store.listOutboundRoutes(teamId);
  const deliveries = routes
    .filter((r) => r.destinationId !== options.exclude && matchesSubscription(r.subscription, type))
    .map((r) => ({ id: newId('delivery', at), connectionId: r.connectionId, destinationId: r.destinationId }));
  return { event, deliveries };
}

export async function publish(store: GatewayStore, teamId: string, type: string, at: number, options: { id?: string; origin?: EventOrigin } = {}): Promise<AcceptedEvent & { prepared: NewPublishedEvent }> {
  const prepared = await prepareEvent(store, teamId, type, at, options);
  return { ...(await store.acceptEvent(prepared)), prepared };
}
