/**
 * The messages between the gateway's thread and the HTTP sender thread (senderThread.ts ↔ senderWorker.ts).
 * Requests and outcomes cross in batches, one message per turn of either event loop, because a message is a
 * structured clone plus a wake-up of the other thread, and deliveries start and finish in bursts.
 */
import type { PublishOutcome } from '../types.js';
import type { HttpSenderOptions, OutgoingHttpRequest } from './sender.js';

/** One request to send: `id` matches its outcome. */
export interface SendOrder {
  id: number;
  outgoing: OutgoingHttpRequest;
  timeoutMs: number;
}

export type ToSenderThread =
  | { kind: 'send'; orders: SendOrder[] }
  /** The caller's signal fired (shutdown): abort the request; its outcome still comes back. */
  | { kind: 'cancel'; id: number }
  /** Finish what is in flight, close the pool, then answer `closed`. */
  | { kind: 'close' };

export type FromSenderThread =
  /** Loaded (undici and the sender): requests from now on are sent without waiting for a module to load. */
  | { kind: 'ready' }
  | { kind: 'done'; outcomes: { id: number; outcome: PublishOutcome }[] }
  | { kind: 'closed' };

/** What the thread is started with (its `workerData`). */
export type SenderThreadData = HttpSenderOptions;
