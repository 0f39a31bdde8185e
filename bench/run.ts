/**
 * `npm run bench`: every scenario of issue 3 in one run, so that the ratios compare like with like on the same
 * machine at the same moment. The gateway under test, the load generator, the sink, the bare-Fastify ceiling, the
 * raw forwarder and the BullMQ baseline each run in their own process; this one only orchestrates, then prints a
 * table, writes bench/results/<date>.json and .svg (and a profile summary with --profile).
 *
 *   npm run bench                       default profile (under 5 minutes on 2 cores)
 *   npm run bench -- --quick            short phases, 100,000-delivery backlog (about a minute, for checking)
 *   npm run bench -- --scenario e2e     one scenario (repeatable, or comma-separated)
 *   npm run bench -- --profile          gateway under `node --cpu-prof`; top self-time functions per scenario
 *   npm run bench -- --postgres         the PostgreSQL profile: ingest and end to end (1 API + 3 worker processes)
 *                                       on PostgreSQL, beside the ceiling and SQLite's ingest and end to end
 *   npm run bench -- --no-build         skip `npm run build` (dist/ must be current)
 *   npm run bench -- --gateway-root DIR build and run the gateway of another checkout (before/after comparisons)
 *   npm run bench -- --gateway-env K=V  extra environment for the gateway processes (repeatable), e.g. SLUICE_HTTP_THREAD=off
 *   npm run bench -- --soak [--duration 60m] [--rate 50]
 *                                       the soak profile instead (bench/soak.ts): mixed traffic with failing and slow
 *                                       destinations for the duration (default 60m; `s`, `m` or `h`), RSS and open
 *                                       descriptors sampled, nothing lost checked at the end
 */
import { execSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, freemem, loadavg, tmpdir, totalmem } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { renderChart, type ChartRow } from './lib/chart.js';
import { ask, forkBench, freePort, ready, sleep, stopChild, summarise, wallMs, type LoadResult, type LoadSpec, type SinkStats } from './lib/common.js';
import { Api, cpuSecondsOf, gatherCpuProfiles, mainThreadCpuSecondsOf, ROOT, startGateway, stopGateway, watchMemory, type GatewayChild } from './lib/gateway.js';
import { assertPostgres, SERVER_URL, withPostgresDeployment } from './lib/postgres.js';
import { readDueTimes, readRetryLateness, seedBacklog, seedRetries, type Route } from './lib/seed.js';
import { formatProfile, summariseProfileFile } from './profileSummary.js';
import { runSoak } from './soak.js';
import { stamp } from './resultName.js';

// Profiles

interface Profile {
  name: 'default' | 'quick';
  warmupMs: number;
  durationMs: number;
  /** Requests in flight (saturation) and pool connections of the load generator. */
  concurrency: number;
  backlog: number;
  /** How long the backlog's drain is measured (after its first second). */
  backlogWindowMs: number;
  retries: number;
}

const PROFILES: Record<Profile['name'], Profile> = {
  default: { name: 'default', warmupMs: 2000, durationMs: 8000, concurrency: 64, backlog: 1_000_000, backlogWindowMs: 15_000, retries: 10_000 },
  quick: { name: 'quick', warmupMs: 1000, durationMs: 3000, concurrency: 64, backlog: 100_000, backlogWindowMs: 4000, retries: 10_000 },
};

const INGEST_RATE = 5000;
const E2E_RATE = 2000;
const FANOUT = 10;
/** Worker processes of the PostgreSQL end-to-end scenario (issue 5: three). */
const PG_WORKERS = 3;
/** What `--postgres` runs: the PostgreSQL scenarios beside the SQLite ones they compare with, in one run. */
const POSTGRES_RUN = ['ceiling', 'ingest', 'pg-ingest', 'e2e', 'pg-e2e'];
/** Scenarios a plain run leaves out (they need a PostgreSQL server): `--postgres` or `--scenario` selects them. */
const OPT_IN = new Set(['pg-ingest', 'pg-e2e']);

// Results

interface Phase {
  label: string;
  kind: 'sluice' | 'reference';
  /** per second: requests answered (ingest) or messages delivered (delivery scenarios) */
  throughput: number | null;
  p50: number | null;
  p99: number | null;
  details: Record<string, unknown>;
}

interface ScenarioResult {
  name: string;
  title: string;
  phases: Record<string, Phase>;
  loadavgAtStart: number[];
  seconds: number;
  notes: string[];
  profile?: string;
}

interface Context {
  profile: Profile;
  tmp: string;
  sink: ChildProcess;
  sinkBase: string;
  loadgen: ChildProcess;
  /** Path prefix of the gateway CPU profiles (--profile), null = no profiling. */
  cpuProfilePrefix: string | null;
  /** The checkout whose gateway build is under test. */
  gatewayRoot: string;
  /** Extra environment of the gateway processes (--gateway-env), e.g. SLUICE_HTTP_THREAD=off for an A/B run. */
  gatewayEnv: Record<string, string>;
}

// Helpers

function spec(ctx: Context, targets: string[], mode: LoadSpec['mode'], tag: string, rate = 0): LoadSpec {
  return { targets, mode, rate, concurrency: ctx.profile.concurrency, warmupMs: ctx.profile.warmupMs, durationMs: ctx.profile.durationMs, tag };
}

function sinkStats(ctx: Context, from = 0, to = Number.POSITIVE_INFINITY): Promise<SinkStats> {
  return ask<SinkStats>(ctx.sink, { type: 'stats', from, to }, 'stats');
}

async function resetSink(ctx: Context): Promise<void> {
  await ask(ctx.sink, { type: 'reset' }, 'reset-done');
}

