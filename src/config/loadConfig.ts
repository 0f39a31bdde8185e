/**
 * Configuration, read once from the environment at start, validated, and passed in to everything that needs it.
 * Nothing else in Sluice reads `process.env`. docs/configuration.md documents every variable; keep the two in step.
 */
import { isIP } from 'node:net';
import { isAbsolute, resolve } from 'node:path';
import { RATE_LIMIT_PERIODS, type RateLimit, type RateLimitPeriod } from '../domain/rateLimit.js';

/**
 * What a gateway process does (`SLUICE_ROLE`). `api`: the HTTP API and ingest (manual retries included), no
 * claiming; `worker`: the dispatcher and retention, with an HTTP server for `/healthz` only; `all`: both. Roles
 * other than `all` need PostgreSQL: the embedded store is held by one process.
 */
export const ROLES = ['api', 'worker', 'all'] as const;
export type Role = (typeof ROLES)[number];

export interface Config {
  /** `SLUICE_ROLE`: which parts of the gateway this process runs (default `all`). */
  role: Role;
  /** HTTP port of the API, ingest and console. */
  port: number;
  /** Interface to listen on. */
  host: string;
  /** Where the embedded store and the generated encryption key live. */
  dataDir: string;
  /** `DATABASE_URL`: when set, the PostgreSQL store is used (shared by many processes) instead of embedded SQLite. */
  databaseUrl: string | null;
  /**
   * Where processes that dispatch LISTEN for due work (`SLUICE_DB_LISTEN_URL`, default `DATABASE_URL`): a session
   * connection, so it must bypass a transaction-mode pooler. Null without PostgreSQL.
   */
  listenUrl: string | null;
  /** Connections in this process's PostgreSQL pool (`SLUICE_DB_POOL_SIZE`). */
  dbPoolSize: number;
  /** Base URL clients use to reach this gateway; source `url`s are built from it. */
  publicUrl: string;
  /** When set, this key is valid for the default team (created if absent). */
  apiKey: string | null;
  /** When set, authorises the team administration endpoints (`/teams`). */
  adminKey: string | null;
  /**
   * 32-byte AES-256-GCM key for secrets at rest; null = use (or create) `<dataDir>/encryption.key` (embedded store
   * only: with `DATABASE_URL` it is required, since every process must share it).
   */
  encryptionKey: Buffer | null;
  /**
   * `SLUICE_ENCRYPTION_KEY_PREVIOUS`: keys that sealed secrets before a rotation. They still open those secrets
   * (never seal new ones) until `sluice rotate-secrets` has rewritten every stored secret under the current key.
   */
  previousEncryptionKeys: Buffer[];
  /** Largest ingest body accepted, in bytes (413 beyond). */
  maxBodyBytes: number;
  /** Largest request line + headers accepted, in bytes (431 beyond). */
  maxHeaderBytes: number;
  /** A request whose headers and body have not all arrived this long after it began is cut off (408). */
  requestTimeoutMs: number;
  /** Requests per API key on the management API and /v2, per process (429 beyond); null = no limit. */
  apiRateLimit: RateLimit | null;
  /**
   * Failed authentications (a made-up or deleted API key, a wrong admin key) per client address, per process; past
   * it every authentication from that address is refused (429) until the budget refills. null = no limit.
   */
  authFailureLimit: RateLimit | null;
  /** Fastify's `trustProxy`: whose X-Forwarded-For to believe for the client address (false = the socket's peer). */
  trustProxy: boolean | number | string;
  /** Requests, events and attempts older than this many days are purged. */
  retentionDays: number;
  /** Concurrent attempts per destination, unless the destination sets its own (`rate_limit`, period `concurrent`). */
  destinationConcurrency: number;
  /** Concurrent attempts in this process across all destinations. */
  dispatchConcurrency: number;
  /** Default attempt timeout of a destination, in ms. */
  defaultTimeoutMs: number;
  /** Response bodies are stored up to this many bytes; the rest is read and discarded. */
  responseBodyLimit: number;
  /**
   * HTTP attempts (inbound HTTP, webhook and hookdeck destinations) are sent from a worker thread of their own, so
   * that request building and response parsing use a second core (src/destinations/http/senderThread.ts).
   */
  httpThread: boolean;
  /**
   * `SLUICE_DISPATCH_THREAD` (embedded store only): the dispatcher (claim, attempt, record) and the retention job
   * run on a worker thread with a SQLite connection of their own, so that ingest and delivery use two cores
   * (src/app/dispatchThread.ts). On by default: the quiet-machine A/B (BENCHMARKS.md) gained end to end and lost
   * nowhere. Ignored on PostgreSQL, which scales with processes.
   */
  dispatchThread: boolean;
  /** The longest the dispatcher sleeps when nothing is due (it also wakes at the next due time and on ingest). */
  pollIntervalMs: number;
  /** How long SIGTERM waits for in-flight attempts before closing. */
  shutdownTimeoutMs: number;
  /** Default retry schedule (seed 000): `count` retries, exponential from `intervalMs`. */
  retry: { intervalMs: number; count: number };
  /** How often the retention job runs, and how many requests it deletes per batch. */
  retention: { intervalMs: number; batch: number };
  /** Consecutive failed attempts after which an event destination is disabled (and `destination.disabled` published); 0 = never. */
  autoDisableAfter: number;
  /**
   * Outbound requests to private, loopback, link-local, CGNAT and ULA addresses are refused unless the address is
   * inside one of these CIDR ranges (`127.0.0.1/32`, `10.0.0.0/8`, `::1/128`). Empty = refuse them all.
   */
  outboundAllowlist: string[];
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

type Env = Readonly<Record<string, string | undefined>>;

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be a whole number from ${min} to ${max}; got "${raw}".`);
  }
  return value;
}

function onOff(env: Env, name: string, fallback: boolean): boolean {
  const raw = text(env, name);
  if (raw === null) return fallback;
  if (raw === 'on' || raw === 'true') return true;
  if (raw === 'off' || raw === 'false') return false;
  throw new ConfigError(`${name} must be on or off; got "${raw}".`);
}

function text(env: Env, name: string): string | null {
  const raw = env[name];
  return raw === undefined || raw.trim() === '' ? null : raw.trim();
}

function base64Key(name: string, raw: string): Buffer {
  const key = Buffer.from(raw, 'base64');
  if (key.length !== 32) {
    throw new ConfigError(`${name} must be 32 bytes in base64 (generate one with \`openssl rand -base64 32\`).`);
  }
  return key;
}

