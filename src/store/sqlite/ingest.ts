/**
 * Ingest: a request and the events it fans out to, written in the caller's group-commit transaction. Each event's
 * status is settled here, at commit (SCHEDULED when a delay rule made it due later), from its connection's state rather than taken on trust from the caller: a
 * connection paused, disabled or deleted between the ingest's lookup and this commit would otherwise leave an
 * event queued that no claim will take (or held after its release already ran). Deduplicate claims are settled
 * here too: an event whose key is live for its connection is not made, and the request records it as ignored.
 */
import type { RequestRecord } from '../../domain/model.js';
import { acceptedOf, ignoredToJson, withoutDuplicates } from '../ignoredRoutes.js';
import type { AcceptedRequest, NewEvent } from '../port.js';
import type { Sql } from './sql.js';

const INSERT_REQUEST = `INSERT INTO requests
  (id, team_id, source_id, method, path, query, headers, body, body_is_json, rejection_cause, event_ids, ignored, created_at)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

const INSERT_EVENT = `INSERT INTO events
  (id, team_id, request_id, connection_id, source_id, destination_id, status, due_at, next_attempt_at, next_trigger, created_at, updated_at)
  SELECT @id, @teamId, @requestId, @connectionId, @sourceId, @destinationId, s.status,
    iif(s.status IN ('QUEUED', 'SCHEDULED'), @dueAt, NULL), iif(s.status IN ('QUEUED', 'SCHEDULED'), @dueAt, NULL), 'INITIAL', @createdAt, @createdAt
  FROM (SELECT CASE
          WHEN c.id IS NULL THEN 'CANCELLED'
          WHEN c.paused_at IS NOT NULL OR c.disabled_at IS NOT NULL OR d.disabled_at IS NOT NULL THEN 'HOLD'
          WHEN @dueAt > @createdAt THEN 'SCHEDULED'
          ELSE 'QUEUED' END AS status
        FROM (SELECT @connectionId AS id) k
        LEFT JOIN connections c ON c.id = k.id
        LEFT JOIN destinations d ON d.id = c.destination_id) s`;

const CLAIM_DEDUP = `INSERT INTO dedup_keys (connection_id, key, event_id, expires_at) VALUES (?, ?, ?, ?)
  ON CONFLICT (connection_id, key) DO UPDATE SET event_id = excluded.event_id, expires_at = excluded.expires_at
  WHERE dedup_keys.expires_at <= ?
  RETURNING event_id`;
const LIVE_DEDUP = 'SELECT event_id FROM dedup_keys WHERE connection_id = ? AND key = ?';

/** Claims the events' deduplication keys: event id → the event it repeats, for those whose key was live. */
function claimDedupKeys(sql: Sql, at: number, events: NewEvent[]): Map<string, string> {
  const duplicates = new Map<string, string>();
  const claims = events.filter((event) => event.dedup !== undefined);
  if (claims.length === 0) return duplicates;
  for (const event of claims) {
    const { key, expiresAt } = event.dedup ?? { key: '', expiresAt: 0 };
    if (sql.get(CLAIM_DEDUP, event.connectionId, key, event.id, expiresAt, at) !== undefined) continue;
    const live = sql.get<{ event_id: string }>(LIVE_DEDUP, event.connectionId, key);
    duplicates.set(event.id, live?.event_id ?? '');
  }
  return duplicates;
}

/** Expired keys, earliest first, at most `batch` (the retention job; an expired key is also overwritten by its next claim). */
export function purgeDedupKeys(sql: Sql, now: number, batch: number): number {
  if (batch <= 0) return 0;
  return sql.run(
    'DELETE FROM dedup_keys WHERE (connection_id, key) IN (SELECT connection_id, key FROM dedup_keys WHERE expires_at <= ? ORDER BY expires_at LIMIT ?)',
    now,
    batch,
  );
}

export function insertRequest(sql: Sql, received: RequestRecord, proposed: NewEvent[]): AcceptedRequest {
  const { request, events } = withoutDuplicates(received, proposed, claimDedupKeys(sql, received.createdAt, proposed));
  sql.run(
    INSERT_REQUEST,
    request.id,
    request.teamId,
    request.sourceId,
    request.method,
    request.path,
    request.query,
    JSON.stringify(request.headers),
    request.body,
    request.bodyIsJson ? 1 : 0,
    request.rejectionCause,
    JSON.stringify(request.eventIds),
    ignoredToJson(request.ignored),
    request.createdAt,
  );
  for (const event of events) {
    sql.run(INSERT_EVENT, {
      id: event.id,
      teamId: request.teamId,
      requestId: request.id,
      connectionId: event.connectionId,
      sourceId: request.sourceId,
      destinationId: event.destinationId,
      dueAt: event.dueAt ?? request.createdAt,
      createdAt: request.createdAt,
    });
  }
  return acceptedOf(request);
}
