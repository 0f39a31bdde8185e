/**
 * The dispatcher's claim on PostgreSQL: lease the earliest due events, at most `limit` in all and at most as many
 * per destination as it has free slots, with the SQLite store's semantics (a lease moves `due_at` to the lease's
 * end and sets a fresh `lease_token`; an attempt lost in a crash is due again then).
 *
 * Many processes claim from one database, so two things differ from SQLite's single writer:
 *
 * - Rows: each destination's due events are read `FOR UPDATE OF e SKIP LOCKED`, so two claimers never take the
 *   same event and never wait for each other (nor for a batch that is recording or holding some of them).
 * - Caps across processes: the caller's `inFlight` only knows this process. Every lease carries its owner (one
 *   id per store, i.e. per process: migration 011). A destination's used slots are the live leases of OTHER owners
 *   (events of the destination with a lease_token whose lease has not run out: `due_at > now`) plus `inFlight`
 *   here (this process's attempts, manual ones included, which hold no lease). This process's own leases are left
 *   to `inFlight`: one whose attempt finished frees its slot at once, not when its record commits — counting
 *   those kept a busy destination "full" for a record's latency after every batch (docs/postgres.md, "Delivery
 *   throughput"). So one store must not run two claims at once for the same caps (the dispatcher never does).
 *   Counting and leasing must not interleave between two claimers, or both would see the same free slots: a claim
 *   takes a transaction-scoped advisory lock per destination with pg_try_advisory_xact_lock, and a destination
 *   another process is claiming right now is skipped (that process serves it; this one moves on). The count runs
 *   in a statement after the lock is granted, so its snapshot includes the leases of the claimer that held the
 *   lock before.
 *
 * Fairness without scanning backlogs, as in SQLite: list the destinations with queued work by a loose index scan
 * of events_destination_due (one seek each), skip those at their cap, read from each of the rest only its earliest
 * few events, visiting destinations in order of their earliest due time and stopping once none can do better.
 *
 * Rate limits by time (rateBuckets.ts): a destination that has one gets no more events than its bucket holds
 * tokens, read under its advisory lock, and the claim spends one per event it leases before it commits.
 */
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { AttemptTrigger, Connection, Destination } from '../../domain/model.js';
import type { HeadRateLimit } from '../../domain/destinationRateLimit.js';
import type { ClaimedEvent, ClaimOptions } from '../port.js';
import { checkout, Db } from './db.js';
import { releaseUncertainLeases, releaseWindowMs } from './uncertainClaim.js';
import { ClaimBuckets } from './rateBuckets.js';
import {
  type ConnectionRow,
  type DestinationRow,
  type EventRow,
  type RequestRow,
  toConnection,
  toDestination,
  toEvent,
  toRequest,
} from './rows.js';

/** Sluice's advisory-lock namespace for per-destination claims ("SL" + 3); the second key is hashtext(id). */
export const CLAIM_LOCK_NAMESPACE = 0x534c0003;

/**
 * A loose index scan of events_destination_due: one seek per destination with queued work, each giving its
 * earliest due time (the first entry of its range). `ORDER BY destination_id, due_at` with `destination_id > …`
 * can only be served by that index, so the plan cannot drift to another one.
 */
const HEADS = `
WITH RECURSIVE heads(destination_id, due_at) AS (
  (SELECT destination_id, due_at FROM events WHERE due_at IS NOT NULL ORDER BY destination_id, due_at LIMIT 1)
  UNION ALL
  SELECT n.destination_id, n.due_at FROM heads h CROSS JOIN LATERAL (
    SELECT e.destination_id, e.due_at FROM events e
    WHERE e.due_at IS NOT NULL AND e.destination_id > h.destination_id
    ORDER BY e.destination_id, e.due_at LIMIT 1
  ) n
)`;

/** Destinations with queued work whose earliest due time has come, earliest first, with their own cap and time limit. */
export const CLAIM_HEADS_SQL = `${HEADS}
SELECT d.id, d.concurrency, d.rate_limit, d.rate_period_ms, h.due_at AS head_due_at
FROM heads h JOIN destinations d ON d.id = h.destination_id
WHERE d.disabled_at IS NULL AND h.due_at <= $1
ORDER BY h.due_at`;

const TRY_LOCK_DESTINATION = `SELECT pg_try_advisory_xact_lock(${CLAIM_LOCK_NAMESPACE}, hashtext($1)) AS locked`;

/** Live leases of one destination ($1) at $2 held by other owners than $3: attempts in flight in other processes. */
export const LIVE_LEASES_SQL = `SELECT count(*) AS n FROM events
WHERE destination_id = $1 AND lease_token IS NOT NULL AND due_at > $2 AND lease_owner IS DISTINCT FROM $3`;