function encryptionKey(env: Env): Buffer | null {
  const raw = text(env, 'SLUICE_ENCRYPTION_KEY');
  return raw === null ? null : base64Key('SLUICE_ENCRYPTION_KEY', raw);
}

/** Comma-separated keys of earlier rotations; only meaningful beside an explicit current key. */
function previousEncryptionKeys(env: Env, current: Buffer | null): Buffer[] {
  const raw = text(env, 'SLUICE_ENCRYPTION_KEY_PREVIOUS');
  if (raw === null) return [];
  if (current === null) {
    throw new ConfigError('SLUICE_ENCRYPTION_KEY_PREVIOUS needs SLUICE_ENCRYPTION_KEY (the new key); see docs/configuration.md, "Rotating the encryption key".');
  }
  return raw
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .map((part) => base64Key('SLUICE_ENCRYPTION_KEY_PREVIOUS', part));
}

function cidrList(env: Env, name: string): string[] {
  const raw = text(env, name);
  if (raw === null) return [];
  return raw.split(',').map((part) => {
    const cidr = part.trim();
    const [address = '', prefix] = cidr.split('/');
    const family = isIP(address);
    const max = family === 6 ? 128 : 32;
    const bits = prefix === undefined ? max : Number(prefix);
    if (family === 0 || !Number.isInteger(bits) || bits < 0 || bits > max) {
      throw new ConfigError(`${name} takes comma-separated IP addresses or CIDR ranges (127.0.0.1/32, ::1/128); "${cidr}" is not one.`);
    }
    return `${address}/${bits}`;
  });
}

function postgresUrl(env: Env, name: string): string | null {
  const raw = text(env, name);
  if (raw === null) return null;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`${name} must be a PostgreSQL URL such as postgres://user:password@host:5432/sluice.`);
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new ConfigError(`${name} must start with postgres:// or postgresql://; got "${url.protocol}//…".${name === 'DATABASE_URL' ? ' Unset it to use the embedded SQLite store.' : ''}`);
  }
  return raw;
}

