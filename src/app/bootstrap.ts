/**
 * First-start set-up: the default team and its API key. With `SLUICE_API_KEY` that key is made valid for the
 * default team; without it, the first start creates a key and returns it so the caller prints it once (only its
 * hash is stored, so it cannot be shown again).
 */
import { apiKeyHint, generateApiKey, hashApiKey } from '../domain/apiKeys.js';
import { newId } from '../domain/ids.js';
import { teamSecretBinding } from '../domain/model.js';
import { encryptSecret, type SecretKeyring } from '../domain/secretBox.js';
import { generateSigningSecret } from '../domain/signing.js';
import type { Store } from '../store/port.js';

export const DEFAULT_TEAM_NAME = 'default';

export interface Bootstrap {
  teamId: string;
  /** A key created by this start, to print once; null when none was created. */
  createdApiKey: string | null;
  /** The default team's signing secret when this start created the team, to print once. */
  createdSigningSecret: string | null;
}

export async function bootstrapDefaultTeam(
  store: Store,
  options: { apiKey: string | null; keyring: SecretKeyring },
  now: number,
): Promise<Bootstrap> {
  const teams = await store.listTeams();
  let team = teams.find((t) => t.name === DEFAULT_TEAM_NAME) ?? null;
  let createdSigningSecret: string | null = null;
  if (team === null) {
    const id = newId('team', now);
    createdSigningSecret = generateSigningSecret();
    team = await store.createTeam(
      { id, name: DEFAULT_TEAM_NAME, signingSecretEncrypted: encryptSecret(options.keyring, createdSigningSecret, teamSecretBinding(id)) },
      now,
    );
  }
  if (options.apiKey !== null) {
    const hash = hashApiKey(options.apiKey);
    const owner = await store.findTeamIdByKeyHash(hash);
    if (owner === null) {
      await store.createApiKey({ id: newId('apiKey', now), teamId: team.id, hash, hint: apiKeyHint(options.apiKey), createdAt: now });
    } else if (owner !== team.id) {
      throw new Error('SLUICE_API_KEY belongs to another team than the default one; choose another key.');
    }
    return { teamId: team.id, createdApiKey: null, createdSigningSecret };
  }
  const keys = await store.listApiKeys(team.id);
  if (keys.length > 0) return { teamId: team.id, createdApiKey: null, createdSigningSecret };
  const key = generateApiKey();
  await store.createApiKey({ id: newId('apiKey', now), teamId: team.id, hash: hashApiKey(key), hint: apiKeyHint(key), createdAt: now });
  return { teamId: team.id, createdApiKey: key, createdSigningSecret };
}
