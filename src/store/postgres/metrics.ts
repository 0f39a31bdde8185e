/**
 * The overview's counts (`eventMetrics`), of the inbound face's events, as the SQLite store counts them: ids begin
 * with their creation time, so a bucket is an id range and each count a range of events_team_status
 * (team_id, status, id), read index-only where the visibility map allows. All the buckets' counts are one
 * statement (one round trip): a correlated count per bucket and status.
 */
import { idFloorAt } from '../../domain/ids.js';
import { EVENT_STATUSES, type EventStatus } from '../../domain/model.js';
import type { EventMetrics, EventMetricsQuery } from '../port.js';
import type { Db } from './db.js';
import { idOfKind } from './kinds.js';

export const BUCKET_COUNTS_SQL = `SELECT b.i AS i, s.status AS status,
  (SELECT count(*) FROM events e WHERE e.team_id = $1 AND e.status = s.status AND e.id >= b.lo AND e.id < b.hi) AS n
  FROM unnest($2::text[], $3::text[]) WITH ORDINALITY AS b(lo, hi, i), unnest($4::text[]) AS s(status)`;
const BACKLOG_SQL = `SELECT s.status AS status,
  (SELECT count(*) FROM events e WHERE e.team_id = $1 AND e.status = s.status AND ${idOfKind('event', 'e.id')}) AS n,
  (SELECT e.created_at FROM events e WHERE e.team_id = $1 AND e.status = s.status AND ${idOfKind('event', 'e.id')} ORDER BY e.id LIMIT 1) AS oldest
  FROM unnest(ARRAY['QUEUED', 'SCHEDULED', 'HOLD']) AS s(status)`;
export const FAILING_SQL = `SELECT destination_id, count(*) FILTER (WHERE status = 'FAILED') AS failed,
  count(*) FILTER (WHERE status = 'SCHEDULED') AS retrying, max(last_attempt_at) AS last_attempt_at
  FROM events WHERE team_id = $1 AND status IN ('FAILED', 'SCHEDULED') AND id >= $2 AND id < $3
  GROUP BY destination_id ORDER BY count(*) DESC, destination_id LIMIT $4`;

export async function eventMetrics(db: Db, teamId: string, query: EventMetricsQuery): Promise<EventMetrics> {
  const starts: number[] = [];
  for (let start = query.from; start < query.to; start += query.bucketMs) starts.push(start);
  const lows = starts.map((start) => idFloorAt('event', start));
  const highs = starts.map((start) => idFloorAt('event', start + query.bucketMs));
  const [counted, backlog, failing] = await Promise.all([
    db.rows<{ i: number; status: EventStatus; n: number }>(BUCKET_COUNTS_SQL, [teamId, lows, highs, [...EVENT_STATUSES]]),
    db.rows<{ status: EventStatus; n: number; oldest: number | null }>(BACKLOG_SQL, [teamId]),
    db.rows<{ destination_id: string; failed: number; retrying: number; last_attempt_at: number | null }>(FAILING_SQL, [
      teamId,
      idFloorAt('event', query.from),
      idFloorAt('event', query.to),
      query.failingLimit,
    ]),
  ]);
  const buckets: EventMetrics['buckets'] = starts.map((start) => ({
    start,
    counts: Object.fromEntries(EVENT_STATUSES.map((status) => [status, 0])) as Record<EventStatus, number>,
  }));
  for (const row of counted) {
    const bucket = buckets[Number(row.i) - 1];
    if (bucket !== undefined) bucket.counts[row.status] = Number(row.n);
  }
  const pending = (status: EventStatus) => Number(backlog.find((row) => row.status === status)?.n ?? 0);
  const oldest = backlog.map((row) => row.oldest).filter((at): at is number => at !== null);
  return {
    buckets,
    backlog: { queued: pending('QUEUED'), scheduled: pending('SCHEDULED'), hold: pending('HOLD'), oldestPendingAt: oldest.length === 0 ? null : Math.min(...oldest) },
    failingDestinations: failing.map((row) => ({
      destinationId: row.destination_id,
      failed: Number(row.failed),
      retrying: Number(row.retrying),
      lastAttemptAt: row.last_attempt_at,
    })),
  };
}
