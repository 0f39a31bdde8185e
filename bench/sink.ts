/**
 * The receiving end of every delivery scenario, in its own process: a plain node:http server that answers 200 at
 * once and records, per request, when it arrived, its message key (`x-sluice-event-id` when the gateway sent it,
 * else the `id` in the body) and the `sent_at` the load generator wrote in the body. Paths starting with `/hang`
 * are never answered (the isolation scenario's dead destination: every attempt times out).
 *
 * The orchestrator talks to it over IPC: `{type: 'stats', from?, to?}` → SinkStats, `{type: 'reset'}`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { readMessageHead, Samples, summarise, wallMs, type SinkStats } from './lib/common.js';

const OK_BODY = '{"ok":true}';

let received = 0;
let duplicates = 0;
let hanging = 0;
const seen = new Set<string>();
/** First receipt of each distinct message: when, when it was sent, and the latency between. */
const firstAt = new Samples();
const sentAt = new Samples();
const latency = new Samples();

function onRequest(req: IncomingMessage, res: ServerResponse): void {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const at = wallMs();
    if ((req.url ?? '').startsWith('/hang')) {
      hanging += 1;
      res.on('close', () => (hanging -= 1));
      return; // never answered
    }
    received += 1;
    const body = chunks.length === 1 ? (chunks[0] as Buffer).toString('latin1') : Buffer.concat(chunks).toString('latin1');
    const head = readMessageHead(body);
    const header = req.headers['x-sluice-event-id'];
    const key = typeof header === 'string' ? header : head.id;
    if (seen.has(key)) {
      duplicates += 1;
    } else {
      seen.add(key);
      firstAt.push(at);
      sentAt.push(head.sentAt);
      latency.push(at - head.sentAt);
    }
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': OK_BODY.length });
    res.end(OK_BODY);
  });
}

function stats(from: number, to: number): SinkStats {
  const times = firstAt.view();
  const sent = sentAt.view();
  const lat = latency.view();
  let inWindow = 0;
  const window: number[] = [];
  for (let i = 0; i < times.length; i++) {
    const t = times[i] as number;
    if (t >= from && t <= to) inWindow += 1;
    const s = sent[i] as number;
    if (s >= from && s <= to) window.push(lat[i] as number);
  }
  return {
    type: 'stats',
    received,
    unique: seen.size,
    duplicates,
    inWindow,
    latency: summarise(window),
    firstAt: times[0] ?? null,
    lastAt: times.length === 0 ? null : (times[times.length - 1] ?? null),
    hanging,
  };
}

const server = createServer({ keepAlive: true, requestTimeout: 0, headersTimeout: 60_000 }, onRequest);
server.keepAliveTimeout = 120_000;
server.maxRequestsPerSocket = 0;

process.on('message', (message: { type: string; from?: number; to?: number }) => {
  if (message.type === 'stats') process.send?.(stats(message.from ?? 0, message.to ?? Number.POSITIVE_INFINITY));
  if (message.type === 'reset') {
    received = 0;
    duplicates = 0;
    seen.clear();
    firstAt.clear();
    sentAt.clear();
    latency.clear();
    process.send?.({ type: 'reset-done' });
  }
});
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});

const port = Number(process.argv[2] ?? 0);
server.listen(port, '127.0.0.1', () => {
  const address = server.address();
  process.send?.({ type: 'ready', port: typeof address === 'object' && address !== null ? address.port : port });
});
