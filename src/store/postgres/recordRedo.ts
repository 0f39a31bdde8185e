/**
 * Recording attempts again after the batch's COMMIT was cut before its answer (writer.ts, `tx.redo`): attempt ids
 * are made fresh for every attempt, so finding them all stored means the first try committed, and the record is
 * answered as done rather than failing on their primary key (the dispatcher would otherwise log a record it lost
 * and try it again, in vain). Found partly or not at all: the first try rolled back (one transaction writes them
 * all), and the record is written.
 */
import type { AttemptResult } from '../port.js';
import type { Tx } from './writer.js';

export async function attemptsAlreadyRecorded(tx: Tx, results: AttemptResult[]): Promise<boolean> {
  if (!tx.redo || results.length === 0) return false;
  const ids = results.map((r) => r.attempt.id);
  const found = await tx.db.row<{ n: number }>('SELECT count(*) AS n FROM attempts WHERE id = ANY($1::text[])', [ids]);
  return (found?.n ?? 0) === new Set(ids).size;
}
