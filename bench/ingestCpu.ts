/**
 * The gateway's CPU time per durable ingest request, for before/after comparisons on a loaded machine (where the
 * throughput of `bench/run.ts` moves with the neighbours' load, CPU time per request much less):
 *
 *   npx tsx bench/ingestCpu.ts <checkout with a build>
 *
 * Starts that checkout's gateway on a fresh data directory, one source with one paused connection (each request
 * stores its event, HOLD, as in the ingest scenario), warms up, then sends N requests (default 30,000) from 64
 * concurrent senders, then 4 s at a fixed 5,000/s, and prints the gateway's CPU time (whole process, and its main
 * thread) per request in each phase, as one JSON line.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'undici';
import { messageBody, sleep } from './lib/common.js';
import { Api, cpuSecondsOf, mainThreadCpuSecondsOf, startGateway, stopGateway } from './lib/gateway.js';

const root = process.argv[2];
if (root === undefined) throw new Error('usage: npx tsx bench/ingestCpu.ts <checkout with a build>');
const total = Number(process.env.N ?? 30_000);
const CONCURRENCY = 64;
const RATE = 5000;

const dataDir = mkdtempSync(join(tmpdir(), 'sluice-ingest-cpu-'));
const gw = await startGateway({ root, dataDir, port: 39_000 + Math.floor(Math.random() * 1000) });
const api = new Api(gw.url);
const source = await api.source('cpu');
const destination = await api.destination('cpu-sink', 'http://127.0.0.1:9/unused');
await api.pause((await api.connection('held', source.id, destination.id)).id);
const url = new URL(api.ingestUrl(source.id));
const pool = new Pool(url.origin, { connections: CONCURRENCY, pipelining: 1 });
let sent = 0;

async function one(): Promise<void> {
  const res = await pool.request({ path: url.pathname, method: 'POST', headers: { 'content-type': 'application/json' }, body: messageBody(`c-${sent++}`, Date.now()) });
  await res.body.dump();
  if (res.statusCode !== 200) throw new Error(`ingest answered ${res.statusCode}`);
}

async function closedLoop(count: number): Promise<number> {
  let left = count;
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (left-- > 0) await one();
  }));
  return count;
}

async function fixedRate(ms: number): Promise<number> {
  const start = Date.now();
  const inFlight: Promise<void>[] = [];
  while (Date.now() - start < ms) {
    const due = Math.floor(((Date.now() - start) / 1000) * RATE);
    while (inFlight.length < due) inFlight.push(one());
    await sleep(1);
  }
  await Promise.all(inFlight);
  return inFlight.length;
}

async function perRequest(phase: () => Promise<number>): Promise<{ requests: number; usPerRequest: number; usMainPerRequest: number; cpuPercent: number }> {
  const [c0, m0, t0] = [cpuSecondsOf(gw.pid) ?? 0, mainThreadCpuSecondsOf(gw.pid) ?? 0, Date.now()];
  const requests = await phase();
  const cpu = (cpuSecondsOf(gw.pid) ?? 0) - c0;
  const main = (mainThreadCpuSecondsOf(gw.pid) ?? 0) - m0;
  const round = (v: number) => Math.round(v * 10) / 10;
  return { requests, usPerRequest: round((cpu / requests) * 1e6), usMainPerRequest: round((main / requests) * 1e6), cpuPercent: Math.round((cpu / ((Date.now() - t0) / 1000)) * 100) };
}

try {
  await closedLoop(5000);
  const saturation = await perRequest(() => closedLoop(total));
  const fixed = await perRequest(() => fixedRate(4000));
  console.log(JSON.stringify({ root, load: loadavg()[0], saturation, fixed }));
} finally {
  await pool.close();
  await stopGateway(gw);
  rmSync(dataDir, { recursive: true, force: true });
}
