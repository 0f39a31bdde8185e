/**
 * Ingest: requests and the events they fan out to, written inside the group-commit transaction. The writer merges
 * the ingests next to each other in a batch (writer.ts, `submitMerged`): one statement takes the route locks of
 * them all, one statement inserts all their requests and events (unnest of arrays), whatever their number; a
 * merged write that fails is redone one ingest at a time, so a bad one fails alone. Each event's status is settled here, at commit, from its connection's state rather than taken on
 * trust from the caller: a connection paused, disabled or deleted between the ingest's lookup and this commit
 * would otherwise leave an event queued that no claim will take (or held after its release already ran). The
 * shared route locks taken first (holds.ts) order this statement with any concurrent change of those routes, so
 * the state it reads is the one committed last. When an event is queued, the workers are woken (NOTIFY at commit).
 */
import type { RequestRecord } from '../../domain/model.js';
import type { NewEvent } from '../port.js';
import { lockRoutesShared } from './holds.js';
import type { Merge, Tx } from './writer.js';

export interface Ingest {
  request: RequestRecord;
  events: NewEvent[];
}

export const ACCEPT_SQL = `
WITH request AS (
  INSERT INTO requests (id, team_id, source_id, method, path, query, headers, body, body_is_json, rejection_cause, event_ids, created_at)
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::bytea[], $9::boolean[],
    $10::text[], $11::text[], $12::bigint[])
),
settled AS (
  SELECT k.id, k.request_id, k.team_id, k.source_id, k.connection_id, k.destination_id, k.created_at,
    CASE
      WHEN c.id IS NULL THEN 'CANCELLED'
      WHEN c.paused_at IS NOT NULL OR c.disabled_at IS NOT NULL OR d.disabled_at IS NOT NULL THEN 'HOLD'
      ELSE 'QUEUED'
    END AS status
  FROM unnest($13::text[], $14::text[], $15::text[], $16::text[], $17::text[], $18::text[], $19::bigint[])
    WITH ORDINALITY AS k(id, request_id, team_id, source_id, connection_id, destination_id, created_at, n)
  LEFT JOIN connections c ON c.id = k.connection_id
  LEFT JOIN destinations d ON d.id = c.destination_id
  ORDER BY k.n
),
inserted AS (
  INSERT INTO events (id, team_id, request_id, connection_id, source_id, destination_id, status, due_at, next_attempt_at, next_trigger, created_at, updated_at)
  SELECT s.id, s.team_id, s.request_id, s.connection_id, s.source_id, s.destination_id, s.status,
    CASE WHEN s.status = 'QUEUED' THEN s.created_at END, CASE WHEN s.status = 'QUEUED' THEN s.created_at END, 'INITIAL', s.created_at, s.created_at
  FROM settled s
  RETURNING status
)
SELECT count(*) FILTER (WHERE status = 'QUEUED') AS queued FROM inserted`;

/** Writes the ingests (see above): their shared route locks first, then one insert of everything. */
async function writeIngests(tx: Tx, ingests: Ingest[]): Promise<void> {
  const requests = ingests.map((i) => i.request);
  const events = ingests.flatMap(({ request, events }) => events.map((event) => ({ request, event })));
  await lockRoutesShared(tx.db, events.flatMap(({ event }) => [event.connectionId, event.destinationId]));
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
  ]);
  if ((result?.queued ?? 0) > 0) tx.wake();
}

/**
 * Ingests, merged by the group writer. Bodies travel hex-encoded inside the statement's bytea[] parameter, so a
 * merged insert is kept to about 8 MiB of bodies: 64 ordinary webhooks merge, a few large ones go one at a time.
 */
export const INGESTS: Merge<Ingest> = {
  writeAll: writeIngests,
  weigh: (ingest) => ingest.request.body.length,
  maxWeight: 8 * 1024 * 1024,
};
