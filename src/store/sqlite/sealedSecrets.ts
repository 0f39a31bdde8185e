/**
 * Where each kind of sealed secret lives (port: SEALED_SECRET_KINDS), for key rotation: list them in row id
 * order, and replace them compare-and-set so a secret rotated by the API meanwhile is not overwritten.
 */
import type { SealedSecretKind, SealedSecretReplacement, SealedSecretRow } from '../port.js';
import type { Sql, SqlParam } from './sql.js';

interface Column {
  list: string;
  replace: string;
  /** The UPDATE's parameters (default: new, row id, expected). */
  args?: (r: SealedSecretReplacement) => SqlParam[];
}

/** One line per kind: the SELECT (row id, team id, sealed) and the compare-and-set UPDATE (sealed, row id, expected). */
const COLUMNS: Record<SealedSecretKind, Column> = {
  team_signing_secret: {
    list: 'SELECT id AS row_id, id AS team_id, signing_secret AS sealed FROM teams WHERE id > ? ORDER BY id LIMIT ?',
    replace: 'UPDATE teams SET signing_secret = ? WHERE id = ? AND signing_secret = ?',
  },
  event_destination_credentials: {
    list: 'SELECT id AS row_id, team_id, credentials AS sealed FROM destinations WHERE credentials IS NOT NULL AND id > ? ORDER BY id LIMIT ?',
    replace: 'UPDATE destinations SET credentials = ? WHERE id = ? AND credentials = ?',
  },
  // Inside the source's JSON config (config.auth.sealed), kept as text with its key order: the sealed string is
  // unique in it, so it is replaced in place.
  source_verification: {
    list: "SELECT id AS row_id, team_id, json_extract(config, '$.auth.sealed') AS sealed FROM sources WHERE json_extract(config, '$.auth.sealed') IS NOT NULL AND id > ? ORDER BY id LIMIT ?",
    replace: 'UPDATE sources SET config = replace(config, ?, ?) WHERE id = ? AND instr(config, ?) > 0',
    args: (r) => [r.expected, r.sealed, r.rowId, r.expected],
  },
};

export function listSealedSecrets(sql: Sql, kind: SealedSecretKind, afterRowId: string | null, limit: number): SealedSecretRow[] {
  return sql
    .all<{ row_id: string; team_id: string; sealed: string }>(COLUMNS[kind].list, afterRowId ?? '', limit)
    .map((row) => ({ teamId: row.team_id, rowId: row.row_id, sealed: row.sealed }));
}

export function replaceSealedSecrets(sql: Sql, kind: SealedSecretKind, replacements: SealedSecretReplacement[]): number {
  let replaced = 0;
  const { replace, args = (r: SealedSecretReplacement) => [r.sealed, r.rowId, r.expected] } = COLUMNS[kind];
  for (const r of replacements) replaced += sql.run(replace, ...args(r));
  return replaced;
}