/** Waits until the sink has `expected` distinct messages, or makes no progress for `stallMs`. */
async function waitForDeliveries(ctx: Context, expected: number, stallMs = 8000, limitMs = 90_000): Promise<SinkStats> {
  const deadline = Date.now() + limitMs;
  let last = -1;
  let lastChange = Date.now();
  for (;;) {
    const stats = await sinkStats(ctx);
    if (stats.unique >= expected) return stats;
    if (stats.unique !== last) {
      last = stats.unique;
      lastChange = Date.now();
    }
    if (Date.now() - lastChange > stallMs || Date.now() > deadline) return stats;
    await sleep(200);
  }
}

function cpuShare(pid: number | undefined, run: () => Promise<LoadResult>): Promise<{ load: LoadResult; cpu: number | null }> {
  const c0 = pid === undefined ? null : cpuSecondsOf(pid);
  const t0 = wallMs();
  return run().then((load) => {
    const c1 = pid === undefined ? null : cpuSecondsOf(pid);
    return { load, cpu: c0 === null || c1 === null ? null : (c1 - c0) / ((wallMs() - t0) / 1000) };
  });
}

/** Ingest-only phase: the load generator's own answer rate and latency. */
async function ingestPhase(ctx: Context, label: string, kind: Phase['kind'], load: LoadSpec, pid?: number): Promise<Phase> {
  const { load: r, cpu } = await cpuShare(pid, () => ask<LoadResult>(ctx.loadgen, { type: 'run', spec: load }, 'result'));
  return {
    label,
    kind,
    throughput: load.mode === 'fixed' ? r.ok / (load.durationMs / 1000) : r.throughput,
    p50: r.latency.p50,
    p99: r.latency.p99,
    details: { mode: load.mode, rate: load.rate || null, sent: r.sent, failed: r.failed, statuses: r.statuses, latency: r.latency, serverCpu: cpu, maxPacerLagMs: r.maxPacerLagMs, drained: r.drained },
  };
}

/**
 * Delivery phase: load into `targets`, then wait until the sink has every message (× `perMessage` routes).
 * Throughput: at a fixed rate, distinct deliveries received during the measured window; at saturation, every
 * delivery over the time from the first send to the last delivery (the sustained end-to-end rate). Latency =
 * delivered − sent, for the messages sent in the measured window.
 */
async function deliveryPhase(ctx: Context, label: string, kind: Phase['kind'], load: LoadSpec, perMessage: number, pid?: number): Promise<Phase> {
  await resetSink(ctx);
  const spent = cpuSpent(pid);
  const { load: r, cpu } = await cpuShare(pid, () => ask<LoadResult>(ctx.loadgen, { type: 'run', spec: load }, 'result'));
  const expected = r.okTotal * perMessage;
  const drained = await waitForDeliveries(ctx, expected);
  const perDelivery = spent.per(drained.unique);
  const s = await sinkStats(ctx, r.windowStart, r.windowEnd);
  // Saturation: everything accepted (warm-up included) over the time from the first send to the last delivery,
  // so a system that accepts fast and delivers later is credited with its real end-to-end rate, not its intake.
  const startedAt = r.windowStart - load.warmupMs;
  const sustained = drained.lastAt === null ? 0 : drained.unique / ((drained.lastAt - startedAt) / 1000);
  const duringLoad = s.inWindow / (load.durationMs / 1000);
  return {
    label,
    kind,
    throughput: load.mode === 'saturation' ? sustained : duringLoad,
    p50: s.latency.p50,
    p99: s.latency.p99,
    details: {
      deliveredPerSecondDuringLoad: duringLoad,
      secondsToLastDelivery: drained.lastAt === null ? null : (drained.lastAt - startedAt) / 1000,
      mode: load.mode,
      rate: load.rate || null,
      accepted: r.okTotal,
      acceptedPerSecond: r.throughput,
      failed: r.failed,
      statuses: r.statuses,
      ingestLatency: r.latency,
      deliveryLatency: s.latency,
      delivered: drained.unique,
      undelivered: Math.max(0, expected - drained.unique),
      duplicates: drained.duplicates,
      serverCpu: cpu,
      ...perDelivery,
      maxPacerLagMs: r.maxPacerLagMs,
    },
  };
}

/**
 * The gateway's CPU time from now to `per()`, per delivery: the whole process and its main thread, in µs. Null
 * figures for a process not measured (the baselines run elsewhere).
 */
function cpuSpent(pid: number | undefined): { per(deliveries: number): { cpuUsPerDelivery: number | null; mainThreadCpuUsPerDelivery: number | null } } {
  const all0 = pid === undefined ? null : cpuSecondsOf(pid);
  const main0 = pid === undefined ? null : mainThreadCpuSecondsOf(pid);
  const per = (from: number | null, to: number | null, deliveries: number) => (from === null || to === null || deliveries <= 0 ? null : ((to - from) * 1e6) / deliveries);
  return {
    per: (deliveries) => ({
      cpuUsPerDelivery: pid === undefined ? null : per(all0, cpuSecondsOf(pid), deliveries),
      mainThreadCpuUsPerDelivery: pid === undefined ? null : per(main0, mainThreadCpuSecondsOf(pid), deliveries),
    }),
  };
}

