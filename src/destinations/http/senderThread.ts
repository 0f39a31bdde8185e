/**
 * HTTP attempts on a worker thread. The gateway is one Node process whose one JavaScript thread runs ingest,
 * the store's writes, the claims and the records; on a machine with a second core that core was left to others.
 * The outbound HTTP work — undici building and writing each request, parsing each response, the pool's sockets —
 * is about a quarter of the delivery path's CPU (docs/benchmarks-history.md, "The HTTP sender thread") and touches nothing
 * the store holds, so it moves here whole: this class has HttpSender's interface and sends each request through
 * an HttpSender running on a thread of its own (senderWorker.ts).
 *
 * Nothing about a delivery changes: the dispatcher still claims, holds the slot for the whole attempt, enforces
 * the caps and records the outcome on the gateway's thread; the thread only does the request, with the same
 * time budget, SSRF guard, capped body and typed outcome. Requests and outcomes cross in batches (one message
 * per turn of either event loop). Cancellation crosses as a message and the outcome still comes back (so a
 * shutdown's cancelled attempts are released as before). If the thread dies, every request it held is answered
 * as a retryable failure — it may or may not have reached the receiver, which at-least-once allows — and the
 * next request starts a new thread.
 */
import { Worker } from 'node:worker_threads';
import { untilReady } from '../../threads/untilReady.js';
import type { PublishOutcome } from '../types.js';
import type { HttpSend, HttpSenderOptions, OutgoingHttpRequest } from './sender.js';
import type { FromSenderThread, SendOrder, SenderThreadData, ToSenderThread } from './senderProtocol.js';

interface Waiting {
  resolve(outcome: PublishOutcome): void;
  outgoing: OutgoingHttpRequest;
  signal: AbortSignal;
  onAbort: () => void;
}

/**
 * The thread's young generation, in MB: its garbage is short-lived (request and response objects), so a small one
 * costs little, and the process's peak RSS matters (the backlog benchmark's target is 300 MB; in docs/benchmarks-history.md the
 * thread adds ~17–25 MiB, mostly V8 and undici themselves, with or without this cap). The old generation is left
 * unbounded: 256 attempts × a 1 MiB response body limit must fit.
 */
const YOUNG_GENERATION_MB = 8;

/** How long close() lets requests still in flight finish before it ends the thread (and with it their sockets). */
const CLOSE_WAIT_MS = 5000;

/**
 * The thread, running senderWorker beside this file: `.js` once built; `.ts` when the sources run under tsx
 * (tests, `npm run dev`), where the thread must register tsx itself, since Node 20 does not pass `--import` on
 * to worker threads.
 */
function startWorker(options: HttpSenderOptions): Worker {
  const workerData: SenderThreadData = { outboundAllowlist: options.outboundAllowlist, responseBodyLimit: options.responseBodyLimit };
  const settings = { workerData, resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB } };
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./senderWorker.js', import.meta.url), settings);
  const entry = new URL('./senderWorker.ts', import.meta.url).href;
  const code = `import { register } from ${JSON.stringify(import.meta.resolve('tsx/esm/api'))}; register(); await import(${JSON.stringify(entry)});`;
  return new Worker(new URL(`data:text/javascript,${encodeURIComponent(code)}`), settings);
}

export class ThreadedHttpSender implements HttpSend {
  private worker: Worker | null = null;
  private readonly waiting = new Map<number, Waiting>();
  private nextId = 1;
  private orders: SendOrder[] = [];
  private flushQueued = false;
  private closing: Promise<void> | null = null;
  /** The running thread has said it is loaded. */
  private ready = false;
  /** The last uncaught error of the running thread, for the outcomes it leaves unanswered. */
  private failure = '';

  constructor(private readonly options: HttpSenderOptions) {}

