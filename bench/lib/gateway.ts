/**
 * The gateway under test, as a production process: `node dist/src/cli/main.js` (the build of `npm run build`) on
 * a fresh data directory, with the API calls that set its sources, destinations and connections up, and a reader
 * of its memory from /proc.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitForHttp } from './common.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const API_KEY = 'bench_key_0123456789abcdef';

export interface GatewayOptions {
  /** The checkout whose build runs (default: this one). */
  root?: string;
  dataDir: string;
  port: number;
  /** Write a CPU profile (node --cpu-prof) to this file when the process exits. */
  cpuProfile?: string | undefined;
  env?: Record<string, string>;
}

export interface GatewayChild {
  url: string;
  child: ChildProcess;
  pid: number;
  output: () => string;
}

export async function startGateway(options: GatewayOptions): Promise<GatewayChild> {
  const args: string[] = [];
  if (options.cpuProfile !== undefined) {
    // No --cpu-prof-name: every thread (the HTTP sender thread too) writes its own file, named by thread id,
    // into a directory of this process's own; gatherCpuProfiles names them after the run.
    mkdirSync(profileDir(options.cpuProfile), { recursive: true });
    args.push('--cpu-prof', '--cpu-prof-dir', profileDir(options.cpuProfile));
  }
  const root = options.root ?? ROOT;
  args.push(join(root, 'dist/src/cli/main.js'));
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      PORT: String(options.port),
      HOST: '127.0.0.1',
      SLUICE_DATA_DIR: options.dataDir,
      SLUICE_API_KEY: API_KEY,
      SLUICE_OUTBOUND_ALLOWLIST: '127.0.0.1/32',
      LOG_LEVEL: 'warn',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output += chunk.toString();
    if (output.length > 200_000) output = output.slice(-100_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const url = `http://127.0.0.1:${options.port}`;
  try {
    await waitForHttp(`${url}/healthz`, child, 30_000);
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`${(error as Error).message}\n${output}`);
  }
  if (child.pid === undefined) throw new Error('gateway has no pid');
  return { url, child, pid: child.pid, output: () => output };
}

function profileDir(cpuProfile: string): string {
  return `${cpuProfile}.d`;
}

/**
 * After the process exited: its main thread's profile becomes `cpuProfile`, each worker thread's
 * `<cpuProfile without .cpuprofile>-thread<id>.cpuprofile`. Returns the worker threads' files.
 */
export function gatherCpuProfiles(cpuProfile: string): string[] {
  const dir = profileDir(cpuProfile);
  if (!existsSync(dir)) return [];
  const threads: string[] = [];
  // Node names them CPU.<date>.<time>.<pid>.<thread id>.<seq>.cpuprofile; the main thread is 0.
  for (const file of readdirSync(dir)) {
    const threadId = file.split('.')[4];
    if (threadId === undefined) continue;
    const target = threadId === '0' ? cpuProfile : cpuProfile.replace(/\.cpuprofile$/, `-thread${threadId}.cpuprofile`);
    renameSync(join(dir, file), target);
    if (threadId !== '0') threads.push(target);
  }
  rmSync(dir, { recursive: true, force: true });
  return threads;
}

/** Graceful stop (SIGTERM: drains, writes the CPU profile); resolves once the process has exited. */
export async function stopGateway(gateway: GatewayChild, graceMs = 30_000): Promise<void> {
  const { child } = gateway;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** Resident memory now and at its peak (VmHWM), in MiB, from /proc/<pid>/status. */
export function memoryOf(pid: number): { rssMiB: number; peakMiB: number } | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
    return { rssMiB: kib('VmRSS') / 1024, peakMiB: kib('VmHWM') / 1024 };
  } catch {
    return null;
  }
}

/** Samples memoryOf(pid) every `everyMs` until stopped; keeps the highest values seen. */
export function watchMemory(pid: number, everyMs = 200): { stop: () => { rssMaxMiB: number; peakMiB: number } } {
  let rssMax = 0;
  let peak = 0;
  const sample = () => {
    const m = memoryOf(pid);
    if (m === null) return;
    rssMax = Math.max(rssMax, m.rssMiB);
    peak = Math.max(peak, m.peakMiB);
  };
  sample();
  const timer = setInterval(sample, everyMs);
  return {
    stop: () => {
      sample();
      clearInterval(timer);
      return { rssMaxMiB: rssMax, peakMiB: peak };
    },
  };
}

// The management API

export class Api {
  constructor(private readonly base: string) {}

  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.base}${path}`, {
      method,
      headers: { authorization: `Bearer ${API_KEY}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? null : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path} → ${res.status}: ${text}`);
    return JSON.parse(text) as T;
  }

  source(name: string): Promise<{ id: string }> {
    return this.call('POST', '/sources', { name });
  }

  destination(name: string, url: string, config: Record<string, unknown> = {}): Promise<{ id: string }> {
    return this.call('POST', '/destinations', { name, type: 'HTTP', config: { url, ...config } });
  }

  connection(name: string, sourceId: string, destinationId: string, rules: unknown[] = []): Promise<{ id: string }> {
    return this.call('POST', '/connections', { name, source_id: sourceId, destination_id: destinationId, rules });
  }

  pause(connectionId: string): Promise<unknown> {
    return this.call('PUT', `/connections/${connectionId}/pause`);
  }

  unpause(connectionId: string): Promise<unknown> {
    return this.call('PUT', `/connections/${connectionId}/unpause`);
  }

  ingestUrl(id: string): string {
    return `${this.base}/e/${id}`;
  }
}

/** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat (null once it is gone). */
export function cpuSecondsOf(pid: number): number | null {
  return cpuSecondsIn(`/proc/${pid}/stat`);
}

/**
 * CPU seconds of the process's main thread alone (its JavaScript thread: ingest, the store, the dispatcher), from
 * /proc/<pid>/task/<pid>/stat. CPU time per delivered message holds up far better than throughput on a machine
 * that other work loads: it is what the message cost, not how long it waited for a core.
 */
export function mainThreadCpuSecondsOf(pid: number): number | null {
  return cpuSecondsIn(`/proc/${pid}/task/${pid}/stat`);
}

function cpuSecondsIn(file: string): number | null {
  try {
    const stat = readFileSync(file, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 14 and 15 of stat(5) (utime, stime), counted here from field 3: indexes 11 and 12. Ticks are 1/100 s.
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}
