/**
 * The HTTP sender thread's entry point (started by senderThread.ts): an ordinary HttpSender — the same pool, SSRF
 * guard, time budget, capped body and typed outcomes — driven by messages. Every request and response is parsed
 * here, on the second core, while the gateway's thread keeps ingest and the store.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { PublishOutcome } from '../types.js';
import { HttpSender } from './sender.js';
import type { FromSenderThread, SenderThreadData, ToSenderThread } from './senderProtocol.js';

const port = parentPort;
if (port === null) throw new Error('senderWorker.ts runs as a worker thread (see senderThread.ts).');

const sender = new HttpSender(workerData as SenderThreadData);
const inFlight = new Map<number, AbortController>();
let finished: { id: number; outcome: PublishOutcome }[] = [];
let flushQueued = false;

function post(message: FromSenderThread): void {
  port?.postMessage(message);
}

function flush(): void {
  flushQueued = false;
  if (finished.length === 0) return;
  const outcomes = finished;
  finished = [];
  post({ kind: 'done', outcomes });
}

function finish(id: number, outcome: PublishOutcome): void {
  inFlight.delete(id);
  finished.push({ id, outcome });
  if (flushQueued) return;
  flushQueued = true;
  // Responses read in the same turn of the loop go back in one message.
  setImmediate(flush);
}

port.on('message', (message: ToSenderThread) => {
  if (message.kind === 'send') {
    for (const { id, outgoing, timeoutMs } of message.orders) {
      const controller = new AbortController();
      inFlight.set(id, controller);
      // A structured clone turns the Buffer into a plain Uint8Array: undici sends either the same way.
      sender.send(outgoing, timeoutMs, controller.signal).then(
        (outcome) => finish(id, outcome),
        // send() never throws by contract; should it, the attempt still gets an outcome.
        (error: unknown) => finish(id, { kind: 'unreachable', errorCode: 'UNKNOWN', message: `The HTTP sender failed unexpectedly: ${String(error)}`, requestedUrl: outgoing.url, httpMethod: outgoing.method, responseLatency: 0 }),
      );
    }
  } else if (message.kind === 'cancel') {
    inFlight.get(message.id)?.abort(new DOMException('The gateway is shutting down.', 'AbortError'));
  } else {
    // The pool's close waits for the requests in flight; their outcomes go back before `closed`.
    void sender.close().finally(() => {
      flush();
      post({ kind: 'closed' });
    });
  }
});

post({ kind: 'ready' });
