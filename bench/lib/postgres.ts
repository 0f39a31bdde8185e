/**
 * The PostgreSQL profile's set-up: a fresh database per scenario on the server of BENCH_DATABASE_URL (default
 * postgres://postgres@127.0.0.1:5432/postgres), dropped after, and a deployment of real gateway processes on it —
 * API processes (`SLUICE_ROLE=api`) and worker processes (`SLUICE_ROLE=worker`), as docs/deployment.md runs them.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { freePort } from './common.js';
import { startGateway, stopGateway, type GatewayChild } from './gateway.js';

export const SERVER_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

async function onServer<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: SERVER_URL, connectionTimeoutMillis: 3000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export async function assertPostgres(): Promise<void> {
  try {
    await onServer((c) => c.query('SELECT 1'));
  } catch (error) {
    throw new Error(`The PostgreSQL profile needs a server at ${SERVER_URL} (set BENCH_DATABASE_URL): ${(error as Error).message}`);
  }
}

export interface PgDeployment {
  api: GatewayChild;
  workers: GatewayChild[];
  databaseUrl: string;
}

/**
 * Runs `run` against one API process (role `api` unless told) and `workers` worker processes sharing a fresh
 * database; stops them all and drops the database afterwards.
 */
export async function withPostgresDeployment<T>(
  options: { tmp: string; root: string; workers: number; poolSize?: number; apiRole?: 'api' | 'all' },
  run: (deployment: PgDeployment) => Promise<T>,
): Promise<T> {
  const database = `sluice_bench_${randomBytes(5).toString('hex')}`;
  await onServer((c) => c.query(`CREATE DATABASE ${database}`));
  const databaseUrl = withDatabase(SERVER_URL, database);
  const env = {
    DATABASE_URL: databaseUrl,
    SLUICE_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    SLUICE_DB_POOL_SIZE: String(options.poolSize ?? 10),
  };
  const started: GatewayChild[] = [];
  try {
    const api = await startGateway({
      root: options.root,
      dataDir: `${options.tmp}/${database}-api`,
      port: await freePort(),
      env: { ...env, SLUICE_ROLE: options.apiRole ?? 'api' },
    });
    started.push(api);
    const workers: GatewayChild[] = [];
    for (let i = 0; i < options.workers; i++) {
      const worker = await startGateway({ root: options.root, dataDir: `${options.tmp}/${database}-w${i}`, port: await freePort(), env: { ...env, SLUICE_ROLE: 'worker' } });
      started.push(worker);
      workers.push(worker);
    }
    return await run({ api, workers, databaseUrl });
  } finally {
    await Promise.all(started.map((g) => stopGateway(g)));
    await onServer(async (c) => {
      await c.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [database]);
      await c.query(`DROP DATABASE IF EXISTS ${database}`);
    });
  }
}
