/**
 * Ingest: requests and the events they fan out to, written inside the group-commit transaction. The writer merges
 * the ingests next to each other in a batch (writer.ts, `submitMerged`): one statement takes the route locks of
 * them all, one statement inserts all their requests and events (unnest of arrays), whatever their number; a
 * merged write that fails is redone one ingest at a time, so a bad one fails alone.
 *
 * Each event's status is settled here, at commit, from its connection's state rather than taken on trust from the
 * caller (SCHEDULED when a delay rule made it due later): a connection paused, disabled or deleted between the
 * ingest's lookup and this commit would otherwise leave an event queued that no claim will take (or held after its
 * release already ran). The shared route locks taken first (holds.ts) order this statement with any concurrent
 * change of those routes, so the state it reads is the one committed last. Deduplicate claims are settled here
 * too, before the insert: an event whose key is live for its connection is not made, and its request records it
 * as ignored. When an event is queued or scheduled, the workers are woken (NOTIFY at commit) to recompute their
 * next wake-up.
 */
import type { RequestRecord } from '../../domain/model.js';
import { acceptedOf, ignoredToJson, withoutDuplicates } from '../ignoredRoutes.js';
import type { AcceptedRequest, NewEvent } from '../port.js';
import { lockRoutesShared } from './holds.js';
import { type RequestRow, toRequest } from './rows.js';
import type { Db } from './db.js';
import type { Merge, Tx } from './writer.js';

export interface Ingest {
  request: RequestRecord;
  events: NewEvent[];
}

export const ACCEPT_SQL = `
WITH request AS (
  INSERT INTO requests (id, team_id, source_id, method, path, query, headers, body, body_is_json, rejection_cause, event_ids, created_at, ignored)
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::bytea[], $9::boolean[],
    $10::text[], $11::text[], $12::bigint[], $20::text[])
),
settled AS (
  SELECT k.id, k.request_id, k.team_id, k.source_id, k.connection_id, k.destination_id, k.created_at, k.due_at,
    CASE
      WHEN c.id IS NULL THEN 'CANCELLED'
      WHEN c.paused_at IS NOT NULL OR c.disabled_at IS NOT NULL OR d.disabled_at IS NOT NULL THEN 'HOLD'
      WHEN k.due_at > k.created_at THEN 'SCHEDULED'
      ELSE 'QUEUED'
    END AS status
  FROM unnest($13::text[], $14::text[], $15::text[], $16::text[], $17::text[], $18::text[], $19::bigint[], $21::bigint[])
    WITH ORDINALITY AS k(id, request_id, team_id, source_id, connection_id, destination_id, created_at, due_at, n)
  LEFT JOIN connections c ON c.id = k.connection_id
  LEFT JOIN destinations d ON d.id = c.destination_id
  ORDER BY k.n
),
inserted AS (
  INSERT INTO events (id, team_id, request_id, connection_id, source_id, destination_id, status, due_at, next_attempt_at, next_trigger, created_at, updated_at)
  SELECT s.id, s.team_id, s.request_id, s.connection_id, s.source_id, s.destination_id, s.status,
    CASE WHEN s.status IN ('QUEUED', 'SCHEDULED') THEN s.due_at END, CASE WHEN s.status IN ('QUEUED', 'SCHEDULED') THEN s.due_at END,
    'INITIAL', s.created_at, s.created_at
  FROM settled s
  RETURNING status
)
SELECT count(*) FILTER (WHERE status IN ('QUEUED', 'SCHEDULED')) AS queued FROM inserted`;

