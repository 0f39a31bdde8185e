/**
 * Ingest: a request and the events it fans out to, written in the caller's group-commit transaction. Each event's
 * status is settled here, at commit (SCHEDULED when a delay rule made it due later), from its connection's state rather than taken on trust from the caller: a
 * connection paused, disabled or deleted between the ingest's lookup and this commit would otherwise leave an
 * event queued that no claim will take (or held after its release already ran).
 */
import type { RequestRecord } from '../../domain/model.js';
import { ignoredToJson } from '../ignoredRoutes.js';
import type { NewEvent } from '../port.js';
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

export function insertRequest(sql: Sql, request: RequestRecord, events: NewEvent[]): void {
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
}
