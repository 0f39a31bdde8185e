/**
 * Ingest: a request and the events it fans out to, written in one statement inside the caller's group-commit
 * transaction. Each event's status is settled here, at commit, from its connection's state rather than taken on
 * trust from the caller: a connection paused, disabled or deleted between the ingest's lookup and this commit
 * would otherwise leave an event queued that no claim will take (or held after its release already ran). The
 * shared route locks taken first (holds.ts) order this statement with any concurrent change of those routes, so
 * the state it reads is the one committed last. When an event is queued or scheduled (a delay rule), the workers are woken (NOTIFY at commit) to
 * recompute their next wake-up.
 */
import type { RequestRecord } from '../../domain/model.js';
import { acceptedOf, ignoredToJson, withoutDuplicates } from '../ignoredRoutes.js';
import type { AcceptedRequest, NewEvent } from '../port.js';
import { lockRoutesShared } from './holds.js';
import type { Tx } from './writer.js';

export const ACCEPT_SQL = `
WITH request AS (
  INSERT INTO requests (id, team_id, source_id, method, path, query, headers, body, body_is_json, rejection_cause, event_ids, ignored, created_at)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $17, $12)
),
settled AS (
  SELECT k.id, k.connection_id, k.destination_id, k.due_at,
    CASE
      WHEN c.id IS NULL THEN 'CANCELLED'
      WHEN c.paused_at IS NOT NULL OR c.disabled_at IS NOT NULL OR d.disabled_at IS NOT NULL THEN 'HOLD'
      WHEN k.due_at > $12::bigint THEN 'SCHEDULED'
      ELSE 'QUEUED'
    END AS status
  FROM unnest($13::text[], $14::text[], $15::text[], $16::bigint[]) WITH ORDINALITY AS k(id, connection_id, destination_id, due_at, n)
  LEFT JOIN connections c ON c.id = k.connection_id
  LEFT JOIN destinations d ON d.id = c.destination_id
  ORDER BY k.n
),
inserted AS (
  INSERT INTO events (id, team_id, request_id, connection_id, source_id, destination_id, status, due_at, next_attempt_at, next_trigger, created_at, updated_at)
  SELECT s.id, $2, $1, s.connection_id, $3, s.destination_id, s.status,
    CASE WHEN s.status IN ('QUEUED', 'SCHEDULED') THEN s.due_at END, CASE WHEN s.status IN ('QUEUED', 'SCHEDULED') THEN s.due_at END,
    'INITIAL', $12, $12
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
/** Expired keys, a few per ingest; rows another transaction holds are left for later (never waited on). */
const CLEAN_DEDUP_SQL = `DELETE FROM dedup_keys WHERE ctid = ANY(ARRAY(
  SELECT ctid FROM dedup_keys WHERE expires_at <= $1 LIMIT 100 FOR UPDATE SKIP LOCKED))`;

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
  await tx.db.run(CLEAN_DEDUP_SQL, [at]);
  return duplicates;
}

export async function insertRequest(tx: Tx, received: RequestRecord, proposed: NewEvent[]): Promise<AcceptedRequest> {
  await lockRoutesShared(tx.db, proposed.flatMap((e) => [e.connectionId, e.destinationId]));
  const { request, events } = withoutDuplicates(received, proposed, await claimDedupKeys(tx, received.createdAt, proposed));
  const result = await tx.db.row<{ queued: number }>(ACCEPT_SQL, [
    request.id,
    request.teamId,
    request.sourceId,
    request.method,
    request.path,
    request.query,
    JSON.stringify(request.headers),
    request.body,
    request.bodyIsJson,
    request.rejectionCause,
    JSON.stringify(request.eventIds),
    request.createdAt,
    events.map((e) => e.id),
    events.map((e) => e.connectionId),
    events.map((e) => e.destinationId),
    events.map((e) => e.dueAt ?? request.createdAt),
    ignoredToJson(request.ignored),
  ]);
  if ((result?.queued ?? 0) > 0) tx.wake();
  return acceptedOf(request);
}
