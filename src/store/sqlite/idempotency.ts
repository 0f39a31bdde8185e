/**
 * Idempotency-Key records of the /v2 API (migration 003). A key is reserved by its first request (status NULL)
 * and completed with the answer to replay; a request that did not succeed releases it. A record older than the
 * replay window counts as absent (retention deletes it later), and so does a reservation left incomplete for
 * longer than any request runs (its process died).
 */
import type { IdempotencyClaim, IdempotencyWindows } from '../port.js';
import type { Sql } from './sql.js';

interface KeyRow {
  fingerprint: string;
  status: number | null;
  response: string | null;
  created_at: number;
}

function isLive(row: KeyRow, windows: IdempotencyWindows): boolean {
  if (row.status === null) return row.created_at >= windows.abandonedBefore;
  return row.created_at >= windows.expiredBefore;
}

export function claimIdempotencyKey(sql: Sql, teamId: string, key: string, fingerprint: string, now: number, windows: IdempotencyWindows): IdempotencyClaim {
  const row = sql.get<KeyRow>('SELECT fingerprint, status, response, created_at FROM idempotency_keys WHERE team_id = ? AND key = ?', teamId, key);
  if (row !== undefined && isLive(row, windows)) {
    if (row.fingerprint !== fingerprint) return { state: 'mismatch' };
    if (row.status === null || row.response === null) return { state: 'in_progress' };
    return { state: 'replay', status: row.status, response: row.response };
  }
  sql.run(
    `INSERT INTO idempotency_keys (team_id, key, fingerprint, status, response, created_at) VALUES (?, ?, ?, NULL, NULL, ?)
     ON CONFLICT (team_id, key) DO UPDATE SET fingerprint = excluded.fingerprint, status = NULL, response = NULL, created_at = excluded.created_at`,
    teamId,
    key,
    fingerprint,
    now,
  );
  return { state: 'new' };
}

export function completeIdempotencyKey(sql: Sql, teamId: string, key: string, status: number, response: string): void {
  sql.run('UPDATE idempotency_keys SET status = ?, response = ? WHERE team_id = ? AND key = ?', status, response, teamId, key);
}

export function releaseIdempotencyKey(sql: Sql, teamId: string, key: string): void {
  sql.run('DELETE FROM idempotency_keys WHERE team_id = ? AND key = ? AND status IS NULL', teamId, key);
}

export function purgeIdempotencyKeys(sql: Sql, cutoff: number, batch: number): number {
  if (batch <= 0) return 0;
  return sql.run(
    'DELETE FROM idempotency_keys WHERE rowid IN (SELECT rowid FROM idempotency_keys WHERE created_at < ? ORDER BY created_at LIMIT ?)',
    cutoff,
    batch,
  );
}