async function withGateway<T>(ctx: Context, name: string, run: (gw: GatewayChild, api: Api) => Promise<T>, opts: { profile?: boolean; dataDir?: string } = {}): Promise<{ value: T; profile: string | null }> {
  const dataDir = opts.dataDir ?? join(ctx.tmp, name);
  const profileFile = opts.profile === true && ctx.cpuProfilePrefix !== null ? `${ctx.cpuProfilePrefix}-${name}.cpuprofile` : undefined;
  const gw = await startGateway({ root: ctx.gatewayRoot, dataDir, port: await freePort(), cpuProfile: profileFile, env: ctx.gatewayEnv });
  let value: T;
  try {
    value = await run(gw, new Api(gw.url));
  } finally {
    await stopGateway(gw);
  }
  let profile: string | null = null;
  if (profileFile !== undefined) {
    const threads = gatherCpuProfiles(profileFile);
    const files = existsSync(profileFile) ? [profileFile, ...threads] : threads;
    if (files.length > 0) profile = files.map((file) => formatProfile(summariseProfileFile(file, 25), `${name}: ${basename(file)}`)).join('\n');
  }
  return { value, profile };
}

const sinkUrl = (ctx: Context, path: string) => `${ctx.sinkBase}${path}`;

// Scenarios

type Scenario = (ctx: Context) => Promise<Omit<ScenarioResult, 'name' | 'loadavgAtStart' | 'seconds'>>;

