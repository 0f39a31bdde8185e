/**
 * Runs the real gateway (src/cli/main.ts) as a child process on a data directory, for tests that kill it, and
 * the set-up those tests share (crashTestParts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { startReceiver, type Receiver } from './receiver.js';

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}


export interface GatewayProcess {
  url: string;
  child: ChildProcess;
  output: () => string;
  /** Resolves with the exit code (or signal name). */
  exited: Promise<number | string>;
}

/** How long a start may take: generous, since a loaded 2-core machine compiles the TypeScript slowly under tsx. */
const START_LIMIT_MS = 60_000;

export async function startGatewayProcess(env: Record<string, string>, port: number): Promise<GatewayProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts'], {
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: env.LOG_LEVEL ?? 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | string>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + START_LIMIT_MS;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`gateway exited during start:\n${output}`);
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`gateway did not start within ${START_LIMIT_MS / 1000} s:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { url, child, output: () => output, exited };
}

/**
 * Runs the gateway with `env` (over this process's environment) and waits for it to exit by itself: for starts
 * that must be refused. Kills it and rejects if it is still running after `timeoutMs`.
 */
export async function runGatewayToExit(env: Record<string, string>, timeoutMs = START_LIMIT_MS): Promise<{ code: number | string; output: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts'], {
    env: { ...process.env, ...env, LOG_LEVEL: env.LOG_LEVEL ?? 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the gateway was expected to exit but still ran after ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    // 'close', not 'exit': by then everything it wrote has been read.
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? signal ?? 'unknown', output });
    });
  });
}

export interface CrashTestParts {
  readonly dataDir: string;
  readonly receiver: Receiver;
  /** The gateway process the test runs now (set it when starting one; null once it exited on purpose). */
  gateway: GatewayProcess | null;
}

/**
 * For the enclosing describe of a test that kills gateway processes: a fresh data directory (`prefix`…) and a real
 * receiver, made before its tests; after them, a gateway process still running is killed (SIGKILL), the receiver
 * closed and the directory removed.
 */
export function crashTestParts(prefix: string): CrashTestParts {
  let dataDir: string | undefined;
  let receiver: Receiver | undefined;
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the data directory and receiver are made in a before hook: use them inside tests');
    return value;
  };
  const parts: CrashTestParts = {
    get dataDir() {
      return started(dataDir);
    },
    get receiver() {
      return started(receiver);
    },
    gateway: null,
  };
  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), prefix));
    receiver = await startReceiver();
  });
  after(async () => {
    const { gateway } = parts;
    if (gateway !== null && gateway.child.exitCode === null) {
      gateway.child.kill('SIGKILL');
      await gateway.exited;
    }
    await receiver?.close();
    if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
  });
  return parts;
}
