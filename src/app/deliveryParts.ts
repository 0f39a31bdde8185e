/**
 * The delivery side of a gateway, assembled over one store: the publishers (one per destination type), the
 * outbound face's route cache and event publisher, and the Dispatcher over them. The composition root builds it on
 * the main thread (every role: the API's manual retries need a Dispatcher too), and the dispatch thread builds its
 * own over its own SQLite connection (dispatchWorker.ts), so the two assemble the same engine.
 */
import type { Config } from '../config/loadConfig.js';
import { DESTINATION_TYPES } from '../destinations/catalog.js';
import type { HttpSend } from '../destinations/http/sender.js';
import { createPublisherRegistry, type PublisherRegistry } from '../destinations/registry.js';
import { Dispatcher } from '../dispatch/dispatcher.js';
import { OutboundDelivery } from '../dispatch/outbound.js';
import type { SecretKeyring } from '../domain/secretBox.js';
import type { Logger } from '../observability/logger.js';
import { EventPublisher } from '../publish/eventPublisher.js';
import { RouteCache } from '../publish/routeCache.js';
import type { GatewayStore } from '../store/port.js';
import { teamSecretLookup } from './teamSecrets.js';

export interface DeliveryParts {
  publishers: PublisherRegistry;
  routes: RouteCache;
  /** Publishing (API and operator events): matches through `routes`, then wakes whoever dispatches. */
  eventPublisher: EventPublisher;
  outbound: OutboundDelivery;
  dispatcher: Dispatcher;
  /** Closes the publishers' clients; call once the dispatcher has stopped. */
  close(): Promise<void>;
}

export interface DeliveryPartsOptions {
  /** The shared HTTP sender (the HTTP sender thread), owned by the caller. */
  httpSender?: HttpSend | undefined;
  /** Who publishing wakes: this dispatcher by default; the dispatch thread when it is the one that claims. */
  wake?: () => void;
}

export function buildDelivery(
  config: Config,
  store: GatewayStore,
  keyring: SecretKeyring,
  log: Logger,
  options: DeliveryPartsOptions = {},
): DeliveryParts {
  const { httpSender } = options;
  const senderOptions = { outboundAllowlist: config.outboundAllowlist, responseBodyLimit: config.responseBodyLimit };
  const publishers = createPublisherRegistry(config, httpSender);
  const routes = new RouteCache(store);
  // Publishing wakes the dispatcher built below, hence the late binding.
  let wakeDispatcher = (): void => undefined;
  const eventPublisher = new EventPublisher({ store, routes, wake: options.wake ?? (() => wakeDispatcher()) });
  const dispatchLog = log.child({ component: 'dispatcher' });
  const outbound = new OutboundDelivery({
    types: DESTINATION_TYPES,
    deps: { ...senderOptions, httpSender },
    keyring,
    publisher: eventPublisher,
    autoDisableAfter: config.autoDisableAfter,
    logger: dispatchLog,
  });
  const dispatcher = new Dispatcher({
    store,
    config,
    publishers,
    logger: dispatchLog,
    secretFor: teamSecretLookup(store, keyring),
    outbound,
  });
  wakeDispatcher = () => dispatcher.wake();
  return {
    publishers,
    routes,
    eventPublisher,
    outbound,
    dispatcher,
    async close() {
      await publishers.close();
      await outbound.close();
    },
  };
}
