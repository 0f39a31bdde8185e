/**
 * Loads a type's publisher (and its cloud SDK) on first use. The SDKs take most of a second to import; a gateway
 * that never delivers to, say, Pub/Sub should not pay that at every start, nor should the API's tests.
 */
import type { TypedPublisher } from '../types.js';

export function lazyPublisher<C, K>(load: () => Promise<TypedPublisher<C, K>>): TypedPublisher<C, K> {
  let loaded: Promise<TypedPublisher<C, K>> | null = null;
  const get = () => (loaded ??= load());
  return {
    publish: async (message, target, options) => (await get()).publish(message, target, options),
    // Nothing to evict or close before the first publish created the real publisher.
    evict: async (destinationId) => {
      if (loaded !== null) await (await loaded).evict(destinationId);
    },
    close: async () => {
      if (loaded !== null) await (await loaded).close();
    },
  };
}
