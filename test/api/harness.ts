/**
 * A real gateway for API tests: the HTTP server from buildServer, listening on a free port, over a real SQLite
 * store in a temporary directory. Only the delivery engine is a stand-in (it records wake() calls; the real
 * dispatcher has its own end-to-end tests), so these tests see exactly what a client sees.
 */
import { randomBytes } from 'node:crypto';
import { after, before } from 'node:test';
import { makeKeyring, type SecretKeyring } from '../../src/domain/secretBox.js';
import { request as httpRequest } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { buildServer } from '../../src/api/server.js';
import { loadConfig, type Config } from '../../src/config/loadConfig.js';
import type { DeliveryEngine } from '../../src/dispatch/port.js';
import type { AttemptRecord } from '../../src/domain/model.js';
import { openSqliteStore } from '../../src/store/sqlite/openSqliteStore.js';
import type { GatewayStore } from '../../src/store/port.js';

export const ADMIN_KEY = 'admin-key-for-tests-0123456789';

/** Counts wake() calls; retryNow answers what the test queued (null = no such event). */
export class RecordingEngine implements DeliveryEngine {
  wakes = 0;
  retries: { teamId: string; eventId: string }[] = [];
  nextAttempt: AttemptRecord | null = null;

  wake(): void {
    this.wakes++;
  }

  async retryNow(teamId: string, eventId: string): Promise<AttemptRecord | null> {
    this.retries.push({ teamId, eventId });
    return this.nextAttempt;
  }

  forgotten: string[] = [];
  forgetDestination(destinationId: string): void {
    this.forgotten.push(destinationId);
  }
}

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  // The parsed JSON answer; tests read fields of it freely, so it is typed loosely on purpose.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json: any;
}

export interface CallOptions {
  body?: unknown;
  headers?: Record<string, string>;
  /** Raw body, sent as is (no JSON encoding). */
  raw?: string | Buffer;
  auth?: string | null;
}

export interface Team {
  id: string;
  key: string;
  call: (method: string, path: string, options?: CallOptions) => Promise<Answer>;
}

export interface Gateway {
  base: string;
  keyring: SecretKeyring;
  config: Config;
  store: GatewayStore;
  engine: RecordingEngine;
  app: FastifyInstance;
  call: (method: string, path: string, options?: CallOptions) => Promise<Answer>;
  admin: (method: string, path: string, body?: unknown) => Promise<Answer>;
  /** A new team with one API key. */
  team: (name?: string) => Promise<Team>;
  /** Every log line the server wrote (at trace level), when started with `captureLogs`. */
  logLines: string[];
  close: () => Promise<void>;
}

export async function startGateway(env: Record<string, string> = {}, options: { captureLogs?: boolean } = {}): Promise<Gateway> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-api-'));
  const store = openSqliteStore(join(dir, 'sluice.db'));
  await store.migrate();
  const config = loadConfig({ SLUICE_ADMIN_KEY: ADMIN_KEY, SLUICE_DATA_DIR: dir, SLUICE_MAX_BODY_BYTES: '65536', ...env }, dir);
  const engine = new RecordingEngine();
  const keyring = makeKeyring(randomBytes(32));
  const logLines: string[] = [];
  const logger = options.captureLogs === true ? pino({ level: 'trace' }, { write: (line: string) => void logLines.push(line) }) : undefined;
  const app = await buildServer({ config, store, engine, keyring, ...(logger === undefined ? {} : { logger }) });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  // Source URLs are built from publicUrl at answer time: point it at this server so tests can post to them.
  config.publicUrl = base;

  async function call(method: string, path: string, options: CallOptions = {}): Promise<Answer> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.auth !== undefined && options.auth !== null) headers.authorization = options.auth;
    let body: string | Buffer | undefined;
    if (options.raw !== undefined) body = options.raw;
    else if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    const response = await fetch(path.startsWith('http') ? path : base + path, { method, headers, body });
    const text = await response.text();
    let json: unknown = undefined;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: response.status, headers: response.headers, text, json };
  }

  const admin = (method: string, path: string, body?: unknown) => call(method, path, { body, auth: `Bearer ${ADMIN_KEY}` });

  async function team(name = 'team'): Promise<Team> {
    const created = await admin('POST', '/teams', { name });
    if (created.status !== 201) throw new Error(`team: ${created.text}`);
    const { id } = created.json as { id: string };
    const key = await admin('POST', `/teams/${id}/api-keys`);
    if (key.status !== 201) throw new Error(`key: ${key.text}`);
    const secret = (key.json as { key: string }).key;
    return {
      id,
      key: secret,
      call: (method, path, options = {}) => call(method, path, { auth: `Bearer ${secret}`, ...options }),
    };
  }

  return {
    base,
    keyring,
    config,
    store,
    engine,
    app,
    call,
    admin,
    team,
    logLines,
    close: async () => {
      await app.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/**
 * A request through node:http, for what fetch cannot send: a body in chunks without Content-Length, repeated
 * headers, an exact Content-Length. Errors while still writing after the server answered (it may answer 413 and
 * close before reading everything) are expected and ignored; the answer is what counts.
 */
export function rawRequest(
  url: string,
  options: { method?: string; headers?: Record<string, string | string[]>; chunks?: Buffer[] },
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const request = httpRequest(url, { method: options.method ?? 'POST', headers: options.headers, agent: false }, (response) => {
      answered = true;
      const parts: Buffer[] = [];
      response.on('data', (chunk: Buffer) => parts.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(parts) }));
      response.on('error', reject);
    });
    request.on('error', (error) => {
      if (!answered) reject(error);
    });
    for (const chunk of options.chunks ?? []) request.write(chunk);
    request.end();
  });
}

/**
 * For the enclosing describe: a gateway (with `env`), a team called `teamName` and one HTTP destination of it, made
 * before its tests and closed after them. Read them through the returned object inside tests.
 */
export function gatewayWithDestination(teamName: string, env: Record<string, string> = {}): { readonly gw: Gateway; readonly team: Team; readonly destinationId: string } {
  let made: { gw: Gateway; team: Team; destinationId: string } | undefined;
  before(async () => {
    const gw = await startGateway(env);
    const team = await gw.team(teamName);
    const destination = await team.call('POST', '/destinations', { body: { name: 'receiver', config: { url: 'https://receiver.example/in' } } });
    made = { gw, team, destinationId: (destination.json as { id: string }).id };
  });
  after(async () => {
    await made?.gw.close();
  });
  const started = () => {
    if (made === undefined) throw new Error('the gateway starts in a before hook: use it inside tests');
    return made;
  };
  return {
    get gw() {
      return started().gw;
    },
    get team() {
      return started().team;
    },
    get destinationId() {
      return started().destinationId;
    },
  };
}
