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
import { ignoredToJson } from '../ignoredRoutes.js';
import type { NewEvent } from '../port.js';
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

export async function insertRequest(tx: Tx, request: RequestRecord, events: NewEvent[]): Promise<void> {
  await lockRoutesShared(tx.db, events.flatMap((e) => [e.connectionId, e.destinationId]));
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
}