/** Where workers LISTEN: DATABASE_URL unless it goes through a transaction-mode pooler (see docs/deployment.md). */
function listenUrl(env: Env, databaseUrl: string | null): string | null {
  const own = postgresUrl(env, 'SLUICE_DB_LISTEN_URL');
  if (own !== null && databaseUrl === null) throw new ConfigError('SLUICE_DB_LISTEN_URL only applies with DATABASE_URL (PostgreSQL); unset it or set DATABASE_URL too.');
  return own ?? databaseUrl;
}

function role(env: Env, databaseUrl: string | null): Role {
  const raw = text(env, 'SLUICE_ROLE') ?? 'all';
  if (!(ROLES as readonly string[]).includes(raw)) throw new ConfigError(`SLUICE_ROLE must be one of ${ROLES.join(', ')}; got "${raw}".`);
  if (raw !== 'all' && databaseUrl === null) {
    throw new ConfigError(
      `SLUICE_ROLE=${raw} needs DATABASE_URL: the embedded SQLite store belongs to one process, which must run both the API and the dispatcher (SLUICE_ROLE=all, the default). Set DATABASE_URL to split roles across processes.`,
    );
  }
  return raw as Role;
}

/**
 * On PostgreSQL every process (on every machine) must read the secrets the others wrote, so the key must come
 * from config: a key generated into one data directory would make the others' secrets unreadable.
 */
function sharedEncryptionKey(env: Env, databaseUrl: string | null): Buffer | null {
  const key = encryptionKey(env);
  if (key === null && databaseUrl !== null) {
    throw new ConfigError(
      'SLUICE_ENCRYPTION_KEY is required with DATABASE_URL: every gateway process sharing the database must encrypt and read secrets with the same key, and a key generated per data directory cannot be shared. Generate one with `openssl rand -base64 32` and give the same value to every process.',
    );
  }
  return key;
}

/** `600/minute` → 600 per minute; unset, empty or `off` → no limit. */
function rateLimit(env: Env, name: string, fallback: string | null = null): RateLimit | null {
  const raw = text(env, name) ?? fallback;
  if (raw === null || raw === 'off') return null;
  const match = /^(\d+)\s*\/\s*(\w+)$/.exec(raw);
  const limit = Number(match?.[1]);
  const period = match?.[2] ?? '';
  if (match === null || !Number.isInteger(limit) || limit < 1 || limit > 1_000_000 || !(RATE_LIMIT_PERIODS as readonly string[]).includes(period)) {
    throw new ConfigError(`${name} must be "<requests>/<${RATE_LIMIT_PERIODS.join('|')}>" (for example 600/minute, requests from 1 to 1000000) or "off"; got "${raw}".`);
  }
  return { limit, period: period as RateLimitPeriod };
}

