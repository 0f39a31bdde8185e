/**
 * Teams (the tenants) and their API keys. Keys are stored as hashes; the ingest and API look a team up by hash.
 */
import { SluiceError } from '../../domain/errors.js';
import type { ApiKey, Team } from '../../domain/model.js';
import type { NewTeam } from '../port.js';
import { type Db, isUniqueViolation } from './db.js';
import { type ApiKeyRow, type TeamRow, toApiKey, toTeam } from './rows.js';

export async function insertTeam(db: Db, team: NewTeam, now: number): Promise<Team> {
  await db.run('INSERT INTO teams (id, name, signing_secret, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)', [
    team.id,
    team.name,
    team.signingSecretEncrypted,
    now,
  ]);
  return { id: team.id, name: team.name, createdAt: now, updatedAt: now };
}

export async function listTeams(db: Db): Promise<Team[]> {
  return (await db.rows<TeamRow>('SELECT * FROM teams ORDER BY id')).map(toTeam);
}

export async function getTeam(db: Db, id: string): Promise<Team | null> {
  const row = await db.row<TeamRow>('SELECT * FROM teams WHERE id = $1', [id]);
  return row === undefined ? null : toTeam(row);
}

export async function getTeamSigningSecret(db: Db, id: string): Promise<string | null> {
  return (await db.row<{ signing_secret: string }>('SELECT signing_secret FROM teams WHERE id = $1', [id]))?.signing_secret ?? null;
}

export async function setTeamSigningSecret(db: Db, id: string, encrypted: string, now: number): Promise<void> {
  await db.run('UPDATE teams SET signing_secret = $1, updated_at = $2 WHERE id = $3', [encrypted, now, id]);
}

export async function insertApiKey(db: Db, key: ApiKey): Promise<void> {
  try {
    await db.run('INSERT INTO api_keys (id, team_id, hash, hint, created_at) VALUES ($1, $2, $3, $4, $5)', [
      key.id,
      key.teamId,
      key.hash,
      key.hint,
      key.createdAt,
    ]);
  } catch (error) {
    if (isUniqueViolation(error)) throw new SluiceError('CONFLICT', 'This API key is already registered. Generate a new key and try again.');
    throw error;
  }
}

export async function listApiKeys(db: Db, teamId: string): Promise<ApiKey[]> {
  return (await db.rows<ApiKeyRow>('SELECT * FROM api_keys WHERE team_id = $1 ORDER BY id', [teamId])).map(toApiKey);
}

export async function deleteApiKey(db: Db, teamId: string, keyId: string): Promise<boolean> {
  return (await db.run('DELETE FROM api_keys WHERE id = $1 AND team_id = $2', [keyId, teamId])) > 0;
}

export async function findTeamIdByKeyHash(db: Db, hash: string): Promise<string | null> {
  return (await db.row<{ team_id: string }>('SELECT team_id FROM api_keys WHERE hash = $1', [hash]))?.team_id ?? null;
}
