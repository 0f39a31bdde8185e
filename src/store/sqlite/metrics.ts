/**
 * The overview's counts (`eventMetrics`), of the inbound face's events. Ids begin with their creation time
 * (domain/ids.ts), so "created in this bucket" is an id range, and every count is a range of the
 * (team_id, status, id) index (events_team_status) read without touching the table: the cost follows the buckets
 * and the events in the window, never the size of the table.
 */
import { idFloorAt } from '../../domain/ids.js';
import { EVENT_STATUSES, type EventStatus } from '../../domain/model.js';
import type { EventMetrics, EventMetricsQuery } from '../port.js';
import { idOfKind } from './kinds.js';
import type { Sql } from './sql.js';

export const COUNT_IN_RANGE_SQL = 'SELECT count(*) AS n FROM events WHERE team_id = ? AND status = ? AND id >= ? AND id < ?';
const COUNT_STATUS_SQL = `SELECT count(*) AS n FROM events WHERE team_id = ? AND status = ? AND ${idOfKind('event')}`;
const OLDEST_SQL = `SELECT created_at FROM events WHERE team_id = ? AND status = ? AND ${idOfKind('event')} ORDER BY id LIMIT 1`;
export const FAILING_SQL = `SELECT destination_id, sum(status = 'FAILED') AS failed, sum(status = 'SCHEDULED') AS retrying,
  max(last_attempt_at) AS last_attempt_at
  FROM events WHERE team_id = ? AND status IN ('FAILED', 'SCHEDULED') AND id >= ? AND id < ?
  GROUP BY destination_id ORDER BY failed + retrying DESC, destination_id LIMIT ?`;

const PENDING: EventStatus[] = ['QUEUED', 'SCHEDULED', 'HOLD'];

export function eventMetrics(sql: Sql, teamId: string, query: EventMetricsQuery): EventMetrics {
  const count = (status: EventStatus, lo: string, hi: string): number => sql.get<{ n: number }>(COUNT_IN_RANGE_SQL, teamId, status, lo, hi)?.n ?? 0;
  const buckets: EventMetrics['buckets'] = [];
  for (let start = query.from; start < query.to; start += query.bucketMs) {
    const lo = idFloorAt('event', start);
    const hi = idFloorAt('event', start + query.bucketMs);
    const counts = Object.fromEntries(EVENT_STATUSES.map((status) => [status, count(status, lo, hi)])) as Record<EventStatus, number>;
    buckets.push({ start, counts });
  }
  const pending = Object.fromEntries(PENDING.map((status) => [status, sql.get<{ n: number }>(COUNT_STATUS_SQL, teamId, status)?.n ?? 0]));
  const oldest = PENDING.map((status) => sql.get<{ created_at: number }>(OLDEST_SQL, teamId, status)?.created_at).filter((at) => at !== undefined);
  const failing = sql.all<{ destination_id: string; failed: number; retrying: number; last_attempt_at: number | null }>(
    FAILING_SQL,
    teamId,
    idFloorAt('event', query.from),
    idFloorAt('event', query.to),
    query.failingLimit,
  );
  return {
    buckets,
    backlog: {
      queued: pending.QUEUED ?? 0,
      scheduled: pending.SCHEDULED ?? 0,
      hold: pending.HOLD ?? 0,
      oldestPendingAt: oldest.length === 0 ? null : Math.min(...oldest),
    },
    failingDestinations: failing.map((row) => ({
      destinationId: row.destination_id,
      failed: row.failed,
      retrying: row.retrying,
      lastAttemptAt: row.last_attempt_at,
    })),
  };
}