const scenarios: Record<string, { title: string; run: Scenario }> = {
  ceiling: {
    title: 'Ceiling: bare Fastify route that stores nothing',
    run: async (ctx) => {
      const port = await freePort();
      const child = forkBench('bareFastify.ts', [String(port)]);
      await ready(child);
      const url = `http://127.0.0.1:${port}/e/src_ceiling`;
      try {
        const saturation = await ingestPhase(ctx, 'ceiling: bare Fastify, saturation', 'reference', spec(ctx, [url], 'saturation', 'ceil-s'), child.pid);
        const fixed = await ingestPhase(ctx, `ceiling: bare Fastify, ${INGEST_RATE}/s`, 'reference', spec(ctx, [url], 'fixed', 'ceil-f', INGEST_RATE), child.pid);
        return { title: scenarios.ceiling!.title, phases: { saturation, fixed }, notes: [] };
      } finally {
        await stopChild(child);
      }
    },
  },

  ingest: {
    title: 'Durable ingest: POST /e/:source_id, request + event committed (fsync) before the 200',
    run: async (ctx) => {
      const { value, profile } = await withGateway(
        ctx,
        'ingest',
        async (gw, api) => {
          const source = await api.source('bench-ingest');
          const destination = await api.destination('bench-ingest-sink', sinkUrl(ctx, '/ingest'));
          const connection = await api.connection('held', source.id, destination.id);
          // Paused: each request still stores its event (HOLD), but no delivery competes with ingest for the CPU.
          await api.pause(connection.id);
          const url = api.ingestUrl(source.id);
          const saturation = await ingestPhase(ctx, 'ingest: saturation', 'sluice', spec(ctx, [url], 'saturation', 'ing-s'), gw.pid);
          const fixed = await ingestPhase(ctx, `ingest: ${INGEST_RATE}/s`, 'sluice', spec(ctx, [url], 'fixed', 'ing-f', INGEST_RATE), gw.pid);
          return { saturation, fixed };
        },
        { profile: true },
      );
      return {
        title: scenarios.ingest!.title,
        phases: value,
        notes: ['The connection is paused, so each request stores its event (HOLD) and nothing is delivered: ingest alone is measured.'],
        ...(profile === null ? {} : { profile }),
      };
    },
  },

  e2e: {
    title: 'End to end: ingest → delivered to the sink (one connection)',
    run: async (ctx) => {
      const { value, profile } = await withGateway(
        ctx,
        'e2e',
        async (gw, api) => {
          const source = await api.source('bench-e2e');
          const destination = await api.destination('bench-e2e-sink', sinkUrl(ctx, '/e2e'));
          await api.connection('to-sink', source.id, destination.id);
          const url = api.ingestUrl(source.id);
          const saturation = await deliveryPhase(ctx, 'end to end: saturation', 'sluice', spec(ctx, [url], 'saturation', 'e2e-s'), 1, gw.pid);
          const fixed = await deliveryPhase(ctx, `end to end: ${E2E_RATE}/s`, 'sluice', spec(ctx, [url], 'fixed', 'e2e-f', E2E_RATE), 1, gw.pid);
          return { saturation, fixed };
        },
        { profile: true },
      );
      return { title: scenarios.e2e!.title, phases: value, notes: ['Latency = time delivered at the sink − send time written in the body by the load generator (includes ingest).'], ...(profile === null ? {} : { profile }) };
    },
  },

  'pg-ingest': {
    title: 'PostgreSQL: durable ingest through one API process (SLUICE_ROLE=api), request + event committed before the 200',
    run: async (ctx) => {
      await assertPostgres();
      const phases = await withPostgresDeployment({ tmp: ctx.tmp, root: ctx.gatewayRoot, workers: 0 }, async ({ api: gw }) => {
        const api = new Api(gw.url);
        const source = await api.source('bench-pg-ingest');
        const destination = await api.destination('bench-pg-ingest-sink', sinkUrl(ctx, '/pg-ingest'));
        const connection = await api.connection('held', source.id, destination.id);
        await api.pause(connection.id);
        const url = api.ingestUrl(source.id);
        const saturation = await ingestPhase(ctx, 'PostgreSQL ingest: saturation', 'sluice', spec(ctx, [url], 'saturation', 'pgi-s'), gw.pid);
        const fixed = await ingestPhase(ctx, `PostgreSQL ingest: ${INGEST_RATE}/s`, 'sluice', spec(ctx, [url], 'fixed', 'pgi-f', INGEST_RATE), gw.pid);
        return { saturation, fixed };
      });
      return {
        title: scenarios['pg-ingest']!.title,
        phases,
        notes: [`PostgreSQL at ${SERVER_URL.replace(/\/\/[^@]*@/, '//')} on the same machine; the connection is paused (events stored HOLD), as in the SQLite ingest scenario.`],
      };
    },
  },

  'pg-e2e': {
    title: `PostgreSQL: end to end through one API process and ${PG_WORKERS} worker processes`,
    run: async (ctx) => {
      await assertPostgres();
      const phases = await withPostgresDeployment({ tmp: ctx.tmp, root: ctx.gatewayRoot, workers: PG_WORKERS }, async ({ api: gw, workers }) => {
        const api = new Api(gw.url);
        const source = await api.source('bench-pg-e2e');
        const destination = await api.destination('bench-pg-e2e-sink', sinkUrl(ctx, '/pg-e2e'));
        await api.connection('to-sink', source.id, destination.id);
        const url = api.ingestUrl(source.id);
        const workerCpu = async (phase: () => Promise<Phase>): Promise<Phase> => {
          const cpu = () => workers.reduce((sum, w) => sum + (cpuSecondsOf(w.pid) ?? 0), 0);
          const c0 = cpu();
          const t0 = wallMs();
          const result = await phase();
          result.details.workersCpu = (cpu() - c0) / ((wallMs() - t0) / 1000);
          return result;
        };
        const saturation = await workerCpu(() => deliveryPhase(ctx, 'PostgreSQL end to end: saturation', 'sluice', spec(ctx, [url], 'saturation', 'pge-s'), 1, gw.pid));
        const fixed = await workerCpu(() => deliveryPhase(ctx, `PostgreSQL end to end: ${E2E_RATE}/s`, 'sluice', spec(ctx, [url], 'fixed', 'pge-f', E2E_RATE), 1, gw.pid));
        return { saturation, fixed };
      });
      return {
        title: scenarios['pg-e2e']!.title,
        phases,
        notes: [
          `One API process (SLUICE_ROLE=api) and ${PG_WORKERS} workers (SLUICE_ROLE=worker, woken by LISTEN/NOTIFY), all on this machine with PostgreSQL; cpu = the API process, workersCpu = the workers together (in cores).`,
        ],
      };
    },
  },

  raw: {
    title: 'Raw forwarder: receive → forward with undici → answer (stores nothing, retries nothing)',
    run: async (ctx) => {
      const port = await freePort();
      const child = forkBench('rawForwarder.ts', [String(port), sinkUrl(ctx, '/raw')]);
      await ready(child);
      const url = `http://127.0.0.1:${port}/e/src_raw`;
      try {
        const saturation = await deliveryPhase(ctx, 'raw forwarder: saturation', 'reference', spec(ctx, [url], 'saturation', 'raw-s'), 1, child.pid);
        const fixed = await deliveryPhase(ctx, `raw forwarder: ${E2E_RATE}/s`, 'reference', spec(ctx, [url], 'fixed', 'raw-f', E2E_RATE), 1, child.pid);
        return { title: scenarios.raw!.title, phases: { saturation, fixed }, notes: [] };
      } finally {
        await stopChild(child);
      }
    },
  },

  bullmq: {
    title: 'What teams build instead: Fastify + BullMQ (Redis) + undici worker',
    run: async (ctx) => {
      await assertRedis();
      const port = await freePort();
      const queue = `sluice-bench-${process.pid}-${Date.now()}`;
      const apiChild = forkBench('bullmqBaseline.ts', ['api', String(port), queue]);
      const workerChild = forkBench('bullmqBaseline.ts', ['worker', '0', queue, sinkUrl(ctx, '/bullmq')]);
      await Promise.all([ready(apiChild), ready(workerChild)]);
      const url = `http://127.0.0.1:${port}/e/src_bullmq`;
      try {
        const saturation = await deliveryPhase(ctx, 'BullMQ baseline: saturation', 'reference', spec(ctx, [url], 'saturation', 'bmq-s'), 1, apiChild.pid);
        const fixed = await deliveryPhase(ctx, `BullMQ baseline: ${E2E_RATE}/s`, 'reference', spec(ctx, [url], 'fixed', 'bmq-f', E2E_RATE), 1, apiChild.pid);
        return {
          title: scenarios.bullmq!.title,
          phases: { saturation, fixed },
          notes: [
            'API and worker are separate processes (worker concurrency 50); jobs: attempts 11, exponential backoff from 30 s, removeOnComplete {count: 1000}.',
            `Durability: a 200 means Redis has the job in memory. This machine's Redis persists nothing (save "${redisConfig('save')}", appendonly ${redisConfig('appendonly')}): a Redis restart loses every queued job.`,
          ],
        };
      } finally {
        await Promise.all([stopChild(workerChild), stopChild(apiChild)]);
      }
    },
  },

  fanout: {
    title: `Fan-out: one request → ${FANOUT} connections (${FANOUT} destinations)`,
    run: async (ctx) => {
      const { value, profile } = await withGateway(
        ctx,
        'fanout',
        async (gw, api) => {
          const source = await api.source('bench-fanout');
          for (let i = 0; i < FANOUT; i++) {
            const destination = await api.destination(`bench-fanout-${i}`, sinkUrl(ctx, `/fanout/${i}`));
            await api.connection(`to-${i}`, source.id, destination.id);
          }
          const url = api.ingestUrl(source.id);
          const saturation = await deliveryPhase(ctx, `fan-out ×${FANOUT}: saturation (deliveries)`, 'sluice', spec(ctx, [url], 'saturation', 'fan-s'), FANOUT, gw.pid);
          return { saturation };
        },
        { profile: true },
      );
      return { title: scenarios.fanout!.title, phases: value, notes: ['Throughput counts deliveries (one per connection), not requests.'], ...(profile === null ? {} : { profile }) };
    },
  },

  backlog: {
    title: 'Backlog: pending deliveries already stored; drain rate and peak RSS',
    run: async (ctx) => {
      const dataDir = join(ctx.tmp, 'backlog');
      const { value: route } = await withGateway(
        ctx,
        'backlog-setup',
        async (_gw, api) => {
          const source = await api.source('bench-backlog');
          const destination = await api.destination('bench-backlog-sink', sinkUrl(ctx, '/backlog'));
          const connection = await api.connection('to-sink', source.id, destination.id);
          return { sourceId: source.id, destinationId: destination.id, connectionId: connection.id } satisfies Route;
        },
        { dataDir },
      );
      const seedSeconds = seedBacklog(dataDir, route, ctx.profile.backlog);
      await resetSink(ctx);
      const windowMs = ctx.profile.backlogWindowMs;
      const { value, profile } = await withGateway(
        ctx,
        'backlog',
        async (gw) => {
          const memory = watchMemory(gw.pid);
          const startedAt = wallMs();
          const c0 = cpuSecondsOf(gw.pid);
          // The first second (connections opening, JIT) is left out of the rate.
          while ((await sinkStats(ctx)).unique === 0 && wallMs() - startedAt < 30_000) await sleep(50);
          await sleep(1000);
          const from = wallMs();
          const spent = cpuSpent(gw.pid);
          const deliveredBefore = (await sinkStats(ctx)).unique;
          await sleep(windowMs);
          const to = wallMs();
          const perDelivery = spent.per((await sinkStats(ctx)).unique - deliveredBefore);
          const s = await sinkStats(ctx, from, to);
          const c1 = cpuSecondsOf(gw.pid);
          const mem = memory.stop();
          return {
            label: `backlog of ${ctx.profile.backlog.toLocaleString('en-US')}: drain`,
            kind: 'sluice' as const,
            throughput: s.inWindow / ((to - from) / 1000),
            p50: null,
            p99: null,
            details: {
              backlog: ctx.profile.backlog,
              seedSeconds,
              windowSeconds: (to - from) / 1000,
              deliveredSoFar: s.unique,
              duplicates: s.duplicates,
              peakRssMiB: mem.peakMiB,
              maxSampledRssMiB: mem.rssMaxMiB,
              serverCpu: c0 === null || c1 === null ? null : (c1 - c0) / ((to - startedAt) / 1000),
              ...perDelivery,
            },
          } satisfies Phase;
        },
        { dataDir, profile: true },
      );
      rmSync(dataDir, { recursive: true, force: true });
      return {
        title: scenarios.backlog!.title,
        phases: { drain: value },
        notes: [
          `${ctx.profile.backlog.toLocaleString('en-US')} deliveries (one request each, ~1 KB body) written into the stopped gateway's SQLite file in ${seedSeconds.toFixed(1)} s; the drain rate is measured over ${(windowMs / 1000).toFixed(0)} s after the first second of delivery; peak RSS is the process's VmHWM.`,
        ],
        ...(profile === null ? {} : { profile }),
      };
    },
  },

  isolation: {
    title: 'Isolation: a healthy destination next to one that never answers',
    run: async (ctx) => {
      const { value, profile } = await withGateway(
        ctx,
        'isolation',
        async (gw, api) => {
          const source = await api.source('bench-isolation');
          const healthy = await api.destination('bench-healthy', sinkUrl(ctx, '/healthy'));
          const dead = await api.destination('bench-dead', sinkUrl(ctx, '/hang'));
          await api.connection('to-healthy', source.id, healthy.id);
          const toDead = await api.connection('to-dead', source.id, dead.id);
          const url = api.ingestUrl(source.id);
          // Alone: the dead destination's connection is paused, so requests store the same two events but only the
          // healthy one is attempted. Then it is unpaused (its held events fall due too) and the same load runs again.
          await api.pause(toDead.id);
          const alone = await deliveryPhase(ctx, 'isolation: healthy alone', 'sluice', spec(ctx, [url], 'saturation', 'iso-a'), 1, gw.pid);
          await api.unpause(toDead.id);
          const withDead = await deliveryPhase(ctx, 'isolation: healthy beside a dead one', 'sluice', spec(ctx, [url], 'saturation', 'iso-b'), 1, gw.pid);
          const hanging = (await sinkStats(ctx)).hanging;
          withDead.details.deadAttemptsHanging = hanging;
          return { alone, withDead };
        },
        { profile: true },
      );
      return {
        title: scenarios.isolation!.title,
        phases: value,
        notes: ['The dead destination holds every request open, so each attempt times out (5 s default) while holding one of its 20 concurrency slots.'],
        ...(profile === null ? {} : { profile }),
      };
    },
  },

  retry: {
    title: 'Retry precision: deliveries due in the same second; lateness against next_attempt_at',
    run: async (ctx) => {
      const dataDir = join(ctx.tmp, 'retry');
      const routes = 10;
      const { value: seeded } = await withGateway(
        ctx,
        'retry-setup',
        async (_gw, api) => {
          const source = await api.source('bench-retry');
          const out: Route[] = [];
          for (let i = 0; i < routes; i++) {
            const destination = await api.destination(`bench-retry-${i}`, sinkUrl(ctx, `/retry/${i}`));
            const connection = await api.connection(`to-${i}`, source.id, destination.id);
            out.push({ sourceId: source.id, destinationId: destination.id, connectionId: connection.id });
          }
          return out;
        },
        { dataDir },
      );
      const dueAt = Date.now() + 6000;
      const seedSeconds = seedRetries(dataDir, seeded, ctx.profile.retries, dueAt);
      const due = readDueTimes(dataDir);
      await resetSink(ctx);
      const { profile } = await withGateway(
        ctx,
        'retry',
        async () => {
          if (Date.now() > dueAt - 500) throw new Error('the gateway started too late for the seeded due time');
          await sleep(Math.max(0, dueAt + 1000 - Date.now()));
          await waitForDeliveries(ctx, due.size, 5000, 30_000);
        },
        { dataDir, profile: true },
      );
      const { lateness, missing } = readRetryLateness(dataDir, due);
      rmSync(dataDir, { recursive: true, force: true });
      const summary = summarise(lateness);
      return {
        title: scenarios.retry!.title,
        phases: {
          lateness: {
            label: `retry lateness (${due.size.toLocaleString('en-US')} due within 1 s)`,
            kind: 'sluice',
            throughput: null,
            p50: summary.p50,
            p99: summary.p99,
            details: { due: due.size, attempted: lateness.length, missing, lateness: summary, seedSeconds },
          },
        },
        notes: [
          `${due.size.toLocaleString('en-US')} SCHEDULED deliveries on ${routes} destinations, due evenly over one second (about 10 per ms), written into the stopped gateway's file; lateness = the first attempt's created_at − next_attempt_at (SQL).`,
        ],
        ...(profile === null ? {} : { profile }),
      };
    },
  },
};