/** Claims keys in one order (connection, key), so that two requests claiming the same keys cannot deadlock. */
const CLAIM_DEDUP_SQL = `
INSERT INTO dedup_keys (connection_id, key, event_id, expires_at)
SELECT k.connection_id, k.key, k.event_id, k.expires_at
FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[]) AS k(connection_id, key, event_id, expires_at)
ORDER BY k.connection_id, k.key
ON CONFLICT (connection_id, key) DO UPDATE SET event_id = EXCLUDED.event_id, expires_at = EXCLUDED.expires_at
  WHERE dedup_keys.expires_at <= $5
RETURNING event_id`;
/** A new statement, so it sees a key committed by a concurrent request while the claim above waited for it. */
const LIVE_DEDUP_SQL = `SELECT k.event_id AS proposed, d.event_id AS original
FROM unnest($1::text[], $2::text[], $3::text[]) AS k(connection_id, key, event_id)
LEFT JOIN dedup_keys d ON d.connection_id = k.connection_id AND d.key = k.key`;

/**
 * Expired keys, earliest first, at most `batch`, in a statement of its own (the retention job): rows a concurrent
 * ingest is claiming again are skipped, never waited on, and that ingest overwrites them anyway.
 */
export function purgeDedupKeys(db: Db, now: number, batch: number): Promise<number> {
  if (batch <= 0) return Promise.resolve(0);
  return db.run(
    `DELETE FROM dedup_keys WHERE ctid = ANY(ARRAY(
       SELECT ctid FROM dedup_keys WHERE expires_at <= $1 ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED))`,
    [now, batch],
  );
}

/** Claims the events' deduplication keys: event id → the event it repeats, for those whose key was live. */
async function claimDedupKeys(tx: Tx, at: number, events: NewEvent[]): Promise<Map<string, string>> {
  const duplicates = new Map<string, string>();
  const claims = events.flatMap((e) => (e.dedup === undefined ? [] : [{ event: e, key: e.dedup.key, expiresAt: e.dedup.expiresAt }]));
  if (claims.length === 0) return duplicates;
  const connections = claims.map((c) => c.event.connectionId);
  const keys = claims.map((c) => c.key);
  const ids = claims.map((c) => c.event.id);
  const claimed = new Set((await tx.db.rows<{ event_id: string }>(CLAIM_DEDUP_SQL, [connections, keys, ids, claims.map((c) => c.expiresAt), at])).map((r) => r.event_id));
  if (claimed.size < claims.length) {
    const unclaimed = claims.filter((c) => !claimed.has(c.event.id));
    const live = await tx.db.rows<{ proposed: string; original: string | null }>(LIVE_DEDUP_SQL, [
      unclaimed.map((c) => c.event.connectionId),
      unclaimed.map((c) => c.key),
      unclaimed.map((c) => c.event.id),
    ]);
    for (const row of live) duplicates.set(row.proposed, row.original ?? '');
  }
  return duplicates;
}

/** Sluice's advisory-lock namespace for deduplication keys ("SL" + 5); the second key is hashtext(connection|key). */
export const DEDUP_LOCK_NAMESPACE = 0x534c0005;

/**
 * Deduplication keys are claimed one ingest at a time (below), so a batch claiming keys A then B and another
 * claiming B then A would wait for each other in a cycle: PostgreSQL breaks it after deadlock_timeout (1 s) by
 * failing one, which the writer then retries. Measured with three stores ingesting overlapping keys in varied
 * orders (test/store/postgresDedupRace.test.ts): 543 deadlocks for 1,440 ingests before this lock. So every key a
 * merged run will claim is first locked in one fixed order (a transaction-scoped advisory lock per key, sorted):
 * whoever holds a key took every smaller one first, and no cycle can form. Two runs of one batch (ingests with
 * other writes between them) still lock run by run: rare, and retried as above if it ever happens.
 */
async function lockDedupKeys(tx: Tx, ingests: Ingest[]): Promise<void> {
  const keys = ingests.flatMap((i) => i.events.flatMap((e) => (e.dedup === undefined ? [] : [`${e.connectionId}|${e.dedup.key}`])));
  if (keys.length === 0) return;
  const sorted = [...new Set(keys)].sort();
  await tx.db.run(`SELECT pg_advisory_xact_lock(${DEDUP_LOCK_NAMESPACE}, hashtext(k)) FROM unnest($1::text[]) WITH ORDINALITY AS x(k, n) ORDER BY n`, [sorted]);
}