/**
 * One destination's ($1) earliest due events at $2, at most min($3, cap $4 − inFlight $5 − other owners' ($6)
 * live leases). Paused or disabled connections' events are skipped (they should be HOLD). Locked rows are
 * skipped, not awaited.
 *
 * The connection is checked by a subquery per row, not a join: joined, the planner read every due event of the
 * destination and sorted them to return the first few (measured: 2,000 due events read for a claim of 20), so a
 * claim cost grew with the backlog. As a per-row filter the events are read in due order from
 * events_destination_due (a merge of the partitions' index scans) and the scan stops at the limit.
 */
export const CLAIM_DESTINATION_SQL = `
SELECT e.id, e.due_at FROM events e
WHERE e.destination_id = $1 AND e.due_at IS NOT NULL AND e.due_at <= $2 AND e.status IN ('QUEUED', 'SCHEDULED')
  AND (SELECT c.paused_at IS NULL AND c.disabled_at IS NULL FROM connections c WHERE c.id = e.connection_id)
ORDER BY e.due_at
LIMIT greatest(0, least($3::bigint, $4::bigint - $5::bigint - (SELECT count(*) FROM events l
  WHERE l.destination_id = $1 AND l.lease_token IS NOT NULL AND l.due_at > $2 AND l.lease_owner IS DISTINCT FROM $6::text)))
FOR UPDATE OF e SKIP LOCKED`;

/**
 * The earliest due time of any pending or leased event: the minimum of the destinations' heads, each no earlier
 * than its bucket's next token (rateBuckets.ts), so that a backlog only an empty bucket holds back is slept on
 * until the token is due instead of being polled. greatest() ignores the NULL of a destination without a bucket.
 */
export const NEXT_DUE_SQL = `${HEADS}
SELECT min(greatest(h.due_at, b.blocked_until)) AS due_at
FROM heads h LEFT JOIN destination_rate_buckets b ON b.destination_id = h.destination_id`;

/**
 * Leases the picked events ($2) until $1 under one token ($3) and the owner ($4). One token per claim is enough:
 * a token only has to tell this lease of an event from its other leases (an expired one, a later one), and
 * `id = ANY(…)` lets the planner prune the partitions and read the primary key, where a join on unnest of
 * (id, token) pairs was planned as a scan of every partition while their statistics were missing.
 */
export const LEASE_SQL = `UPDATE events e SET lease_token = $3, lease_owner = $4, due_at = $1
WHERE e.id = ANY($2::text[]) RETURNING e.*`;

interface Head extends HeadRateLimit {
  concurrency: number | null;
  head_due_at: number;
}
interface Due {
  id: string;
  due_at: number;
}

/** The `limit` earliest due events allowed by the destinations' free slots and tokens, earliest first; their rows locked. */
async function pickDue(db: Db, options: ClaimOptions, owner: string, buckets: ClaimBuckets): Promise<Due[]> {
  let picked: Due[] = [];
  for (const head of await db.rows<Head>(CLAIM_HEADS_SQL, [options.now])) {
    const latest = picked[options.limit - 1];
    // Heads come earliest first: once the pick is full and this head is no earlier than its latest, none can improve it.
    if (latest !== undefined && head.head_due_at >= latest.due_at) break;
    const cap = head.concurrency ?? options.defaultConcurrency;
    const inFlight = options.inFlight.get(head.id) ?? 0;
    if (cap - inFlight <= 0) continue;
    if ((await db.row<{ locked: boolean }>(TRY_LOCK_DESTINATION, [head.id]))?.locked !== true) continue;
    // The per-destination step, under the destination's lock: a rate limit by time caps what it may take now.
    const tokens = await buckets.allowance(head); // under the lock: see rateBuckets.ts
    if (tokens <= 0) continue;
    const rows = await db.rows<Due>(CLAIM_DESTINATION_SQL, [head.id, options.now, Math.min(options.limit, tokens), cap, inFlight, owner]);
    picked = picked.concat(rows).sort((a, b) => a.due_at - b.due_at);
    if (picked.length > options.limit) picked.length = options.limit;
  }
  return picked;
}

/**
 * Picks, leases (under `owner`, the calling store's id) and loads what the attempts need in one transaction on its
 * own connection.
 */
