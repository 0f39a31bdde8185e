/**
 * The dispatcher's claim: lease the earliest due events, at most `limit` in all and at most as many per
 * destination as it has free slots (its cap minus the attempts already in flight). A lease moves `due_at` to the
 * lease's end, so an attempt lost in a crash is due again then.
 *
 * Fairness without scanning backlogs: a destination at its cap may have a million due events, and walking them
 * (as a plain scan of events_due in time order would) on every claim is what lets one slow destination starve the
 * others. So the claim first lists the destinations with queued work, one index seek each (a loose scan of
 * events_destination_due), skips those at their cap, then reads from each of the rest only its earliest few
 * events, visiting destinations in order of their earliest due time and stopping once no other can do better.
 *
 * A destination with a rate limit by time also needs tokens in its bucket (rateBuckets.ts): it gets no more
 * events than it has tokens, and the claim spends one per event it leases, in the same transaction.
 */
import { randomUUID } from 'node:crypto';
import type { AttemptTrigger, Connection, Destination } from '../../domain/model.js';
import type { HeadRateLimit } from '../../domain/destinationRateLimit.js';
import type { ClaimedEvent, ClaimOptions } from '../port.js';
import {
  type ConnectionRow,
  type DestinationRow,
  EVENT_COLUMNS,
  type EventRow,
  eventRowOf,
  REQUEST_COLUMNS_BUT_BODY,
  requestRowOf,
  toConnection,
  toDestination,
  toEvent,
  toRequest,
} from './rows.js';
import { ClaimBuckets } from './rateBuckets.js';
import type { Statement } from 'better-sqlite3';
import type { Sql, SqlParam } from './sql.js';
import { notDurable } from './writer.js';

/** The destinations with queued work: a loose scan of events_destination_due, one seek per destination. */
export const HEADS = `
WITH RECURSIVE heads(destination_id) AS (
  SELECT (SELECT destination_id FROM events WHERE due_at IS NOT NULL ORDER BY destination_id LIMIT 1)
  UNION ALL
  SELECT (SELECT e.destination_id FROM events e
          WHERE e.due_at IS NOT NULL AND e.destination_id > h.destination_id ORDER BY e.destination_id LIMIT 1)
  FROM heads h WHERE h.destination_id IS NOT NULL
)`;

/** Destinations with queued work whose earliest due time has come, earliest first, with their own cap and time limit. */
export const CLAIM_HEADS_SQL = `${HEADS}
SELECT id, concurrency, rate_limit, rate_period_ms, head_due_at FROM (
  SELECT d.id AS id, d.concurrency AS concurrency, d.rate_limit AS rate_limit, d.rate_period_ms AS rate_period_ms,
    (SELECT min(e.due_at) FROM events e WHERE e.destination_id = d.id AND e.due_at IS NOT NULL) AS head_due_at
  FROM heads h JOIN destinations d ON d.id = h.destination_id
  WHERE d.disabled_at IS NULL
) WHERE head_due_at <= ? ORDER BY head_due_at`;

/** One destination's earliest due events (paused or disabled connections' are skipped: they should be HOLD). */
export const CLAIM_DESTINATION_SQL = `
SELECT e.rowid AS rowid, e.due_at AS due_at FROM events e JOIN connections c ON c.id = e.connection_id
WHERE e.destination_id = ? AND e.due_at IS NOT NULL AND e.due_at <= ? AND e.status IN ('QUEUED', 'SCHEDULED')
  AND c.paused_at IS NULL AND c.disabled_at IS NULL
ORDER BY e.due_at LIMIT ?`;

export const NEXT_DUE_SQL = 'SELECT min(due_at) AS due_at FROM events WHERE due_at IS NOT NULL';

/**
 * One JSON text (plucked): rows.ts, eventRowOf. By rowid, which every index entry carries: the claim picked it in
 * the same transaction, and a lookup by `id` would descend the primary key's index first.
 */
const LEASE = `UPDATE events SET lease_token = ?, due_at = ? WHERE rowid = ? RETURNING json_array(${EVENT_COLUMNS})`;
/** An array of two (raw): the JSON text of rows.ts' requestRowOf, and the body. */
const REQUEST = `SELECT json_array(${REQUEST_COLUMNS_BUT_BODY}), body FROM requests WHERE id = ?`;

interface Head extends HeadRateLimit {
  concurrency: number | null;
  head_due_at: number;
}
interface Due {
  rowid: number;
  due_at: number;
}

/** The `limit` earliest due events allowed by the destinations' free slots and tokens, earliest first. */
function pickDue(sql: Sql, options: ClaimOptions, buckets: ClaimBuckets): Due[] {
  let picked: Due[] = [];
  for (const head of sql.all<Head>(CLAIM_HEADS_SQL, options.now)) {
    const latest = picked[options.limit - 1];
    // Heads come earliest first: once the pick is full and this head is no earlier than its latest, none can improve it.
    if (latest !== undefined && head.head_due_at >= latest.due_at) break;
    const free = (head.concurrency ?? options.defaultConcurrency) - (options.inFlight.get(head.id) ?? 0);
    if (free <= 0) continue;
    const tokens = buckets.allowance(head);
    if (tokens <= 0) continue;
    const rows = sql.all<Due>(CLAIM_DESTINATION_SQL, head.id, options.now, Math.min(free, tokens, options.limit));
    picked = picked.concat(rows).sort((a, b) => a.due_at - b.due_at);
    if (picked.length > options.limit) picked.length = options.limit;
  }
  return picked;
}