// Redis, for the BullMQ baseline

function redisConfig(key: string): string {
  try {
    const out = execSync(`redis-cli -h 127.0.0.1 -p 6379 config get ${key}`, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return (out.trim().split('\n')[1] ?? '').trim();
  } catch {
    return 'unknown';
  }
}

async function assertRedis(): Promise<void> {
  const { createConnection } = await import('node:net');
  await new Promise<void>((resolve, reject) => {
    const socket = createConnection({ host: '127.0.0.1', port: 6379 }, () => {
      socket.end();
      resolve();
    });
    socket.on('error', () => reject(new Error('The BullMQ baseline needs Redis at 127.0.0.1:6379.')));
  });
}

// Targets (issue 3, item 3)

interface TargetResult {
  target: string;
  measured: string;
  ratio: number | null;
  pass: boolean | null;
  /** How far from the target: >0 = margin, <0 = shortfall, as a fraction of the target. */
  margin: number | null;
}

function evaluateTargets(results: Record<string, ScenarioResult>): TargetResult[] {
  const phase = (s: string, p: string) => results[s]?.phases[p];
  const out: TargetResult[] = [];
  const atLeast = (target: string, value: number | null | undefined, min: number, measured: (v: number) => string) => {
    if (value === null || value === undefined || !Number.isFinite(value)) out.push({ target, measured: 'not measured', ratio: null, pass: null, margin: null });
    else out.push({ target, measured: measured(value), ratio: value, pass: value >= min, margin: value / min - 1 });
  };
  const atMost = (target: string, value: number | null | undefined, max: number, measured: (v: number) => string) => {
    if (value === null || value === undefined || !Number.isFinite(value)) out.push({ target, measured: 'not measured', ratio: null, pass: null, margin: null });
    else out.push({ target, measured: measured(value), ratio: value, pass: value <= max, margin: 1 - value / max });
  };
  const ratio = (a: Phase | undefined, b: Phase | undefined) => (a?.throughput != null && b?.throughput != null && b.throughput > 0 ? a.throughput / b.throughput : null);
  const pct = (v: number) => `${(v * 100).toFixed(0)} %`;
  const ms = (v: number) => `${v.toFixed(1)} ms`;

  atLeast('durable ingest ≥ 35 % of the bare-Fastify ceiling (saturation)', ratio(phase('ingest', 'saturation'), phase('ceiling', 'saturation')), 0.35, pct);
  const ingestFixed = phase('ingest', 'fixed');
  atMost(`ingest p99 ≤ 15 ms at ${INGEST_RATE}/s`, ingestFixed?.p99, 15, (v) => `${ms(v)} (${Math.round(ingestFixed?.throughput ?? 0)}/s answered)`);
  atLeast('end to end ≥ 50 % of the raw forwarder (saturation)', ratio(phase('e2e', 'saturation'), phase('raw', 'saturation')), 0.5, pct);
  atLeast('end to end ≥ 1.5 × the BullMQ baseline (saturation)', ratio(phase('e2e', 'saturation'), phase('bullmq', 'saturation')), 1.5, (v) => `${v.toFixed(2)} ×`);
  atMost(`end-to-end p99 ≤ 50 ms at ${E2E_RATE}/s`, phase('e2e', 'fixed')?.p99, 50, ms);
  atLeast('fan-out deliveries/s ≥ 80 % of single-route end to end', ratio(phase('fanout', 'saturation'), phase('e2e', 'saturation')), 0.8, pct);
  const drain = phase('backlog', 'drain');
  atLeast('backlog drains ≥ 5,000/s', drain?.throughput, 5000, (v) => `${Math.round(v)}/s`);
  atMost('backlog peak RSS ≤ 300 MB', drain?.details.peakRssMiB as number | undefined, 300 / 1.048576, (v) => `${(v * 1.048576).toFixed(0)} MB (${v.toFixed(0)} MiB)`);
  atLeast('isolation ≥ 90 % (healthy beside a dead destination vs alone)', ratio(phase('isolation', 'withDead'), phase('isolation', 'alone')), 0.9, pct);
  atMost('retry lateness p99 ≤ 1 s', phase('retry', 'lateness')?.p99, 1000, ms);
  return out;
}

// Output

function pad(text: string, width: number, right = false): string {
  return right ? text.padStart(width) : text.padEnd(width);
}

const num = (v: number | null | undefined, digits = 0) => (v === null || v === undefined || !Number.isFinite(v) ? '—' : v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }));

