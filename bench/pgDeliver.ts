/**
 * `tsx bench/pgDeliver.ts [--roots a,b] [--events 10000] [--workers 3] [--rounds 2] [--cap 20]`: PostgreSQL delivery
 * alone, and where its time goes. For each build root (alternating, `--rounds` times): one API process and
 * `--workers` worker processes on a fresh database; `--events` requests are ingested while the connection is
 * paused (stored HOLD, nothing delivered), then it is unpaused and the time until an in-process receiver has seen
 * every one is the delivery rate — ingest does not compete for the cores, so this is the workers' own pace.
 *
 * While the backlog drains, the database is sampled every few milliseconds: how many events are leased (the
 * destination's cap counts them across processes), and what each worker connection is doing
 * (pg_stat_activity: active statement, idle in transaction = waiting for its client, wait events such as
 * WalSync). That tells a cap- or latency-bound delivery from a claim-bound one. Needs PostgreSQL at
 * BENCH_DATABASE_URL (default the local server's `postgres` database) and `npm run build` in each root.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { Api, ROOT } from './lib/gateway.js';
import { withPostgresDeployment } from './lib/postgres.js';

interface Args {
  roots: string[];
  events: number;
  workers: number;
  rounds: number;
  cap: number | null;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { roots: [ROOT], events: 10_000, workers: 3, rounds: 1, cap: null };
  for (let i = 0; i < argv.length; i++) {
    const value = argv[i + 1] ?? '';
    switch (argv[i]) {
      case '--roots':
        args.roots = value.split(',').map((r) => resolve(r));
        break;
      case '--events':
        args.events = Number(value);
        break;
      case '--workers':
        args.workers = Number(value);
        break;
      case '--rounds':
        args.rounds = Number(value);
        break;
      case '--cap':
        args.cap = Number(value);
        break;
      default:
        throw new Error(`unknown argument ${argv[i]}`);
    }
    i++;
  }
  return args;
}

/** A receiver that answers 200 at once and counts distinct event ids. */
async function receiver(): Promise<{ url: string; seen: Set<string>; total: () => number; close: () => Promise<void> }> {
  const seen = new Set<string>();
  let total = 0;
  const server = createServer((req, res) => {
    total++;
    const id = req.headers['x-sluice-event-id'];
    if (typeof id === 'string') seen.add(id);
    req.resume();
    req.on('end', () => res.end('ok'));
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/in`, seen, total: () => total, close: () => new Promise((r) => server.close(() => r())) };
}

async function ingest(url: string, count: number): Promise<void> {
  let next = 0;
  const body = JSON.stringify({ hello: 'world', pad: 'x'.repeat(900) });
  const sender = async () => {
    while (next < count) {
      next++;
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      await res.arrayBuffer();
      if (!res.ok) throw new Error(`ingest answered ${res.status}`);
    }
  };
  await Promise.all(Array.from({ length: 32 }, sender));
}

interface Sample {
  leased: number;
  states: Record<string, number>;
}

/** Samples the database until stopped. */
function sampler(databaseUrl: string): { stop: () => Promise<Sample[]> } {
  const client = new pg.Client({ connectionString: databaseUrl, application_name: 'bench-sampler' });
  const samples: Sample[] = [];
  let running = true;
  const loop = (async () => {
    await client.connect();
    while (running) {
      const leased = await client.query<{ n: string }>('SELECT count(*) AS n FROM events WHERE lease_token IS NOT NULL');
      const activity = await client.query<{ what: string; n: string }>(
        `SELECT CASE WHEN state = 'active' THEN 'active: ' || coalesce(wait_event_type || '/' || wait_event || ' ', '') || left(regexp_replace(query, '\\s+', ' ', 'g'), 48)
                     ELSE state || coalesce(' ' || wait_event, '') END AS what, count(*) AS n
         FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND application_name <> 'sluice-listen'
         GROUP BY 1`,
      );
      const states: Record<string, number> = {};
      for (const row of activity.rows) states[row.what] = Number(row.n);
      samples.push({ leased: Number(leased.rows[0]?.n ?? 0), states });
      await new Promise((r) => setTimeout(r, 5));
    }
    await client.end();
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return samples;
    },
  };
}

function summarise(samples: Sample[]): void {
  const leased = samples.map((s) => s.leased).sort((a, b) => a - b);
  const at = (q: number) => leased[Math.min(leased.length - 1, Math.floor(q * leased.length))] ?? 0;
  process.stdout.write(`    leased events: p10 ${at(0.1)}, p50 ${at(0.5)}, p90 ${at(0.9)} (${samples.length} samples)\n`);
  const totals = new Map<string, number>();
  for (const s of samples) for (const [what, n] of Object.entries(s.states)) totals.set(what, (totals.get(what) ?? 0) + n);
  const top = [...totals].sort((a, b) => b[1] - a[1]).slice(0, 14);
  for (const [what, n] of top) process.stdout.write(`    ${(n / samples.length).toFixed(2).padStart(6)} connections  ${what}\n`);
}

async function once(root: string, args: Args, tmp: string): Promise<number> {
  const sink = await receiver();
  try {
    return await withPostgresDeployment({ tmp, root, workers: args.workers }, async ({ api: gw, databaseUrl }) => {
      const api = new Api(gw.url);
      const source = await api.source('bench-pg-deliver');
      const destination = await api.destination('bench-pg-deliver-sink', sink.url, args.cap === null ? {} : { rate_limit: args.cap, rate_limit_period: 'concurrent' });
      const connection = await api.connection('bench-pg-deliver', source.id, destination.id);
      await api.pause(connection.id);
      await ingest(api.ingestUrl(source.id), args.events);
      const watch = sampler(databaseUrl);
      const started = performance.now();
      await api.unpause(connection.id);
      while (sink.seen.size < args.events) await new Promise((r) => setTimeout(r, 5));
      const seconds = (performance.now() - started) / 1000;
      const samples = await watch.stop();
      const rate = args.events / seconds;
      process.stdout.write(`  ${root}: ${rate.toFixed(0)}/s (${seconds.toFixed(2)} s, ${sink.total() - sink.seen.size} duplicates), load ${loadavg()[0]?.toFixed(2)}\n`);
      summarise(samples);
      return rate;
    });
  } finally {
    await sink.close();
  }
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const tmp = mkdtempSync(join(tmpdir(), 'sluice-pgdeliver-'));
  process.stdout.write(`${args.events} events, ${args.workers} workers, cap ${args.cap ?? 'default'}; load ${loadavg().map((l) => l.toFixed(2)).join(' ')}\n`);
  const rates = new Map<string, number[]>();
  for (let round = 0; round < args.rounds; round++) {
    for (const root of args.roots) {
      const rate = await once(root, args, tmp);
      rates.set(root, [...(rates.get(root) ?? []), rate]);
    }
  }
  for (const [root, list] of rates) process.stdout.write(`${root}: ${list.map((r) => r.toFixed(0)).join(', ')} /s\n`);
}

await main();
