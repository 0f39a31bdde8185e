/**
 * Time-partition maintenance on PostgreSQL (the plan is in partitionPlan.ts, the tables in migration 006): create
 * the weekly partitions ahead of time, and drop whole partitions once every row in them is past the retention
 * cutoff — no row-by-row delete, no dead tuples, no vacuum debt. Rows of the partition the cutoff falls inside are
 * still deleted row by row by the retention purge (retention.ts).
 *
 * Safe with many processes: each step is a transaction that first tries a per-schema advisory lock and does
 * nothing when another process holds it (that one is doing the same work). Locks on the tables are bounded by
 * `lock_timeout`, so maintenance never stalls ingest for long: a step that cannot get its lock gives up and is
 * tried again at the next tick.
 *
 * - Creating a partition takes no lock that blocks ingest: the table is made standalone (LIKE the parent) and
 *   attached, which takes SHARE UPDATE EXCLUSIVE on the parent (reads and writes go on), plus ACCESS EXCLUSIVE on
 *   the DEFAULT partition for the instant it is checked. Rows that landed in the DEFAULT partition within the new
 *   range (maintenance that lagged) are moved into the new partition in the same transaction.
 * - Dropping a partition takes ACCESS EXCLUSIVE on the parent for the instant of the drop (waiting at most
 *   `lock_timeout` for statements in flight); DETACH … CONCURRENTLY would avoid it but is refused while a DEFAULT
 *   partition exists. Before the drop, what the partition's rows own elsewhere goes with them: the attempts made
 *   after the partition's range (a late manual retry of an old event) and the published event ids of its messages.
 */
import type pg from 'pg';
import type { PartitionMaintenance } from '../port.js';
import { checkout, sqlState } from './db.js';
import {
  type ExistingPartition,
  expiredPartitions,
  idBounds,
  missingPartitions,
  partitionName,
  PARTITIONED_TABLES,
  type PartitionRange,
  wantedPartitions,
} from './partitionPlan.js';

/** Sluice's advisory-lock namespace for partition maintenance ("SL" + 4); the second key is hashtext(schema). */
export const PARTITION_LOCK_NAMESPACE = 0x534c0004;

/** Weeks created ahead of the current one. */
export const WEEKS_AHEAD = 2;

/** How long a maintenance step waits for a table lock before giving up until the next tick. */
const LOCK_TIMEOUT = '2s';

const TRY_LOCK = `SELECT pg_try_advisory_xact_lock(${PARTITION_LOCK_NAMESPACE}, hashtext(current_schema())) AS locked`;

const LIST = `SELECT c.relname AS name, p.relname AS "table", pg_get_expr(c.relpartbound, c.oid) AS bound
FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
WHERE p.relnamespace = current_schema()::regnamespace AND p.relname = ANY($1::text[]) AND c.relkind = 'r'
ORDER BY p.relname, c.relname`;

/** Partition names and id bounds are spliced into DDL (it takes no parameters): only these characters pass. */
const SAFE = /^[a-z0-9_]+$/;
function safe(value: string): string {
  if (!SAFE.test(value)) throw new Error(`Refusing to use "${value}" in partition DDL: only lowercase letters, digits and underscores are expected.`);
  return value;
}

type Client = pg.PoolClient;

export async function listPartitions(client: Pick<pg.Pool, 'query'>): Promise<ExistingPartition[]> {
  return (await client.query<ExistingPartition>(LIST, [Object.keys(PARTITIONED_TABLES)])).rows;
}

/**
 * Runs `step` in a transaction holding the maintenance lock; resolves to null when another process holds it. A
 * lock that `lock_timeout` gave up on is not an error (the work is retried at the next tick): also null.
 */
async function underLock<T>(pool: pg.Pool, step: (client: Client) => Promise<T>): Promise<T | null> {
  const held = await checkout(pool);
  const { client } = held;
  let broken: unknown = undefined;
  try {
    await client.query('BEGIN');
    try {
      await client.query(`SET LOCAL lock_timeout = '${LOCK_TIMEOUT}'`);
      const locked = (await client.query<{ locked: boolean }>(TRY_LOCK)).rows[0]?.locked === true;
      const result = locked ? await step(client) : null;
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch((rollbackError: unknown) => {
        broken = rollbackError;
      });
      if (sqlState(error) === '55P03') return null; // lock_not_available: try again later
      throw error;
    }
  } finally {
    held.release(broken);
  }
}

async function createPartition(client: Client, range: PartitionRange): Promise<string> {
  const name = safe(partitionName(range));
  const { lower, upper } = idBounds(range);
  const table = safe(range.table);
  await client.query(`CREATE TABLE ${name} (LIKE ${table} INCLUDING DEFAULTS)`);
  await client.query(`WITH moved AS (DELETE FROM ${table}_default WHERE id >= $1 AND id < $2 RETURNING *) INSERT INTO ${name} SELECT * FROM moved`, [
    lower,
    upper,
  ]);
  await client.query(`ALTER TABLE ${table} ATTACH PARTITION ${name} FOR VALUES FROM ('${safe(lower)}') TO ('${safe(upper)}')`);
  return name;
}

/** Creates the partitions of the current week and the `weeksAhead` after it that do not exist yet. */
export async function ensurePartitions(pool: pg.Pool, now: number, weeksAhead = WEEKS_AHEAD): Promise<string[]> {
  const created = await underLock(pool, async (client) => {
    const missing = missingPartitions(wantedPartitions(now, weeksAhead), await listPartitions(client));
    const names: string[] = [];
    for (const range of missing) names.push(await createPartition(client, range));
    return names;
  });
  return created ?? [];
}

/** Drops every partition wholly before `cutoff`, each in its own short transaction. Returns the names dropped. */
export async function dropExpiredPartitions(pool: pg.Pool, cutoff: number): Promise<string[]> {
  const dropped: string[] = [];
  for (const partition of expiredPartitions(await listPartitions(pool), cutoff)) {
    const done = await underLock(pool, async (client) => {
      const name = safe(partition.name);
      // Another process may have dropped it since the list was read.
      if ((await client.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [name])).rows[0]?.t == null) return null;
      if (partition.table === 'events') {
        // Attempts made after the partition's range (a manual retry of an old event) live in newer attempt partitions.
        await client.query(`DELETE FROM attempts a USING ${name} e WHERE e.last_attempt_at >= $1 AND a.event_id = e.id`, [partition.toMs]);
      }
      if (partition.table === 'requests') {
        await client.query('DELETE FROM published_event_ids WHERE request_id >= $1 AND request_id < $2', [partition.lower, partition.upper]);
      }
      await client.query(`DROP TABLE ${name}`);
      return name;
    });
    if (done !== null) dropped.push(done);
  }
  return dropped;
}

/** What the retention job runs before its row purge: partitions ahead, expired ones dropped. */
export async function maintainPartitions(pool: pg.Pool, now: number, cutoff: number): Promise<PartitionMaintenance> {
  const created = await ensurePartitions(pool, now);
  const dropped = await dropExpiredPartitions(pool, cutoff);
  return { created, dropped };
}
