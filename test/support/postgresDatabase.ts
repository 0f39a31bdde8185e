/**
 * A fresh PostgreSQL database per test run, on the server of DATABASE_URL_TEST (default
 * postgres://postgres@127.0.0.1:5432), for tests that start real gateway processes on PostgreSQL: created with a
 * random name (sluice_mp_<hex>), dropped after (its remaining sessions terminated first).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import pg from 'pg';

export const SERVER_URL = process.env.DATABASE_URL_TEST ?? 'postgres://postgres@127.0.0.1:5432/test';

export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

async function connect(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

/** A client on the server for CREATE/DROP DATABASE: the maintenance database, else the configured one. */
async function adminClient(): Promise<pg.Client> {
  try {
    return await connect(withDatabase(SERVER_URL, 'postgres'));
  } catch {
    return connect(SERVER_URL);
  }
}

export async function probePostgres(): Promise<string | null> {
  try {
    const client = await adminClient();
    await client.end();
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

export interface FreshDatabase {
  url: string;
  drop(): Promise<void>;
}

export async function createDatabase(prefix = 'sluice_mp'): Promise<FreshDatabase> {
  const name = `${prefix}_${randomBytes(5).toString('hex')}`;
  const admin = await adminClient();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  return {
    url: withDatabase(SERVER_URL, name),
    async drop() {
      const client = await adminClient();
      try {
        await client.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [name]);
        await client.query(`DROP DATABASE IF EXISTS ${name}`);
      } finally {
        await client.end();
      }
    },
  };
}

export async function query<R>(url: string, sql: string, params: unknown[] = []): Promise<R[]> {
  const client = await connect(url);
  try {
    return (await client.query(sql, params)).rows as R[];
  } finally {
    await client.end();
  }
}

/**
 * Defines a file's PostgreSQL tests with `define` when the server answers; otherwise one test named `what` that
 * skips with the reason, or fails under CI=true (CI must never pass by skipping them).
 */
export async function describeWithPostgres(what: string, define: () => void): Promise<void> {
  const unreachable = await probePostgres();
  if (unreachable === null) {
    define();
    return;
  }
  const reason = `PostgreSQL is not reachable (${unreachable})`;
  if (process.env.CI === 'true') test(`${what}: PostgreSQL is reachable (required in CI)`, () => assert.fail(reason));
  else test(what, { skip: reason }, () => undefined);
}
