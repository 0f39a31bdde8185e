/**
 * Publishing (outbound face): an event is matched against the team's active event destinations' subscriptions,
 * and stored with one delivery per match in ONE durable transaction (store.acceptEvent), then the dispatcher is
 * woken. The same path serves `POST /v2/events` and Sluice's own operator events (which the dispatcher prepares
 * here and hands to the store with the attempt record that causes them).
 */
import { newId } from '../domain/ids.js';
import type { EventOrigin } from '../domain/model.js';
import { newPublishedEvent, type EventInput } from '../domain/publishedEvent.js';
import type { AcceptedEvent, NewPublishedEvent, OutboundStore } from '../store/port.js';
import type { RouteCache } from './routeCache.js';

export interface EventPublisherOptions {
  store: Pick<OutboundStore, 'acceptEvent'>;
  routes: RouteCache;
  /** New deliveries are due: wake the dispatcher. */
  wake: () => void;
  now?: () => number;
}

export class EventPublisher {
  private readonly now: () => number;

  constructor(private readonly options: EventPublisherOptions) {
    this.now = options.now ?? Date.now;
  }

  /** The event and its deliveries, matched now; `exclude` never receives it (an operator event's subject). */
  async prepare(teamId: string, input: EventInput, origin: EventOrigin, exclude?: string): Promise<NewPublishedEvent> {
    return (await this.preparer(teamId, origin, exclude))(input);
  }

  /**
   * A synchronous `prepare` over the team's routes as they are now: for an event whose content is only known
   * later, inside the store's transaction (an alert carrying the failure count the record reaches).
   */
  async preparer(teamId: string, origin: EventOrigin, exclude?: string): Promise<(input: EventInput) => NewPublishedEvent> {
    const routes = (await this.options.routes.routes(teamId)).filter((route) => route.destinationId !== exclude);
    return (input) => {
      const now = this.now();
      const event = newPublishedEvent(teamId, input, origin, now);
      const deliveries = routes
        .filter((route) => route.subscription.matches(input.type))
        .map((route) => ({ id: newId('delivery', now), connectionId: route.connectionId, destinationId: route.destinationId }));
      return { event, deliveries };
    };
  }

  /**
   * Publishes once per event id: a repeated `id` answers the stored event (`created: false`) and delivers nothing.
   * Resolves after the commit, so an answer means the event and all its deliveries are on disk.
   */
  async publish(teamId: string, input: EventInput, origin: EventOrigin = 'api'): Promise<AcceptedEvent> {
    // The repeat check is the store's, inside the transaction: two concurrent publishes of one id store one event.
    const accepted = await this.options.store.acceptEvent(await this.prepare(teamId, input, origin));
    if (accepted.created && accepted.destinationIds.length > 0) this.options.wake();
    return accepted;
  }
}
