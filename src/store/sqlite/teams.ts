/**
 * Teams (the tenants) and their API keys. Keys are stored as hashes; the ingest and API look a team up by hash.
 */
import { SluiceError } from '../../domain/errors.js';
import type { ApiKey, Team } from '../../domain/model.js';
import type { NewTeam } from '../port.js';
import { type ApiKeyRow, type TeamRow, toApiKey, toTeam } from './rows.js';
import { isUniqueViolation, type Sql } from './sql.js';

export function insertTeam(sql: Sql, team: NewTeam, now: number): Team {
  sql.run(
    'INSERT INTO teams (id, name, signing_secret, created_at, updated_at) VALUES (?, ?, ?, ?, ?)',
    team.id,
    team.name,
    team.signingSecretEncrypted,
    now,
    now,
  );
  return { id: team.id, name: team.name, createdAt: now, updatedAt: now };
}

export function listTeams(sql: Sql): Team[] {
  return sql.all<TeamRow>('SELECT * FROM teams ORDER BY id').map(toTeam);
}

export function getTeam(sql: Sql, id: string): Team | null {
  const row = sql.get<TeamRow>('SELECT * FROM teams WHERE id = ?', id);
  return row === undefined ? null : toTeam(row);
}

export function getTeamSigningSecret(sql: Sql, id: string): string | null {
  return sql.get<{ signing_secret: string }>('SELECT signing_secret FROM teams WHERE id = ?', id)?.signing_secret ?? null;
}

export function setTeamSigningSecret(sql: Sql, id: string, encrypted: string, now: number): void {
  sql.run('UPDATE teams SET signing_secret = ?, updated_at = ? WHERE id = ?', encrypted, now, id);
}

export function insertApiKey(sql: Sql, key: ApiKey): void {
  try {
    sql.run(
      'INSERT INTO api_keys (id, team_id, hash, hint, created_at) VALUES (?, ?, ?, ?, ?)',
      key.id,
      key.teamId,
      key.hash,
      key.hint,
      key.createdAt,
    );
  } catch (error) {
    if (isUniqueViolation(error)) throw new SluiceError('CONFLICT', 'This API key is already registered. Generate a new key and try again.');
    throw error;
  }
}

export function listApiKeys(sql: Sql, teamId: string): ApiKey[] {
  return sql.all<ApiKeyRow>('SELECT * FROM api_keys WHERE team_id = ? ORDER BY id', teamId).map(toApiKey);
}

export function deleteApiKey(sql: Sql, teamId: string, keyId: string): boolean {
  return sql.run('DELETE FROM api_keys WHERE id = ? AND team_id = ?', keyId, teamId) > 0;
}

export function findTeamIdByKeyHash(sql: Sql, hash: string): string | null {
  return sql.get<{ team_id: string }>('SELECT team_id FROM api_keys WHERE hash = ?', hash)?.team_id ?? null;
}