/**
 * Writes the ingests (see above): their shared route locks first, then their deduplication keys' locks (in one
 * order), then each one's deduplicate claims (rare: one statement per ingest that has any, so repeats within one
 * merged run meet on the key like any others), then one insert of everything.
 */
async function writeIngests(tx: Tx, ingests: Ingest[]): Promise<AcceptedRequest[]> {
  if (tx.redo) {
    const stored = await alreadyStored(tx, ingests);
    if (stored !== null) return stored;
  }
  await lockRoutesShared(tx.db, ingests.flatMap((i) => i.events.flatMap((e) => [e.connectionId, e.destinationId])));
  await lockDedupKeys(tx, ingests);
  const settled: Ingest[] = [];
  for (const ingest of ingests) {
    const duplicates = await claimDedupKeys(tx, ingest.request.createdAt, ingest.events);
    settled.push(withoutDuplicates(ingest.request, ingest.events, duplicates));
  }
  const requests = settled.map((i) => i.request);
  const events = settled.flatMap(({ request, events }) => events.map((event) => ({ request, event })));
  const result = await tx.db.row<{ queued: number }>(ACCEPT_SQL, [
    requests.map((r) => r.id),
    requests.map((r) => r.teamId),
    requests.map((r) => r.sourceId),
    requests.map((r) => r.method),
    requests.map((r) => r.path),
    requests.map((r) => r.query),
    requests.map((r) => JSON.stringify(r.headers)),
    requests.map((r) => r.body),
    requests.map((r) => r.bodyIsJson),
    requests.map((r) => r.rejectionCause),
    requests.map((r) => JSON.stringify(r.eventIds)),
    requests.map((r) => r.createdAt),
    events.map(({ event }) => event.id),
    events.map(({ request }) => request.id),
    events.map(({ request }) => request.teamId),
    events.map(({ request }) => request.sourceId),
    events.map(({ event }) => event.connectionId),
    events.map(({ event }) => event.destinationId),
    events.map(({ request }) => request.createdAt),
    requests.map((r) => ignoredToJson(r.ignored)),
    events.map(({ request, event }) => event.dueAt ?? request.createdAt),
  ]);
  if ((result?.queued ?? 0) > 0) tx.wake();
  return settled.map((i) => acceptedOf(i.request));
}

/**
 * A redo after a lost COMMIT (writer.ts, `tx.redo`): request ids are made fresh for every request, so finding them
 * stored means the first try committed. The caller then gets what is stored (a 2xx for what is durable) rather
 * than a duplicate-key error, and nothing is written twice. Null when they are not all there (write them).
 */
async function alreadyStored(tx: Tx, ingests: Ingest[]): Promise<AcceptedRequest[] | null> {
  const rows = await tx.db.rows<RequestRow>('SELECT * FROM requests WHERE id = ANY($1::text[])', [ingests.map((i) => i.request.id)]);
  const byId = new Map(rows.map((row) => [row.id, toRequest(row)]));
  const stored = ingests.flatMap((i) => {
    const request = byId.get(i.request.id);
    return request === undefined ? [] : [acceptedOf(request)];
  });
  return stored.length === ingests.length ? stored : null;
}

/**
 * Ingests, merged by the group writer. Bodies travel hex-encoded inside the statement's bytea[] parameter, so a
 * merged insert is kept to about 8 MiB of bodies: 64 ordinary webhooks merge, a few large ones go one at a time.
 */
export const INGESTS: Merge<Ingest, AcceptedRequest> = {
  writeAll: writeIngests,
  weigh: (ingest) => ingest.request.body.length,
  maxWeight: 8 * 1024 * 1024,
};