function table(results: Record<string, ScenarioResult>, targets: TargetResult[]): string {
  const lines: string[] = [];
  lines.push(`${pad('scenario / phase', 48)} ${pad('per s', 10, true)} ${pad('p50 ms', 9, true)} ${pad('p99 ms', 9, true)}  notes`);
  lines.push('-'.repeat(110));
  for (const result of Object.values(results)) {
    for (const p of Object.values(result.phases)) {
      const d = p.details;
      const extra: string[] = [];
      if (typeof d.serverCpu === 'number') extra.push(`cpu ${(d.serverCpu * 100).toFixed(0)}%`);
      if (typeof d.workersCpu === 'number') extra.push(`workers cpu ${(d.workersCpu * 100).toFixed(0)}%`);
      if (typeof d.cpuUsPerDelivery === 'number') extra.push(`cpu/delivery ${num(d.cpuUsPerDelivery)} µs (main thread ${num(d.mainThreadCpuUsPerDelivery as number | null)})`);
      if (typeof d.acceptedPerSecond === 'number') extra.push(`accepted ${num(d.acceptedPerSecond)}/s`);
      if (d.mode === 'saturation' && typeof d.deliveredPerSecondDuringLoad === 'number') extra.push(`delivered during load ${num(d.deliveredPerSecondDuringLoad)}/s`);
      if (typeof d.undelivered === 'number' && d.undelivered > 0) extra.push(`UNDELIVERED ${d.undelivered}`);
      if (typeof d.duplicates === 'number' && d.duplicates > 0) extra.push(`dups ${d.duplicates}`);
      if (typeof d.failed === 'number' && d.failed > 0) extra.push(`FAILED ${d.failed}`);
      if (typeof d.peakRssMiB === 'number') extra.push(`peak RSS ${d.peakRssMiB.toFixed(0)} MiB`);
      if (typeof d.missing === 'number' && d.missing > 0) extra.push(`NOT ATTEMPTED ${d.missing}`);
      if (typeof d.maxPacerLagMs === 'number' && d.maxPacerLagMs > 20) extra.push(`pacer lag ${d.maxPacerLagMs.toFixed(0)} ms`);
      lines.push(`${pad(p.label, 48)} ${pad(num(p.throughput), 10, true)} ${pad(num(p.p50, 1), 9, true)} ${pad(num(p.p99, 1), 9, true)}  ${extra.join(', ')}`);
    }
  }
  lines.push('');
  lines.push(`${pad('target', 66)} ${pad('measured', 26)} result`);
  lines.push('-'.repeat(110));
  for (const t of targets) {
    const verdict = t.pass === null ? 'n/a' : t.pass ? `PASS (+${((t.margin ?? 0) * 100).toFixed(0)} %)` : `MISS (${((t.margin ?? 0) * 100).toFixed(0)} %)`;
    lines.push(`${pad(t.target, 66)} ${pad(t.measured, 26)} ${verdict}`);
  }
  return lines.join('\n');
}

