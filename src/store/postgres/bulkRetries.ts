/**
 * Bulk retries on PostgreSQL (the same rules as the SQLite store's). A batch is one operation of the group writer:
 * it locks the job's row (FOR UPDATE, so two processes running the same job take turns and each sees the other's
 * cursor), examines the next `batchSize` matching events in id order, takes shared route locks on their
 * connections and destinations (as an ingest does: a concurrent pause is ordered with this batch, so no event is
 * queued on a connection that was just paused), queues again those that can be, and advances the job.
 */
import type { BulkRetry, Page, PageQuery } from '../port.js';
import { type Db, Params } from './db.js';
import { eventFilterConditions } from './events.js';
import { ACTIVE_CONNECTION, lockRoutesShared } from './holds.js';
import { listPage } from './pagination.js';
import type { Tx } from './writer.js';

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

export async function insertBulkRetry(db: Db, job: BulkRetry): Promise<void> {
  await db.run(
    `INSERT INTO bulk_retries (id, team_id, query, filter, cursor, estimated_count, processed_count, retried_count, skipped_count,
       cancelled_at, completed_at, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
    [
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
    ],
  );
}

export async function getBulkRetry(db: Db, teamId: string, id: string): Promise<BulkRetry | null> {
  const row = await db.row<BulkRetryRow>('SELECT * FROM bulk_retries WHERE id = $1 AND team_id = $2', [id, teamId]);
  return row === undefined ? null : toBulkRetry(row);
}

export function listBulkRetries(db: Db, teamId: string, page: PageQuery): Promise<Page<BulkRetry>> {
  return listPage<BulkRetryRow, BulkRetry>(db, { table: 'bulk_retries', filter: (p) => [`team_id = ${p.add(teamId)}`] }, page, toBulkRetry);
}

export async function cancelBulkRetry(db: Db, teamId: string, id: string, now: number): Promise<BulkRetry | null> {
  await db.run(
    'UPDATE bulk_retries SET cancelled_at = $1, updated_at = $1 WHERE id = $2 AND team_id = $3 AND cancelled_at IS NULL AND completed_at IS NULL',
    [now, id, teamId],
  );
  return getBulkRetry(db, teamId, id);
}

export async function listActiveBulkRetryIds(db: Db, limit: number): Promise<string[]> {
  const rows = await db.rows<{ id: string }>('SELECT id FROM bulk_retries WHERE completed_at IS NULL AND cancelled_at IS NULL ORDER BY id LIMIT $1', [limit]);
  return rows.map((row) => row.id);
}

const REQUEUE = `UPDATE events SET status = 'QUEUED', due_at = $1, next_attempt_at = $1, next_trigger = 'BULK_RETRY', updated_at = $1
  WHERE id = ANY($2::text[]) AND lease_token IS NULL AND status <> 'HOLD' AND connection_id IN (${ACTIVE_CONNECTION})`;

export async function runBulkRetryBatch(tx: Tx, id: string, batchSize: number, now: number): Promise<{ job: BulkRetry; retried: number } | null> {
  const { db } = tx;
  const row = await db.row<BulkRetryRow>('SELECT * FROM bulk_retries WHERE id = $1 FOR UPDATE', [id]);
  if (row === undefined) return null;
  const job = toBulkRetry(row);
  if (job.cancelledAt !== null || job.completedAt !== null) return { job, retried: 0 };
  const { conditions } = await eventFilterConditions(db, job.teamId, job.filter);
  const p = new Params();
  const where = conditions(p);
  if (job.cursor !== null) where.push(`id > ${p.add(job.cursor)}`);
  const batch = await db.rows<{ id: string; connection_id: string; destination_id: string }>(
    `SELECT id, connection_id, destination_id FROM events WHERE ${where.join(' AND ')} ORDER BY id LIMIT ${p.add(batchSize)}`,
    p.values,
  );
  let retried = 0;
  if (batch.length > 0) {
    await lockRoutesShared(db, batch.flatMap((e) => [e.connection_id, e.destination_id]));
    retried = await db.run(REQUEUE, [now, batch.map((e) => e.id)]);
    if (retried > 0) tx.wake();
  }
  const updated = await db.row<BulkRetryRow>(
    `UPDATE bulk_retries SET cursor = coalesce($1, cursor), processed_count = processed_count + $2, retried_count = retried_count + $3,
       skipped_count = skipped_count + $4, completed_at = $5, updated_at = $6 WHERE id = $7 RETURNING *`,
    [batch[batch.length - 1]?.id ?? null, batch.length, retried, batch.length - retried, batch.length < batchSize ? now : null, now, id],
  );
  return updated === undefined ? null : { job: toBulkRetry(updated), retried };
}

/**
 * Retention: finished jobs (completed or cancelled) that finished before `cutoff`, oldest first, at most `batch`;
 * SKIP LOCKED so concurrent retention jobs (one per gateway process) take disjoint batches.
 */
export function purgeBulkRetries(db: Db, cutoff: number, batch: number): Promise<number> {
  if (batch <= 0) return Promise.resolve(0);
  return db.run(
    `DELETE FROM bulk_retries WHERE id IN (
       SELECT id FROM bulk_retries WHERE coalesce(completed_at, cancelled_at) < $1 ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED)`,
    [cutoff, batch],
  );
}
