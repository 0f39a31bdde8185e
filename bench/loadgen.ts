/**
 * The load generator, in its own process: POSTs ~1 KB JSON messages over undici keep-alive pools.
 *
 * - saturation: `concurrency` closed-loop senders, each sending its next request as soon as the last one answered;
 *   latency is from the actual send.
 * - fixed: open-loop pacing at `rate`/s. Request i is due at start + i/rate whatever happened to the earlier ones,
 *   and its latency is measured from that intended time, so a stall of the server shows up in full in the
 *   percentiles instead of silently slowing the generator down (coordinated omission).
 *
 * Only requests whose (intended) send time falls after the warm-up count. The orchestrator sends
 * `{type: 'run', spec}` and gets one `LoadResult` back.
 */
import { Pool } from 'undici';
import { messageBody, Samples, sleep, summarise, wallMs, type LoadResult, type LoadSpec } from './lib/common.js';

const DRAIN_GRACE_MS = 15_000;

interface Target {
  pool: Pool;
  path: string;
}

function targetsOf(spec: LoadSpec): Target[] {
  const pools = new Map<string, Pool>();
  return spec.targets.map((raw) => {
    const url = new URL(raw);
    let pool = pools.get(url.origin);
    if (pool === undefined) {
      pool = new Pool(url.origin, { connections: spec.concurrency, pipelining: 1, keepAliveTimeout: 60_000, keepAliveMaxTimeout: 120_000 });
      pools.set(url.origin, pool);
    }
    return { pool, path: url.pathname + url.search };
  });
}

async function run(spec: LoadSpec): Promise<LoadResult> {
  const targets = targetsOf(spec);
  const headers = { 'content-type': 'application/json', ...spec.headers };
  const start = wallMs();
  const windowStart = start + spec.warmupMs;
  const windowEnd = windowStart + spec.durationMs;
  const latency = new Samples();
  const statuses: Record<string, number> = {};
  let sent = 0;
  let ok = 0;
  let failed = 0;
  let okInWindow = 0;
  let okTotal = 0;
  let outstanding = 0;
  let seq = 0;
  let maxPacerLagMs = 0;

  /** One request; `intended` is when it should have left (the latency's origin). */
  async function send(intended: number): Promise<void> {
    const n = seq++;
    const target = targets[n % targets.length] as Target;
    const counted = intended >= windowStart && intended < windowEnd;
    outstanding += 1;
    let status = 'error';
    try {
      const res = await target.pool.request({ path: target.path, method: 'POST', headers, body: messageBody(`${spec.tag}-${n}`, intended) });
      await res.body.dump();
      status = String(res.statusCode);
    } catch (error) {
      status = `error:${(error as { code?: string }).code ?? 'unknown'}`;
    }
    outstanding -= 1;
    const done = wallMs();
    const success = status.startsWith('2');
    if (success) okTotal += 1;
    if (success && done >= windowStart && done < windowEnd) okInWindow += 1;
    if (!counted) return;
    sent += 1;
    statuses[status] = (statuses[status] ?? 0) + 1;
    if (success) {
      ok += 1;
      latency.push(done - intended);
    } else {
      failed += 1;
    }
  }

  if (spec.mode === 'saturation') {
    const sender = async () => {
      while (wallMs() < windowEnd) await send(wallMs());
    };
    await Promise.all(Array.from({ length: spec.concurrency }, sender));
  } else {
    const interval = 1000 / spec.rate;
    let i = 0;
    for (;;) {
      const now = wallMs();
      let next = start + i * interval;
      if (next >= windowEnd) break;
      maxPacerLagMs = Math.max(maxPacerLagMs, now - next);
      while (next <= now && next < windowEnd) {
        void send(next);
        i += 1;
        next = start + i * interval;
      }
      // Timers fire at ~1 ms granularity; whatever fell due meanwhile goes out in the next burst, on its own schedule.
      await sleep(Math.max(0, Math.min(next - wallMs(), 5)));
    }
  }
  const drainDeadline = wallMs() + DRAIN_GRACE_MS;
  while (outstanding > 0 && wallMs() < drainDeadline) await sleep(10);
  await Promise.all(targets.map((t) => t.pool.close().catch(() => undefined)));
  return {
    type: 'result',
    mode: spec.mode,
    windowStart,
    windowEnd,
    sent,
    ok,
    okTotal,
    failed,
    statuses,
    throughput: okInWindow / (spec.durationMs / 1000),
    latency: summarise(latency.view()),
    maxPacerLagMs: spec.mode === 'fixed' ? maxPacerLagMs : 0,
    drained: outstanding === 0,
  };
}

process.on('message', (message: { type: string; spec: LoadSpec }) => {
  if (message.type !== 'run') return;
  run(message.spec).then(
    (result) => process.send?.(result),
    (error: unknown) => {
      process.stderr.write(`loadgen: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(1);
    },
  );
});
process.send?.({ type: 'ready', port: 0 });