function machine() {
  const cpu = cpus();
  return {
    nproc: cpu.length,
    cpuModel: cpu[0]?.model ?? 'unknown',
    memoryGiB: Number((totalmem() / 2 ** 30).toFixed(1)),
    freeMemoryGiB: Number((freemem() / 2 ** 30).toFixed(1)),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
  };
}

// Main

function parseArgs(argv: string[]) {
  const selected: string[] = [];
  let quick = false;
  let profile = false;
  let build = true;
  let postgres = false;
  let gatewayRoot = ROOT;
  let soak = false;
  let durationMs = 3_600_000;
  let rate = 50;
  const gatewayEnv: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--quick') quick = true;
    else if (arg === '--soak') soak = true;
    else if (arg === '--duration') durationMs = parseDuration(argv[++i] ?? '');
    else if (arg === '--rate') rate = Number(argv[++i] ?? '');
    else if (arg === '--profile') profile = true;
    else if (arg === '--no-build') build = false;
    else if (arg === '--postgres') postgres = true;
    else if (arg === '--gateway-root') gatewayRoot = resolve(argv[++i] ?? '.');
    else if (arg === '--gateway-env') {
      const [key, ...value] = (argv[++i] ?? '').split('=');
      if (key === undefined || !/^[A-Z_][A-Z0-9_]*$/.test(key) || value.length === 0) throw new Error('--gateway-env takes NAME=value');
      gatewayEnv[key] = value.join('=');
    }
    else if (arg === '--scenario') selected.push(...(argv[++i] ?? '').split(','));
    else if (arg.startsWith('--scenario=')) selected.push(...arg.slice('--scenario='.length).split(','));
    else if (arg === '--help' || arg === '-h') {
      process.stdout.write(`usage: npm run bench -- [--quick] [--profile] [--postgres] [--no-build] [--gateway-root DIR] [--gateway-env NAME=value] [--scenario ${Object.keys(scenarios).join('|')}]\n       npm run bench -- --soak [--duration 60m] [--rate 50] [--no-build]\n`);
      process.exit(0);
    } else throw new Error(`unknown argument ${arg} (try --help)`);
  }
  for (const name of selected) if (!(name in scenarios)) throw new Error(`unknown scenario ${name}; scenarios: ${Object.keys(scenarios).join(', ')}`);
  if (!Number.isFinite(rate) || rate <= 0 || rate > 5000) throw new Error('--rate takes messages per second of each kind, from 1 to 5000');
  const all = postgres ? POSTGRES_RUN : Object.keys(scenarios).filter((name) => !OPT_IN.has(name));
  return { selected: selected.length === 0 ? all : selected, quick, profile, build, gatewayRoot, gatewayEnv, postgres, soak, durationMs, rate };
}

