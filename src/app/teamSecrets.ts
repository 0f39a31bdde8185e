/**
 * Reads and decrypts a team's signing secret for the dispatcher (which caches it, so this runs rarely).
 */
import { teamSecretBinding } from '../domain/model.js';
import { decryptSecret, type SecretKeyring } from '../domain/secretBox.js';
import type { Store } from '../store/port.js';

export function teamSecretLookup(store: Store, keyring: SecretKeyring): (teamId: string) => Promise<string> {
  return async (teamId) => {
    const sealed = await store.getTeamSigningSecret(teamId);
    if (sealed === null) throw new Error(`Team ${teamId} has no signing secret.`);
    return decryptSecret(keyring, sealed, teamSecretBinding(teamId));
  };
}
