/**
 * The soak profile (`npm run bench -- --soak [--duration 60m]`; never part of `npm test`): the built gateway runs
 * for the duration under mixed traffic — inbound ingest fanned out to three connections and /v2 publishes fanned
 * out to two event destinations — towards receivers in this process that answer at once, slowly (1.5 s), or fail
 * the first attempt of every message (so each one is retried), plus one destination that always fails (its
 * deliveries exhaust their retries). Every few seconds it samples the gateway's resident memory and open file
 * descriptors (/proc/<pid>/status and /proc/<pid>/fd: sockets, files, pipes). At the end it stops the traffic,
 * waits for the retries to drain, and checks that every acknowledged message reached every destination that can
 * succeed (nothing lost), and reports the slope of RSS and descriptors over the run after warm-up (flat = no leak).
 * Writes bench/results/<date>-soak.json.
 */
import { readdirSync, readlinkSync, writeFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, sleep } from './lib/common.js';
import { Api, memoryOf, ROOT, startGateway, stopGateway } from './lib/gateway.js';

export interface SoakOptions {
  durationMs: number;
  gatewayRoot: string;
  /** Inbound requests and /v2 events per second (each). */
  rate: number;
  name: string;
}

interface Sample {
  atS: number;
  rssMiB: number;
  fds: number;
  /** The descriptors by kind, so that growth can be told apart: connections (sockets) follow the load, files do not. */
  fdKinds: FdKinds;
  /** Requests the load generator had sent and not yet had answered when the sample was taken. */
  inFlight: number;
  acked: number;
}

interface FdKinds {
  sockets: number;
  files: number;
  pipes: number;
  other: number;
}

/** A receiver that records which messages arrived (`soak` in the body, or in a published event's data). */
function receiver(behaviour: 'ok' | 'slow' | 'flaky' | 'failing'): { server: Server; seen: Set<string>; attempts: { n: number } } {
  const seen = new Set<string>();
  const attempts = { n: 0 };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      attempts.n += 1;
      let key = '';
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { soak?: string; data?: { soak?: string } };
        key = body.soak ?? body.data?.soak ?? '';
      } catch {
        // not one of ours
      }
      const answer = (status: number) => res.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : 'no');
      if (behaviour === 'failing') return answer(503);
      if (behaviour === 'flaky' && !seen.has(`first:${key}`)) {
        seen.add(`first:${key}`);
        return answer(500);
      }
      seen.add(key);
      if (behaviour === 'slow') setTimeout(() => answer(200), 1500);
      else answer(200);
    });
  });
  return { server, seen, attempts };
}

async function listen(server: Server): Promise<string> {
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return `http://127.0.0.1:${port}`;
}

/** Least-squares slope of y over x. */
function slope(points: [number, number][]): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  const num = points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0);
  const den = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  return den === 0 ? 0 : num / den;
}

function fdsOf(pid: number): { fds: number; fdKinds: FdKinds } {
  const fdKinds: FdKinds = { sockets: 0, files: 0, pipes: 0, other: 0 };
  let fds = 0;
  try {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      let target = '';
      try {
        target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue; // closed between the listing and the look
      }
      fds += 1;
      if (target.startsWith('socket:')) fdKinds.sockets += 1;
      else if (target.startsWith('pipe:')) fdKinds.pipes += 1;
      else if (target.startsWith('/')) fdKinds.files += 1;
      else fdKinds.other += 1;
    }
  } catch {
    return { fds: Number.NaN, fdKinds };
  }
  return { fds, fdKinds };
}