/** `90s`, `5m`, `1h` as milliseconds. */
function parseDuration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(s|m|h)$/.exec(text);
  if (match === null) throw new Error(`--duration takes a number with s, m or h (90s, 5m, 1h); got "${text}"`);
  return Number(match[1]) * { s: 1000, m: 60_000, h: 3_600_000 }[match[2] as 's' | 'm' | 'h'];
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const profile = PROFILES[args.quick ? 'quick' : 'default'];
  const started = new Date();
  const resultsDir = join(ROOT, 'bench/results');
  mkdirSync(resultsDir, { recursive: true });
  const name = `${stamp(started)}${args.quick ? '-quick' : ''}${args.postgres ? '-postgres' : ''}${args.selected.length < Object.keys(scenarios).length - OPT_IN.size ? `-${args.selected.join('+')}` : ''}`;
  if (args.build) {
    process.stdout.write(`building ${args.gatewayRoot} (npm run build)…\n`);
    execSync('npm run build', { cwd: args.gatewayRoot, stdio: ['ignore', 'ignore', 'inherit'] });
  }
  if (args.soak) {
    process.stdout.write(`soak for ${args.durationMs / 1000} s at ${args.rate}/s inbound + ${args.rate}/s published; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}\n`);
    await runSoak({ durationMs: args.durationMs, gatewayRoot: args.gatewayRoot, rate: args.rate, name: stamp(started) });
    return;
  }
  const loadAtStart = loadavg();
  process.stdout.write(`profile ${profile.name}; scenarios: ${args.selected.join(', ')}; load average ${loadAtStart.map((l) => l.toFixed(2)).join(' ')}\n`);

  const tmp = mkdtempSync(join(tmpdir(), 'sluice-bench-'));
  const sink = forkBench('sink.ts', ['0']);
  const loadgen = forkBench('loadgen.ts');
  const [sinkReady] = await Promise.all([ready(sink), ready(loadgen)]);
  const ctx: Context = {
    profile,
    tmp,
    sink,
    sinkBase: `http://127.0.0.1:${sinkReady.port}`,
    loadgen,
    cpuProfilePrefix: args.profile ? join(resultsDir, name) : null,
    gatewayRoot: args.gatewayRoot,
    gatewayEnv: args.gatewayEnv,
  };
  const results: Record<string, ScenarioResult> = {};
  try {
    for (const scenario of args.selected) {
      const def = scenarios[scenario]!;
      const load = loadavg();
      process.stdout.write(`\n▶ ${scenario}: ${def.title} (load ${load.map((l) => l.toFixed(2)).join(' ')})\n`);
      const t0 = wallMs();
      try {
        const r = await def.run(ctx);
        results[scenario] = { name: scenario, loadavgAtStart: load, seconds: (wallMs() - t0) / 1000, ...r };
        for (const p of Object.values(r.phases)) {
          process.stdout.write(`  ${p.label}: ${num(p.throughput)}/s, p50 ${num(p.p50, 1)} ms, p99 ${num(p.p99, 1)} ms\n`);
        }
        if (r.profile !== undefined) process.stdout.write(`${r.profile.split('\n').slice(0, 14).join('\n')}\n`);
      } catch (error) {
        process.stdout.write(`  FAILED: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
        results[scenario] = { name: scenario, title: def.title, phases: {}, loadavgAtStart: load, seconds: (wallMs() - t0) / 1000, notes: [`failed: ${String(error)}`] };
      }
    }
  } finally {
    await Promise.all([stopChild(sink), stopChild(loadgen)]);
    rmSync(tmp, { recursive: true, force: true });
  }

  const targets = evaluateTargets(results);
  const loadAtEnd = loadavg();
  const text = table(results, targets);
  process.stdout.write(`\n${text}\n\nload average at start ${loadAtStart.map((l) => l.toFixed(2)).join(' ')}, at end ${loadAtEnd.map((l) => l.toFixed(2)).join(' ')}\n`);

  const report = {
    date: started.toISOString(),
    profile,
    gatewayRoot: args.gatewayRoot === ROOT ? '.' : args.gatewayRoot,
    machine: machine(),
    loadavg: { start: loadAtStart, end: loadAtEnd },
    seconds: (Date.now() - started.getTime()) / 1000,
    scenarios: results,
    targets,
  };
  const rows: ChartRow[] = Object.values(results).flatMap((r) =>
    Object.values(r.phases).map((p) => ({ label: p.label, throughput: p.throughput, p50: p.p50, p99: p.p99, kind: p.kind })),
  );
  writeFileSync(join(resultsDir, `${name}.json`), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(resultsDir, `${name}.svg`), renderChart(rows, `Sluice benchmark ${started.toISOString().slice(0, 16)} (${profile.name}, ${machine().nproc} cores, load ${loadAtStart[0]?.toFixed(2)})`));
  const profiles = Object.values(results).flatMap((r) => (r.profile === undefined ? [] : [r.profile]));
  if (profiles.length > 0) writeFileSync(join(resultsDir, `${name}-profile.txt`), `${profiles.join('\n\n')}\n`);
  process.stdout.write(`\nwrote bench/results/${name}.json, ${name}.svg${profiles.length > 0 ? `, ${name}-profile.txt` : ''} in ${report.seconds.toFixed(0)} s\n`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