export async function claimDue(pool: pg.Pool, options: ClaimOptions, owner: string): Promise<ClaimedEvent[]> {
  if (options.limit <= 0) return [];
  const held = await checkout(pool);
  const { client } = held;
  let broken: Error | undefined;
  try {
    const db = new Db(client);
    // A lease lost in a crash only makes its event due again (at least once), as in the SQLite store: the claim
    // need not wait for the WAL flush. A later synchronous commit (the attempt's record) flushes it anyway.
    await client.query('BEGIN; SET LOCAL synchronous_commit = off'); // one round trip
    const token = randomUUID();
    let leased: { due: Due; row: EventRow }[] = [];
    let context: ContextLoader | null = null;
    let committing = false;
    try {
      const buckets = new ClaimBuckets(db, options.now);
      const picked = await pickDue(db, options, owner, buckets);
      if (picked.length > 0) {
        const rows = await db.rows<EventRow>(LEASE_SQL, [options.now + options.leaseMs, picked.map((d) => d.id), token, owner]);
        const byId = new Map(rows.map((row) => [row.id, row]));
        leased = picked.flatMap((due) => {
          const row = byId.get(due.id);
          return row === undefined ? [] : [{ due, row }];
        });
        // Loaded before the commit, not after: should the database go away in between, the leases roll back with
        // the transaction instead of holding events nobody will attempt until the leases run out.
        if (leased.length > 0) context = await ContextLoader.load(db, leased.map((l) => l.row));
      }
      await buckets.charge(leased.map((l) => l.row.destination_id));
      committing = true;
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch((rollbackError: unknown) => {
        broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
      });
      if (committing) {
        // The COMMIT failed, perhaps without an answer saying what became of it: give back the leases it may have
        // made (uncertainClaim.ts), on another connection; this one is closed first, or a pool of one would wait for it.
        held.release(broken ?? error);
        await releaseUncertainLeases(pool, leased.map((l) => ({ eventId: l.row.id, leaseToken: token })), options.now, releaseWindowMs(options.leaseMs));
      }
      throw error;
    }
    if (context === null) return [];
    const loader = context;
    return leased.flatMap(({ due, row }) => {
      const loaded = loader.load(row, row.next_trigger as AttemptTrigger);
      return loaded === null ? [] : [{ ...loaded, leaseToken: token, dueAt: due.due_at }];
    });
  } finally {
    held.release(broken);
  }
}

export async function nextDueAt(db: Db): Promise<number | null> {
  return (await db.row<{ due_at: number | null }>(NEXT_DUE_SQL))?.due_at ?? null;
}

/** The destinations ($1), connections ($2) and source names ($3) of claimed events, as three JSON arrays in one row. */
const ROUTES_SQL = `SELECT
  (SELECT coalesce(json_agg(d), '[]') FROM destinations d WHERE d.id = ANY($1::text[])) AS destinations,
  (SELECT coalesce(json_agg(c), '[]') FROM connections c WHERE c.id = ANY($2::text[])) AS connections,
  (SELECT coalesce(json_agg(json_build_object('id', s.id, 'name', s.name)), '[]') FROM sources s WHERE s.id = ANY($3::text[])) AS sources`;

/** What an attempt needs around a set of events: their requests, destinations, connections and source names. */
export class ContextLoader {
  private constructor(
    private readonly requests: Map<string, RequestRow>,
    private readonly destinations: Map<string, Destination>,
    private readonly connections: Map<string, Connection>,
    private readonly sourceNames: Map<string, string>,
  ) {}

  /**
   * Two queries whatever the number of events: their requests, and one for their destinations, connections and
   * source names together (each a JSON array, as the rows' columns are text and numbers: bigint values come back
   * as the same exact numbers as through the pool's int8 parser). A claim is a chain of round trips on one
   * connection, and each costs a wake-up of both processes on a busy machine.
   */
  static async load(db: Db, rows: EventRow[]): Promise<ContextLoader> {
    const ids = (pick: (row: EventRow) => string) => [...new Set(rows.map(pick))];
    const requests = await db.rows<RequestRow>('SELECT * FROM requests WHERE id = ANY($1::text[])', [ids((r) => r.request_id)]);
    const routes = await db.row<{ destinations: DestinationRow[]; connections: ConnectionRow[]; sources: { id: string; name: string }[] }>(ROUTES_SQL, [
      ids((r) => r.destination_id),
      ids((r) => r.connection_id),
      ids((r) => r.source_id),
    ]);
    return new ContextLoader(
      new Map(requests.map((r) => [r.id, r])),
      new Map((routes?.destinations ?? []).map((r) => [r.id, toDestination(r)])),
      new Map((routes?.connections ?? []).map((r) => [r.id, toConnection(r)])),
      new Map((routes?.sources ?? []).map((r) => [r.id, r.name])),
    );
  }

  load(row: EventRow, trigger: AttemptTrigger): Omit<ClaimedEvent, 'leaseToken' | 'dueAt'> | null {
    const request = this.requests.get(row.request_id);
    const destination = this.destinations.get(row.destination_id);
    const connection = this.connections.get(row.connection_id);
    const sourceName = this.sourceNames.get(row.source_id);
    if (request === undefined || destination === undefined || connection === undefined || sourceName === undefined) return null;
    return { event: toEvent(row), trigger, request: toRequest(request), destination, connection, sourceName };
  }
}