export async function runSoak(options: SoakOptions): Promise<void> {
  const receivers = { ok: receiver('ok'), slow: receiver('slow'), flaky: receiver('flaky'), failing: receiver('failing') };
  const urls = Object.fromEntries(await Promise.all(Object.entries(receivers).map(async ([k, r]) => [k, await listen(r.server)] as const))) as Record<keyof typeof receivers, string>;
  const tmp = mkdtempSync(join(tmpdir(), 'sluice-soak-'));
  const gateway = await startGateway({
    root: options.gatewayRoot,
    dataDir: join(tmp, 'data'),
    port: await freePort(),
    // Fast retries, so that a flaky delivery succeeds and a failing one is exhausted within the drain.
    env: { SLUICE_RETRY_INTERVAL_MS: '500', SLUICE_RETRY_COUNT: '3' },
  });
  const api = new Api(gateway.url);
  const source = await api.source('soak');
  for (const name of ['ok', 'slow', 'flaky', 'failing'] as const) {
    // The slow one may hold 200 attempts at once (133/s at 1.5 s each): above the offered rate, so it keeps up.
    const cap = name === 'slow' ? { rate_limit: 200, rate_limit_period: 'concurrent' } : {};
    const destination = await api.destination(`soak-${name}`, urls[name], cap);
    await api.connection(`soak-${name}`, source.id, destination.id);
  }
  for (const name of ['ok', 'flaky'] as const) {
    await api.call('POST', '/v2/event-destinations', { name: `soak-${name}`, type: 'webhook', events: ['soak.*'], webhook: { url: urls[name] } });
  }

  const acked = { inbound: [] as string[], published: [] as string[], refused: 0 };
  const samples: Sample[] = [];
  // Descriptors of the idle gateway before any traffic: what the idle check at the end is compared with.
  const idleBefore = fdsOf(gateway.pid);
  const started = Date.now();
  let stop = false;
  let n = 0;
  const inFlight = new Set<Promise<void>>();
  const send = async (kind: 'inbound' | 'published', key: string): Promise<void> => {
    const res =
      kind === 'inbound'
        ? await fetch(api.ingestUrl(source.id), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ soak: key, pad: 'x'.repeat(512) }) })
        : await fetch(`${gateway.url}/v2/events`, {
            method: 'POST',
            headers: { authorization: 'Bearer bench_key_0123456789abcdef', 'content-type': 'application/json' },
            body: JSON.stringify({ type: 'soak.tick', id: key, data: { soak: key } }),
          });
    await res.arrayBuffer();
    if (res.ok) acked[kind].push(key);
    else acked.refused += 1;
  };
  const traffic = (async () => {
    const tickMs = 100;
    while (!stop) {
      const tickStart = Date.now();
      for (let i = 0; i < (options.rate * tickMs) / 1000; i += 1) {
        n += 1;
        for (const kind of ['inbound', 'published'] as const) {
          const p = send(kind, `${kind[0]}-${n}`).catch(() => void (acked.refused += 1));
          inFlight.add(p);
          void p.finally(() => inFlight.delete(p));
        }
      }
      await sleep(Math.max(0, tickMs - (Date.now() - tickStart)));
    }
  })();
  const sampleEveryMs = Math.max(1000, Math.min(30_000, options.durationMs / 120));
  const sampler = setInterval(() => {
    const memory = memoryOf(gateway.pid);
    samples.push({ atS: (Date.now() - started) / 1000, rssMiB: memory?.rssMiB ?? Number.NaN, ...fdsOf(gateway.pid), inFlight: inFlight.size, acked: acked.inbound.length + acked.published.length });
    const last = samples.at(-1);
    if (samples.length % 10 === 0 && last !== undefined) {
      const k = last.fdKinds;
      process.stdout.write(`  ${last.atS.toFixed(0)} s: RSS ${last.rssMiB.toFixed(1)} MiB, ${last.fds} fds (${k.sockets} sockets, ${k.files} files, ${k.pipes} pipes, ${k.other} other), ${last.inFlight} in flight, ${last.acked} acked\n`);
    }
  }, sampleEveryMs);
  await sleep(options.durationMs);
  stop = true;
  await traffic;
  await Promise.all(inFlight);
  clearInterval(sampler);

  // Drain: every acknowledged message must reach the destinations that can succeed.
  const expected = {
    ok: [...acked.inbound, ...acked.published],
    slow: acked.inbound,
    flaky: [...acked.inbound, ...acked.published],
  };
  const missing = () => Object.fromEntries(Object.entries(expected).map(([k, keys]) => [k, keys.filter((key) => !receivers[k as keyof typeof expected].seen.has(key)).length]));
  const drainStart = Date.now();
  const drainLimitMs = Math.max(120_000, options.durationMs / 5);
  while (Object.values(missing()).some((m) => m > 0) && Date.now() - drainStart < drainLimitMs) await sleep(500);
  const lost = missing();
  const drainS = (Date.now() - drainStart) / 1000;
  // What did not arrive is either still waiting in the store (a backlog: slow, not lost) or lost.
  const pending = await api.call<{ total_count: number }>('GET', `/events?status=QUEUED,SCHEDULED&limit=1`);
  const failingEvents = await api.call<{ total_count: number }>('GET', `/events?status=FAILED&limit=1`);
  // The idle check: once the failing destination's retries are over and every keep-alive connection has timed out
  // (the gateway's inbound ones after Fastify's keep-alive timeout of 72 s, its outbound ones after at most 10 s:
  // src/destinations/http/sender.ts), a gateway that leaks nothing holds what it held before the traffic. Sockets
  // that follow the load (connection pools) go; leaked ones stay.
  const idleStart = Date.now();
  while (Date.now() - idleStart < 300_000 && (await api.call<{ total_count: number }>('GET', `/events?status=QUEUED,SCHEDULED&limit=1`)).total_count > 0) {
    await sleep(1000);
  }
  await sleep(80_000);
  const idleAfter = { ...fdsOf(gateway.pid), afterS: (Date.now() - idleStart) / 1000 };
  await stopGateway(gateway);
  await Promise.all(Object.values(receivers).map((r) => new Promise((resolve) => r.server.close(resolve))));
  rmSync(tmp, { recursive: true, force: true });

  const steady = samples.filter((s) => s.atS >= (options.durationMs / 1000) * 0.2);
  const perHour = 3600;
  const report = {
    date: new Date(started).toISOString(),
    profile: 'soak',
    durationS: options.durationMs / 1000,
    ratePerSecond: { inbound: options.rate, published: options.rate },
    loadavgAtEnd: loadavg(),
    acked: { inbound: acked.inbound.length, published: acked.published.length, refused: acked.refused },
    delivered: Object.fromEntries(Object.entries(expected).map(([k, keys]) => [k, keys.length - (lost[k] ?? 0)])),
    lost,
    inboundStillPendingAfterDrain: pending.total_count,
    drainSeconds: drainS,
    idleFds: { before: idleBefore, after: idleAfter },
    attempts: Object.fromEntries(Object.entries(receivers).map(([k, r]) => [k, r.attempts.n])),
    failingDestinationEventsFailed: failingEvents.total_count,
    rssMiB: { first: steady[0]?.rssMiB, last: steady.at(-1)?.rssMiB, max: Math.max(...samples.map((s) => s.rssMiB)), slopePerHour: slope(steady.map((s) => [s.atS, s.rssMiB])) * perHour },
    fds: { first: steady[0]?.fds, last: steady.at(-1)?.fds, max: Math.max(...samples.map((s) => s.fds)), slopePerHour: slope(steady.map((s) => [s.atS, s.fds])) * perHour },
    // Descriptors that are not sockets (files, pipes, event fds): these do not follow the load, so any slope is a leak.
    nonSocketFds: {
      first: steady[0] === undefined ? undefined : steady[0].fds - steady[0].fdKinds.sockets,
      last: steady.at(-1) === undefined ? undefined : (steady.at(-1) as Sample).fds - (steady.at(-1) as Sample).fdKinds.sockets,
      max: Math.max(...samples.map((s) => s.fds - s.fdKinds.sockets)),
      slopePerHour: slope(steady.map((s) => [s.atS, s.fds - s.fdKinds.sockets])) * perHour,
    },
    samples,
  };
  const dir = join(ROOT, 'bench/results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${options.name}-soak.json`), `${JSON.stringify(report, null, 2)}\n`);
  const lostTotal = Object.values(lost).reduce((s, m) => s + m, 0);
  process.stdout.write(
    [
      '',
      `soak ${report.durationS} s at ${options.rate}/s inbound + ${options.rate}/s published (load average at end ${report.loadavgAtEnd.map((l) => l.toFixed(2)).join(' ')})`,
      `  acked: ${report.acked.inbound} inbound, ${report.acked.published} published, ${report.acked.refused} refused`,
      `  delivered: ${JSON.stringify(report.delivered)}; not arrived: ${lostTotal} (${JSON.stringify(lost)}) after a ${drainS.toFixed(1)} s drain, inbound events still pending in the store: ${pending.total_count}`,
      `  attempts by receiver: ${JSON.stringify(report.attempts)}; always-failing destination: ${report.failingDestinationEventsFailed} events FAILED`,
      `  RSS ${report.rssMiB.first?.toFixed(1)} → ${report.rssMiB.last?.toFixed(1)} MiB (max ${report.rssMiB.max.toFixed(1)}), slope ${report.rssMiB.slopePerHour.toFixed(1)} MiB/h after warm-up`,
      `  open fds ${report.fds.first} → ${report.fds.last} (max ${report.fds.max}), slope ${report.fds.slopePerHour.toFixed(1)}/h after warm-up`,
      `  idle gateway: ${idleBefore.fds} fds (${idleBefore.fdKinds.sockets} sockets) before the traffic, ${idleAfter.fds} fds (${idleAfter.fdKinds.sockets} sockets) ${idleAfter.afterS.toFixed(0)} s after the drain, once its retries were over`,
      `  of which not sockets ${report.nonSocketFds.first} → ${report.nonSocketFds.last} (max ${report.nonSocketFds.max}), slope ${report.nonSocketFds.slopePerHour.toFixed(1)}/h`,
      `wrote bench/results/${options.name}-soak.json`,
      '',
    ].join('\n'),
  );
  if (lostTotal > 0) throw new Error(`soak: ${lostTotal} acknowledged deliveries did not arrive within the drain (${pending.total_count} inbound events still pending)`);
}
