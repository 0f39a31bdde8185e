/**
 * Where each kind of sealed secret lives (port: SEALED_SECRET_KINDS), for key rotation: list them in row id
 * order, and replace them compare-and-set so a secret rotated by the API meanwhile is not overwritten.
 */
import type { SealedSecretKind, SealedSecretReplacement, SealedSecretRow } from '../port.js';
import type { Db } from './db.js';

interface Column {
  list: string;
  replace: string;
}

/**
 * One line per kind: the SELECT ($1 after row id, $2 limit) and the compare-and-set UPDATE of a batch ($1 row ids,
 * $2 expected, $3 new, as parallel arrays: one statement per batch).
 */
const COLUMNS: Record<SealedSecretKind, Column> = {
  team_signing_secret: {
    list: 'SELECT id AS row_id, id AS team_id, signing_secret AS sealed FROM teams WHERE id > $1 ORDER BY id LIMIT $2',
    replace: `UPDATE teams t SET signing_secret = r.sealed FROM unnest($1::text[], $2::text[], $3::text[]) AS r(id, expected, sealed)
              WHERE t.id = r.id AND t.signing_secret = r.expected`,
  },
  event_destination_credentials: {
    list: 'SELECT id AS row_id, team_id, credentials AS sealed FROM destinations WHERE credentials IS NOT NULL AND id > $1 ORDER BY id LIMIT $2',
    replace: `UPDATE destinations d SET credentials = r.sealed FROM unnest($1::text[], $2::text[], $3::text[]) AS r(id, expected, sealed)
              WHERE d.id = r.id AND d.credentials = r.expected`,
  },
  // Inside the source's JSON config (config.auth.sealed), kept as text with its key order: the sealed string is
  // unique in it, so it is replaced in place.
  source_verification: {
    list: `SELECT id AS row_id, team_id, (config::jsonb)->'auth'->>'sealed' AS sealed FROM sources
           WHERE (config::jsonb)->'auth'->>'sealed' IS NOT NULL AND id > $1 ORDER BY id LIMIT $2`,
    replace: `UPDATE sources s SET config = replace(s.config, r.expected, r.sealed) FROM unnest($1::text[], $2::text[], $3::text[]) AS r(id, expected, sealed)
              WHERE s.id = r.id AND strpos(s.config, r.expected) > 0`,
  },
};

export async function listSealedSecrets(db: Db, kind: SealedSecretKind, afterRowId: string | null, limit: number): Promise<SealedSecretRow[]> {
  const rows = await db.rows<{ row_id: string; team_id: string; sealed: string }>(COLUMNS[kind].list, [afterRowId ?? '', limit]);
  return rows.map((row) => ({ teamId: row.team_id, rowId: row.row_id, sealed: row.sealed }));
}

export async function replaceSealedSecrets(db: Db, kind: SealedSecretKind, replacements: SealedSecretReplacement[]): Promise<number> {
  if (replacements.length === 0) return 0;
  return db.run(COLUMNS[kind].replace, [replacements.map((r) => r.rowId), replacements.map((r) => r.expected), replacements.map((r) => r.sealed)]);
}
