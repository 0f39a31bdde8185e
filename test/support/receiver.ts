/**
 * A real HTTP receiver for tests: records every request it gets and answers however the test says
 * (status, delay, headers). Deliveries are counted per `x-sluice-event-id` to measure loss and duplicates.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  at: number;
}

export interface Answer {
  status?: number;
  delayMs?: number;
  headers?: Record<string, string>;
  body?: string;
}

export interface Receiver {
  url: string;
  received: Received[];
  /** Deliveries per event id (`x-sluice-event-id`). */
  countsByEvent: Map<string, number>;
  /**
   * Requests per event id counted on arrival (body read, before answering): includes requests whose answer never
   * reached the sender (its connection died), which a receiver that processes before answering would still see.
   */
  arrivalsByEvent: Map<string, number>;
  /** Requests being handled now (arrived, not yet answered), and the most there ever were at once. */
  concurrency: { now: number; max: number };
  /** The client-side ports of the requests being handled now: which sender holds them (tests map them to processes). */
  inFlightPorts(): number[];
  /** Sets how the next requests are answered (default 200 at once). */
  answerWith(answer: Answer | ((request: Received) => Answer)): void;
  /** Resolves when `predicate` holds, checking on each request; rejects after `timeoutMs`. */
  waitFor(predicate: () => boolean, timeoutMs: number, what: string): Promise<void>;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const received: Received[] = [];
  const countsByEvent = new Map<string, number>();
  const arrivalsByEvent = new Map<string, number>();
  let answer: Answer | ((request: Received) => Answer) = {};
  const waiters = new Set<() => void>();
  const concurrency = { now: 0, max: 0 };
  const inFlight = new Set<IncomingMessage>();

  const server: Server = createServer((req, res) => {
    concurrency.now += 1;
    concurrency.max = Math.max(concurrency.max, concurrency.now);
    inFlight.add(req);
    let answered = false;
    const finished = () => {
      if (answered) return;
      answered = true;
      concurrency.now -= 1;
      inFlight.delete(req);
    };
    res.on('close', finished);
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request: Received = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks), at: Date.now() };
      const arrivedFor = req.headers['x-sluice-event-id'];
      if (typeof arrivedFor === 'string') arrivalsByEvent.set(arrivedFor, (arrivalsByEvent.get(arrivedFor) ?? 0) + 1);
      const chosen = typeof answer === 'function' ? answer(request) : answer;
      const respond = () => {
        if (res.destroyed) return;
        res.writeHead(chosen.status ?? 200, { 'content-type': 'text/plain', ...chosen.headers });
        res.end(chosen.body ?? 'ok');
        finished();
        received.push(request);
        const eventId = req.headers['x-sluice-event-id'];
        if (typeof eventId === 'string') countsByEvent.set(eventId, (countsByEvent.get(eventId) ?? 0) + 1);
        for (const wake of waiters) wake();
      };
      if (chosen.delayMs) setTimeout(respond, chosen.delayMs);
      else respond();
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    received,
    countsByEvent,
    arrivalsByEvent,
    concurrency,
    inFlightPorts: () => [...inFlight].map((req) => req.socket.remotePort ?? 0),
    answerWith(next) {
      answer = next;
    },
    waitFor(predicate, timeoutMs, what) {
      return new Promise((resolve, reject) => {
        if (predicate()) return resolve();
        const check = () => {
          if (!predicate()) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
        }, timeoutMs);
        waiters.add(check);
      });
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