  send(outgoing: OutgoingHttpRequest, timeoutMs: number, signal: AbortSignal): Promise<PublishOutcome> {
    if (this.closing !== null) return Promise.resolve(stopped(outgoing, 'The HTTP sender is closed.'));
    const id = this.nextId++;
    const worker = this.running();
    return new Promise<PublishOutcome>((resolve) => {
      const onAbort = () => this.post(worker, { kind: 'cancel', id });
      this.waiting.set(id, { resolve, outgoing, signal, onAbort });
      if (this.waiting.size === 1) worker.ref(); // a request in flight keeps the process alive, as a socket would
      this.orders.push({ id, outgoing, timeoutMs });
      if (signal.aborted) queueMicrotask(onAbort); // after the order is on its way
      else signal.addEventListener('abort', onAbort, { once: true });
      this.queueFlush();
    });
  }

  /**
   * Starts the thread now rather than at the first request, and resolves once it has loaded, so that no attempt
   * waits for undici to load (a gateway that delivers awaits it before its first claim; under load that took a
   * second and more). Rejects if the thread cannot start.
   */
  async start(): Promise<void> {
    if (this.closing !== null) return;
    const worker = this.running();
    if (this.ready) return;
    worker.ref(); // a caller waiting for the thread keeps the process alive until it answers
    try {
      await untilReady(worker, 'HTTP sender thread', () => this.failure);
    } finally {
      if (this.waiting.size === 0) worker.unref();
    }
  }

  /** Lets the requests in flight finish, closes the thread's pool and ends the thread. */
  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    const worker = this.worker;
    if (worker === null) return;
    this.flush();
    worker.ref(); // the wait for `closed` keeps the process alive (the thread is unreferenced when idle)
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      worker.on('message', (message: FromSenderThread) => {
        if (message.kind === 'closed') resolve();
      });
      worker.once('exit', () => resolve());
      // The gateway closes this after the dispatcher drained or cancelled its attempts, so the pool closes at
      // once; a request that still hangs is cut by the thread's end after CLOSE_WAIT_MS.
      timer = setTimeout(resolve, CLOSE_WAIT_MS);
      this.post(worker, { kind: 'close' });
    });
    clearTimeout(timer);
    await worker.terminate();
  }

  private running(): Worker {
    if (this.worker !== null) return this.worker;
    const worker = startWorker(this.options);
    worker.unref(); // only requests in flight keep the process alive (see send)
    this.ready = false;
    this.failure = '';
    worker.on('message', (message: FromSenderThread) => {
      if (message.kind === 'ready') this.ready = true;
      else if (message.kind === 'done') for (const { id, outcome } of message.outcomes) this.settle(id, outcome);
    });
    // An uncaught error in the thread ends it ('exit' follows): the requests it held fail, the next send restarts it.
    worker.on('error', (error) => {
      this.failure = error.message;
    });
    worker.on('exit', (code) => {
      if (this.worker !== worker) return;
      this.worker = null;
      this.orders = []; // orders not yet posted belong to the requests failed below
      const text = `The HTTP sender thread stopped (exit code ${code}${this.failure === '' ? '' : `: ${this.failure}`}) before the response was read.`;
      for (const [id, entry] of this.waiting) this.settle(id, stopped(entry.outgoing, text));
    });
    this.worker = worker;
    return worker;
  }

  private settle(id: number, outcome: PublishOutcome): void {
    const entry = this.waiting.get(id);
    if (entry === undefined) return;
    this.waiting.delete(id);
    entry.signal.removeEventListener('abort', entry.onAbort);
    if (this.waiting.size === 0) this.worker?.unref();
    entry.resolve(outcome);
  }

  private queueFlush(): void {
    if (this.flushQueued) return;
    this.flushQueued = true;
    // The dispatcher launches a claim's attempts in one turn of the loop: they cross in one message.
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.flushQueued = false;
    if (this.orders.length === 0 || this.worker === null) return;
    const orders = this.orders;
    this.orders = [];
    this.post(this.worker, { kind: 'send', orders });
  }

  private post(worker: Worker, message: ToSenderThread): void {
    if (message.kind === 'cancel') this.flush(); // the order it cancels goes first
    worker.postMessage(message);
  }
}

/** The outcome of a request the thread could not answer for: retryable, as any connection lost mid-request. */
function stopped(outgoing: OutgoingHttpRequest, message: string): PublishOutcome {
  return { kind: 'unreachable', errorCode: 'UNKNOWN', message, requestedUrl: outgoing.url, httpMethod: outgoing.method, responseLatency: 0 };
}
