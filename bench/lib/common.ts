/**
 * What the benchmark's processes share: a wall clock with sub-millisecond precision that means the same in every
 * process on the machine, the ~1 KB JSON message every scenario sends (its send time first, so a sink can read it
 * without parsing the body), latency summaries, and the messages the orchestrator exchanges with its children.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

/** Milliseconds since the epoch, fractional: comparable across processes (each one's timeOrigin is wall time). */
export function wallMs(): number {
  return performance.timeOrigin + performance.now();
}

export const BODY_BYTES = 1024;
const FILLER = 'abcdefghijklmnopqrstuvwxyz0123456789';
const PADDING = new Map<number, string>();

/**
 * A ~1 KB webhook-like JSON body. `sent_at` comes first, at a fixed place, so the sink reads it with one indexOf;
 * `id` identifies the message for receivers that see no event id (raw forwarder, BullMQ).
 */
export function messageBody(id: string, sentAt: number): string {
  const head = `{"sent_at":${sentAt.toFixed(3)},"id":"${id}","type":"order.created","data":{"order_id":"${id}","amount":4200,"currency":"eur","note":"`;
  const tail = '"}}';
  const room = Math.max(0, BODY_BYTES - head.length - tail.length);
  let padding = PADDING.get(room);
  if (padding === undefined) {
    padding = FILLER.repeat(Math.ceil(room / FILLER.length)).slice(0, room);
    PADDING.set(room, padding);
  }
  return head + padding + tail;
}

/** The `sent_at` and `id` of a body made by messageBody (NaN / '' when the body is something else). */
export function readMessageHead(body: string): { sentAt: number; id: string } {
  const start = body.indexOf('"sent_at":');
  if (start !== 1) return { sentAt: Number.NaN, id: '' };
  const comma = body.indexOf(',', start);
  const sentAt = Number(body.slice(start + 10, comma));
  const idStart = body.indexOf('"id":"', comma);
  const idEnd = idStart === -1 ? -1 : body.indexOf('"', idStart + 6);
  return { sentAt, id: idEnd === -1 ? '' : body.slice(idStart + 6, idEnd) };
}

export interface LatencySummary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

/** Percentiles by sorting (a run holds at most a few hundred thousand samples). Empty input gives NaNs. */
export function summarise(samples: ArrayLike<number>): LatencySummary {
  const sorted = Float64Array.from(samples).sort();
  const n = sorted.length;
  const at = (q: number) => (n === 0 ? Number.NaN : (sorted[Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1))] ?? Number.NaN));
  let sum = 0;
  for (const value of sorted) sum += value;
  return { count: n, p50: at(0.5), p90: at(0.9), p99: at(0.99), max: n === 0 ? Number.NaN : (sorted[n - 1] ?? Number.NaN), mean: n === 0 ? Number.NaN : sum / n };
}

/** A growable Float64Array (no boxing per sample). */
export class Samples {
  private data = new Float64Array(1 << 16);
  length = 0;
  push(value: number): void {
    if (this.length === this.data.length) {
      const next = new Float64Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = value;
  }
  view(): Float64Array {
    return this.data.subarray(0, this.length);
  }
  clear(): void {
    this.length = 0;
  }
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no free port');
  return address.port;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `url` until it answers 2xx (or the child exits, or the deadline passes). */
export async function waitForHttp(url: string, child: ChildProcess | null, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child !== null && child.exitCode !== null) throw new Error(`${url}: the process exited (${child.exitCode}) before answering`);
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer within ${timeoutMs} ms`);
    await sleep(50);
  }
}

/** A TypeScript file of bench/ run in its own Node process (tsx loads it), with an IPC channel. */
export function forkBench(file: string, args: string[] = [], env: Record<string, string> = {}): ChildProcess {
  const path = fileURLToPath(new URL(`../${file}`, import.meta.url));
  return fork(path, args, {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}

/** Sends `message` and resolves with the child's first answer whose `type` is `answerType`. */
export function ask<T>(child: ChildProcess, message: object, answerType: string, timeoutMs = 600_000): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`no ${answerType} answer within ${timeoutMs} ms`));
    }, timeoutMs);
    const onMessage = (answer: unknown) => {
      if (typeof answer === 'object' && answer !== null && (answer as { type?: unknown }).type === answerType) {
        cleanup();
        resolve(answer as T);
      }
    };
    const onExit = (code: number | null) => {
      cleanup();
      reject(new Error(`child exited (${code}) before answering ${answerType}`));
    };
    const cleanup = () => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    child.on('message', onMessage);
    child.on('exit', onExit);
    child.send(message);
  });
}

/** Waits for a child's `{type: 'ready', ...}` message (sent once it listens). */
export function ready<T = { type: 'ready'; port: number }>(child: ChildProcess, timeoutMs = 30_000): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('child not ready in time')), timeoutMs);
    child.on('message', (message: unknown) => {
      if (typeof message === 'object' && message !== null && (message as { type?: unknown }).type === 'ready') {
        clearTimeout(timer);
        resolve(message as T);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`child exited (${code}) before it was ready`));
    });
  });
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
export async function stopChild(child: ChildProcess, graceMs = 15_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

// Messages between the orchestrator and its children

export interface LoadSpec {
  /** Ingest URLs; requests go to them in turn. */
  targets: string[];
  mode: 'saturation' | 'fixed';
  /** Requests per second (fixed mode). */
  rate: number;
  /** Requests in flight at once (saturation mode) and connections in the pool (both modes). */
  concurrency: number;
  warmupMs: number;
  durationMs: number;
  /** Prefix of message ids, unique per phase. */
  tag: string;
  headers?: Record<string, string>;
}

export interface LoadResult {
  type: 'result';
  mode: LoadSpec['mode'];
  /** Wall times of the measured window (after the warm-up). */
  windowStart: number;
  windowEnd: number;
  /** Requests sent in the window (by intended time in fixed mode), and how they ended. */
  sent: number;
  ok: number;
  /** 2xx answers over the whole run, warm-up included (what a sink should eventually receive). */
  okTotal: number;
  failed: number;
  statuses: Record<string, number>;
  /** 2xx answers received in the window per second. */
  throughput: number;
  /** ms: from the intended send time (fixed mode: no coordinated omission) or the actual one (saturation). */
  latency: LatencySummary;
  /** ms the pacer fell behind its schedule at worst (fixed mode; large = the load generator itself could not keep up). */
  maxPacerLagMs: number;
  /** Every send had an answer when the generator stopped (false = some still outstanding after the grace period). */
  drained: boolean;
}

export interface SinkStats {
  type: 'stats';
  /** Every request received since the last reset, and the distinct messages (event id, else body id) among them. */
  received: number;
  unique: number;
  duplicates: number;
  /** Distinct messages first received inside [from, to] (throughput). */
  inWindow: number;
  /** ms from the message's `sent_at` to its first receipt, for the messages SENT inside [from, to]. */
  latency: LatencySummary;
  firstAt: number | null;
  lastAt: number | null;
  /** Requests the sink is holding without an answer (the never-answering paths). */
  hanging: number;
}