/** SLUICE_TRUST_PROXY: off, true (every hop: only when the gateway is reachable through the proxy alone), a hop count, or addresses/CIDRs. */
function trustProxy(env: Env): boolean | number | string {
  const raw = text(env, 'SLUICE_TRUST_PROXY');
  if (raw === null || raw === 'false' || raw === 'off') return false;
  if (raw === 'true') return true;
  if (/^\d+$/.test(raw)) {
    const hops = Number(raw);
    if (hops >= 1 && hops <= 100) return hops;
  } else if (raw.split(',').every((part) => isIP(part.trim().split('/')[0] ?? '') !== 0)) {
    return raw;
  }
  throw new ConfigError(`SLUICE_TRUST_PROXY must be off, true, a number of proxy hops (1 to 100) or comma-separated proxy addresses/CIDRs (10.0.0.0/8,127.0.0.1); got "${raw}".`);
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export function loadConfig(env: Env, cwd: string = process.cwd()): Config {
  const port = integer(env, 'PORT', 8080, 0, 65535);
  const host = text(env, 'HOST') ?? '0.0.0.0';
  const dataDirRaw = text(env, 'SLUICE_DATA_DIR') ?? './data';
  const dataDir = isAbsolute(dataDirRaw) ? dataDirRaw : resolve(cwd, dataDirRaw);
  const publicUrl = (text(env, 'SLUICE_PUBLIC_URL') ?? `http://localhost:${port}`).replace(/\/+$/, '');
  if (!/^https?:\/\//.test(publicUrl)) throw new ConfigError(`SLUICE_PUBLIC_URL must start with http:// or https://; got "${publicUrl}".`);
  const apiKey = text(env, 'SLUICE_API_KEY');
  if (apiKey !== null && apiKey.length < 16) throw new ConfigError('SLUICE_API_KEY must be at least 16 characters.');
  const adminKey = text(env, 'SLUICE_ADMIN_KEY');
  if (adminKey !== null && adminKey.length < 16) throw new ConfigError('SLUICE_ADMIN_KEY must be at least 16 characters.');
  const logLevel = text(env, 'LOG_LEVEL') ?? 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}; got "${logLevel}".`);
  }
  const database = postgresUrl(env, 'DATABASE_URL');
  const currentKey = sharedEncryptionKey(env, database);
  return {
    role: role(env, database),
    port,
    host,
    dataDir,
    databaseUrl: database,
    listenUrl: listenUrl(env, database),
    dbPoolSize: integer(env, 'SLUICE_DB_POOL_SIZE', 10, 1, 1000),
    publicUrl,
    apiKey,
    adminKey,
    encryptionKey: currentKey,
    previousEncryptionKeys: previousEncryptionKeys(env, currentKey),
    maxBodyBytes: integer(env, 'SLUICE_MAX_BODY_BYTES', 10 * 1024 * 1024, 1024, 100 * 1024 * 1024),
    maxHeaderBytes: integer(env, 'SLUICE_MAX_HEADER_BYTES', 16 * 1024, 1024, 1024 * 1024),
    requestTimeoutMs: integer(env, 'SLUICE_REQUEST_TIMEOUT_MS', 60_000, 100, 3_600_000),
    apiRateLimit: rateLimit(env, 'SLUICE_API_RATE_LIMIT'),
    authFailureLimit: rateLimit(env, 'SLUICE_AUTH_FAILURE_LIMIT', '60/minute'),
    trustProxy: trustProxy(env),
    retentionDays: integer(env, 'SLUICE_RETENTION_DAYS', 30, 1, 3650),
    destinationConcurrency: integer(env, 'SLUICE_DESTINATION_CONCURRENCY', 20, 1, 10_000),
    dispatchConcurrency: integer(env, 'SLUICE_DISPATCH_CONCURRENCY', 256, 1, 100_000),
    defaultTimeoutMs: integer(env, 'SLUICE_DEFAULT_TIMEOUT_MS', 5000, 100, 300_000),
    responseBodyLimit: integer(env, 'SLUICE_RESPONSE_BODY_LIMIT', 16 * 1024, 0, 1024 * 1024),
    // Off by default: its quiet-machine A/B (docs/benchmarks-history.md) showed no throughput gain and a backlog RSS over target.
    httpThread: onOff(env, 'SLUICE_HTTP_THREAD', false),
    // On by default: the quiet-machine A/B (BENCHMARKS.md, "Latest run") gained 16-20 % end to end and lost nowhere.
    dispatchThread: onOff(env, 'SLUICE_DISPATCH_THREAD', true),
    pollIntervalMs: integer(env, 'SLUICE_POLL_INTERVAL_MS', 1000, 10, 60_000),
    shutdownTimeoutMs: integer(env, 'SLUICE_SHUTDOWN_TIMEOUT_MS', 10_000, 0, 600_000),
    retry: {
      intervalMs: integer(env, 'SLUICE_RETRY_INTERVAL_MS', 30_000, 1, 86_400_000),
      count: integer(env, 'SLUICE_RETRY_COUNT', 10, 0, 100),
    },
    retention: {
      intervalMs: integer(env, 'SLUICE_RETENTION_INTERVAL_MS', 60_000, 100, 86_400_000),
      batch: integer(env, 'SLUICE_RETENTION_BATCH', 500, 1, 100_000),
    },
    autoDisableAfter: integer(env, 'SLUICE_AUTO_DISABLE_AFTER', 100, 0, 1_000_000),
    outboundAllowlist: cidrList(env, 'SLUICE_OUTBOUND_ALLOWLIST'),
    logLevel: logLevel as Config['logLevel'],
  };
}