export function claimDue(sql: Sql, options: ClaimOptions): ClaimedEvent[] {
  // A lease lost in a crash only makes its event due again (at least once): the claim need not wait for the fsync.
  notDurable();
  if (options.limit <= 0) return [];
  const context = new ContextLoader(sql);
  const leaseEnd = options.now + options.leaseMs;
  const claimed: ClaimedEvent[] = [];
  const buckets = new ClaimBuckets(sql, options.now);
  const leasedFrom: string[] = [];
  const lease = sql.statement(LEASE).pluck(true);
  for (const due of pickDue(sql, options, buckets)) {
    const leaseToken = randomUUID();
    const leased = lease.get(leaseToken, leaseEnd, due.rowid) as string | undefined;
    const row = leased === undefined ? undefined : eventRowOf(JSON.parse(leased) as unknown[]);
    if (row !== undefined) leasedFrom.push(row.destination_id);
    const loaded = row === undefined ? null : context.load(row, row.next_trigger as AttemptTrigger);
    if (loaded !== null) claimed.push({ ...loaded, leaseToken, dueAt: due.due_at });
  }
  buckets.charge(leasedFrom);
  return claimed;
}

const ANY_BLOCKED_AFTER = 'SELECT 1 AS blocked FROM destination_rate_buckets WHERE blocked_until > ? LIMIT 1';

/** Per destination with queued work (one index seek each): its earliest due time, or its next token if later. */
export const NEXT_DUE_BY_DESTINATION_SQL = `${HEADS}
SELECT min(CASE WHEN b.blocked_until > h.due_at THEN b.blocked_until ELSE h.due_at END) AS due_at FROM (
  SELECT h.destination_id AS destination_id,
    (SELECT min(e.due_at) FROM events e WHERE e.destination_id = h.destination_id AND e.due_at IS NOT NULL) AS due_at
  FROM heads h WHERE h.destination_id IS NOT NULL
) h LEFT JOIN destination_rate_buckets b ON b.destination_id = h.destination_id`;

/**
 * The dispatcher's next wake-up must not be a queued event that only its destination's empty bucket holds back:
 * that would be a past time, and the dispatcher would poll. So when some bucket is blocked past `earliest` (the
 * earliest due_at of all), the next due time is taken per destination: its earliest event, or its next token if
 * later (one seek per destination with queued work, as a claim costs).
 */
function nextDueAfterBuckets(sql: Sql, earliest: number): number | null {
  if (sql.get(ANY_BLOCKED_AFTER, earliest) === undefined) return earliest;
  return sql.get<{ due_at: number | null }>(NEXT_DUE_BY_DESTINATION_SQL)?.due_at ?? null;
}

/** The earliest due_at, unless only an empty bucket holds its event back. */
export function nextDueAt(sql: Sql): number | null {
  const earliest = sql.get<{ due_at: number | null }>(NEXT_DUE_SQL)?.due_at ?? null;
  return earliest === null ? null : nextDueAfterBuckets(sql, earliest);
}

/** Loads what an attempt needs around an event, caching destinations, connections and source names per call. */
export class ContextLoader {
  private readonly destinations = new Map<string, Destination | null>();
  private readonly connections = new Map<string, Connection | null>();
  private readonly sourceNames = new Map<string, string | null>();
  private readonly requests: Statement<SqlParam[]>;

  constructor(private readonly sql: Sql) {
    this.requests = sql.statement(REQUEST).raw(true);
  }

  load(row: EventRow, trigger: AttemptTrigger): Omit<ClaimedEvent, 'leaseToken' | 'dueAt'> | null {
    const read = this.requests.get(row.request_id) as [string, Buffer] | undefined;
    const request = read === undefined ? undefined : requestRowOf(JSON.parse(read[0]) as unknown[], read[1]);
    const destination = this.destination(row.destination_id);
    const connection = this.connection(row.connection_id);
    const sourceName = this.sourceName(row.source_id);
    if (request === undefined || destination === null || connection === null || sourceName === null) return null;
    return { event: toEvent(row), trigger, request: toRequest(request), destination, connection, sourceName };
  }

  private destination(id: string): Destination | null {
    if (!this.destinations.has(id)) {
      const row = this.sql.get<DestinationRow>('SELECT * FROM destinations WHERE id = ?', id);
      this.destinations.set(id, row === undefined ? null : toDestination(row));
    }
    return this.destinations.get(id) ?? null;
  }

  private connection(id: string): Connection | null {
    if (!this.connections.has(id)) {
      const row = this.sql.get<ConnectionRow>('SELECT * FROM connections WHERE id = ?', id);
      this.connections.set(id, row === undefined ? null : toConnection(row));
    }
    return this.connections.get(id) ?? null;
  }

  private sourceName(id: string): string | null {
    if (!this.sourceNames.has(id)) {
      this.sourceNames.set(id, this.sql.get<{ name: string }>('SELECT name FROM sources WHERE id = ?', id)?.name ?? null);
    }
    return this.sourceNames.get(id) ?? null;
  }
}
