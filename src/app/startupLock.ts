/**
 * Serialises first-start set-up across processes sharing one PostgreSQL database. Several API processes started
 * at once would each find no default team and create one (team names are not unique), or race to register the
 * same `SLUICE_API_KEY` (its hash is, so the loser would fail to start). Under this lock the first one creates
 * what is missing and the others find it.
 *
 * The lock is held by an open transaction on a connection of its own (not a pooled one: the set-up itself runs on
 * the pool, which may have a single connection), keyed by the schema so deployments in different schemas do not
 * wait for each other. Transaction-scoped rather than session-scoped, so that it also holds, and is released,
 * through PgBouncer in transaction mode; a process that dies mid-way releases it with its connection.
 */
import pg from 'pg';

/** Lock class of first-start set-up (the store uses 0x534c0001–0x534c0003). */
export const STARTUP_LOCK_CLASS = 0x534c0004;

export async function withStartupLock<T>(url: string, work: () => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, application_name: 'sluice-start' });
  client.on('error', () => undefined); // a dropped connection surfaces as a failed query below, or not at all
  await client.connect();
  try {
    await client.query('BEGIN');
    await client.query("SELECT pg_advisory_xact_lock($1, hashtext(coalesce(current_schema(), '')))", [STARTUP_LOCK_CLASS]);
    const result = await work();
    await client.query('COMMIT');
    return result;
  } finally {
    await client.end().catch(() => undefined); // also ends (rolls back) the transaction if work() failed
  }
}
