/**
 * Idempotency-Key records of the /v2 API (migration 003), with the SQLite store's rules: a key is reserved by its
 * first request (status NULL) and completed with the answer to replay; a request that did not succeed releases it.
 * A record older than the replay window counts as absent, and so does a reservation left incomplete for longer
 * than any request runs (its process died).
 *
 * Several processes may see the same key at once, so the reservation is decided on the row itself: insert it if
 * absent (a concurrent insert of the same key makes this one wait, then do nothing), else lock the row it found
 * and judge it. Exactly one of two racing requests gets `new`; the other sees `in_progress`.
 */
import type { IdempotencyClaim, IdempotencyWindows } from '../port.js';
import type { Db } from './db.js';

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

export async function claimIdempotencyKey(
  db: Db,
  teamId: string,
  key: string,
  fingerprint: string,
  now: number,
  windows: IdempotencyWindows,
): Promise<IdempotencyClaim> {
  const reserved = await db.run(
    `INSERT INTO idempotency_keys (team_id, key, fingerprint, status, response, created_at) VALUES ($1, $2, $3, NULL, NULL, $4)
     ON CONFLICT (team_id, key) DO NOTHING`,
    [teamId, key, fingerprint, now],
  );
  if (reserved > 0) return { state: 'new' };
  const row = await db.row<KeyRow>('SELECT fingerprint, status, response, created_at FROM idempotency_keys WHERE team_id = $1 AND key = $2 FOR UPDATE', [
    teamId,
    key,
  ]);
  if (row !== undefined && isLive(row, windows)) {
    if (row.fingerprint !== fingerprint) return { state: 'mismatch' };
    if (row.status === null || row.response === null) return { state: 'in_progress' };
    return { state: 'replay', status: row.status, response: row.response };
  }
  // Expired or abandoned (or released meanwhile): reserve it afresh.
  await db.run(
    `INSERT INTO idempotency_keys (team_id, key, fingerprint, status, response, created_at) VALUES ($1, $2, $3, NULL, NULL, $4)
     ON CONFLICT (team_id, key) DO UPDATE SET fingerprint = excluded.fingerprint, status = NULL, response = NULL, created_at = excluded.created_at`,
    [teamId, key, fingerprint, now],
  );
  return { state: 'new' };
}

export async function completeIdempotencyKey(db: Db, teamId: string, key: string, status: number, response: string): Promise<void> {
  await db.run('UPDATE idempotency_keys SET status = $1, response = $2 WHERE team_id = $3 AND key = $4', [status, response, teamId, key]);
}

export async function releaseIdempotencyKey(db: Db, teamId: string, key: string): Promise<void> {
  await db.run('DELETE FROM idempotency_keys WHERE team_id = $1 AND key = $2 AND status IS NULL', [teamId, key]);
}

export function purgeIdempotencyKeys(db: Db, cutoff: number, batch: number): Promise<number> {
  if (batch <= 0) return Promise.resolve(0);
  return db.run(
    `DELETE FROM idempotency_keys WHERE (team_id, key) IN (
       SELECT team_id, key FROM idempotency_keys WHERE created_at < $1 ORDER BY created_at LIMIT $2 FOR UPDATE SKIP LOCKED)`,
    [cutoff, batch],
  );
}
