/**
 * Bulk retries: the job rows, and the batch that moves one forward. A batch is one write transaction: it reads the
 * job, examines the next `batchSize` matching events in id order, queues again those that can be (not in flight,
 * not held, their connection and destination active: the claim would never take the others), and advances the
 * job's cursor and counters. The window of a body search is computed from the job's fixed filter, as the list does.
 */
import type { BulkRetry, Page, PageQuery } from '../port.js';
import { eventWhere } from './events.js';
import { ACTIVE_CONNECTION } from './holds.js';
import { listPage } from './pagination.js';
import { jsonList, type Sql } from './sql.js';

interface BulkRetryRow {
  id: string;
  team_id: string;
  query: string;
  filter: string;
  cursor: string | null;
  estimated_count: number;
  processed_count: number;
  retried_count: number;
  skipped_count: number;
  cancelled_at: number | null;
  completed_at: number | null;
  created_at: number;
  updated_at: number;
}

function toBulkRetry(row: BulkRetryRow): BulkRetry {
  return {
    id: row.id,
    teamId: row.team_id,
    query: JSON.parse(row.query) as BulkRetry['query'],
    filter: JSON.parse(row.filter) as BulkRetry['filter'],
    cursor: row.cursor,
    estimatedCount: row.estimated_count,
    processedCount: row.processed_count,
    retriedCount: row.retried_count,
    skippedCount: row.skipped_count,
    cancelledAt: row.cancelled_at,
    completedAt: row.completed_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function insertBulkRetry(sql: Sql, job: BulkRetry): void {
  sql.run(
    `INSERT INTO bulk_retries (id, team_id, query, filter, cursor, estimated_count, processed_count, retried_count, skipped_count,
       cancelled_at, completed_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    job.id,
    job.teamId,
    JSON.stringify(job.query),
    JSON.stringify(job.filter),
    job.cursor,
    job.estimatedCount,
    job.processedCount,
    job.retriedCount,
    job.skippedCount,
    job.cancelledAt,
    job.completedAt,
    job.createdAt,
    job.updatedAt,
  );
}

export function getBulkRetry(sql: Sql, teamId: string, id: string): BulkRetry | null {
  const row = sql.get<BulkRetryRow>('SELECT * FROM bulk_retries WHERE id = ? AND team_id = ?', id, teamId);
  return row === undefined ? null : toBulkRetry(row);
}

export function listBulkRetries(sql: Sql, teamId: string, page: PageQuery): Page<BulkRetry> {
  return listPage<BulkRetryRow, BulkRetry>(sql, { table: 'bulk_retries', where: ['team_id = ?'], params: [teamId] }, page, toBulkRetry);
}

export function cancelBulkRetry(sql: Sql, teamId: string, id: string, now: number): BulkRetry | null {
  sql.run(
    'UPDATE bulk_retries SET cancelled_at = ?, updated_at = ? WHERE id = ? AND team_id = ? AND cancelled_at IS NULL AND completed_at IS NULL',
    now,
    now,
    id,
    teamId,
  );
  return getBulkRetry(sql, teamId, id);
}

export function listActiveBulkRetryIds(sql: Sql, limit: number): string[] {
  return sql
    .all<{ id: string }>('SELECT id FROM bulk_retries WHERE completed_at IS NULL AND cancelled_at IS NULL ORDER BY id LIMIT ?', limit)
    .map((row) => row.id);
}

const REQUEUE = `UPDATE events SET status = 'QUEUED', due_at = @now, next_attempt_at = @now, next_trigger = 'BULK_RETRY', updated_at = @now
  WHERE id IN (SELECT value FROM json_each(@ids)) AND lease_token IS NULL AND status <> 'HOLD'
    AND connection_id IN (${ACTIVE_CONNECTION})`;

export function runBulkRetryBatch(sql: Sql, id: string, batchSize: number, now: number): { job: BulkRetry; retried: number } | null {
  const row = sql.get<BulkRetryRow>('SELECT * FROM bulk_retries WHERE id = ?', id);
  if (row === undefined) return null;
  const job = toBulkRetry(row);
  if (job.cancelledAt !== null || job.completedAt !== null) return { job, retried: 0 };
  const { where, params } = eventWhere(sql, job.teamId, job.filter);
  if (job.cursor !== null) {
    where.push('id > ?');
    params.push(job.cursor);
  }
  const ids = sql.all<{ id: string }>(`SELECT id FROM events WHERE ${where.join(' AND ')} ORDER BY id LIMIT ?`, ...params, batchSize).map((r) => r.id);
  const retried = ids.length === 0 ? 0 : sql.run(REQUEUE, { now, ids: jsonList(ids) });
  const done = ids.length < batchSize;
  const updated = sql.get<BulkRetryRow>(
    `UPDATE bulk_retries SET cursor = coalesce(?, cursor), processed_count = processed_count + ?, retried_count = retried_count + ?,
       skipped_count = skipped_count + ?, completed_at = ?, updated_at = ? WHERE id = ? RETURNING *`,
    ids[ids.length - 1] ?? null,
    ids.length,
    retried,
    ids.length - retried,
    done ? now : null,
    now,
    id,
  );
  return updated === undefined ? null : { job: toBulkRetry(updated), retried };
}

/** Retention: finished jobs (completed or cancelled) that finished before `cutoff`, oldest first, at most `batch`. */
export function purgeBulkRetries(sql: Sql, cutoff: number, batch: number): number {
  if (batch <= 0) return 0;
  return sql.run(
    `DELETE FROM bulk_retries WHERE id IN (
       SELECT id FROM bulk_retries WHERE coalesce(completed_at, cancelled_at) < ? ORDER BY id LIMIT ?)`,
    cutoff,
    batch,
  );
}
