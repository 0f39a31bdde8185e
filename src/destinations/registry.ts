/**
 * Destination type → publisher. Adding a type is one folder under src/destinations/ and one line below.
 */
import type { Config } from '../config/loadConfig.js';
import { HttpPublisher } from './http/publisher.js';
import type { HttpSend } from './http/sender.js';
import type { Publisher } from './types.js';

export interface PublisherRegistry {
  /** The publisher for a destination type, or undefined when this gateway has none. */
  get(type: string): Publisher | undefined;
  /** Closes every publisher's connections. */
  close(): Promise<void>;
}

/** `httpSender`: the gateway's shared sender (the HTTP sender thread); the registry does not close it. */
export function createPublisherRegistry(config: Pick<Config, 'responseBodyLimit' | 'outboundAllowlist'>, httpSender?: HttpSend): PublisherRegistry {
  const options = { responseBodyLimit: config.responseBodyLimit, outboundAllowlist: config.outboundAllowlist };
  const publishers = new Map<string, Publisher>([['HTTP', new HttpPublisher({ ...options, sender: httpSender })]]);
  return {
    get: (type) => publishers.get(type),
    close: async () => {
      await Promise.all([...publishers.values()].map((p) => p.close()));
    },
  };
}
