/**
 * Secrets at rest: AES-256-GCM under a keyring (the current key, which seals, and previous keys, which still open
 * during a key rotation), with the owning row's identity — team id and row id — bound in as associated data, so a
 * ciphertext copied onto another row or team fails to decrypt.
 *
 * Formats (the first field is the version; every field after it is base64url):
 * - `v2.<key id>.<iv>.<tag>.<ciphertext>`: written now. The key id names the key that sealed it (see `keyIdOf`),
 *   and the associated data is `sluice-secret/v2`, key id, team id and row id, NUL-separated.
 * - `v1.<iv>.<tag>.<ciphertext>`: written before key rotation existed; still read. It names no key (every key of
 *   the keyring is tried) and its associated data was the team id for a team's own secret (row id = team id) and
 *   `<team id>/<row id>` for a row of a team. `sluice rotate-secrets` rewrites such rows as v2.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/** One encryption key and its id (derived from the key, so every process computes the same id from config). */
export interface KeyringKey {
  id: string;
  key: Buffer;
}

export interface SecretKeyring {
  /** Seals every new secret. */
  current: KeyringKey;
  /** Open secrets sealed before a rotation, until `sluice rotate-secrets` has rewritten them. */
  previous: readonly KeyringKey[];
}

/** What a sealed secret belongs to. A team's own secret (its signing secret) has `rowId` = the team id. */
export interface SecretBinding {
  teamId: string;
  rowId: string;
}

/** Why a sealed secret could not be opened. Never carries the secret or the key. */
export class SecretBoxError extends Error {
  constructor(
    readonly reason: 'format' | 'unknown_key' | 'not_authentic',
    message: string,
  ) {
    super(message);
    this.name = 'SecretBoxError';
  }
}

const V1 = 'v1';
const V2 = 'v2';
const KEY_BYTES = 32;

/** 16 hex characters of a domain-separated SHA-256 of the key: names the key without revealing it. */
export function keyIdOf(key: Buffer): string {
  return createHash('sha256').update('sluice-encryption-key-id\0').update(key).digest('hex').slice(0, 16);
}

export function makeKeyring(current: Buffer, previous: readonly Buffer[] = []): SecretKeyring {
  for (const key of [current, ...previous]) {
    if (key.length !== KEY_BYTES) throw new Error(`An encryption key must be ${KEY_BYTES} bytes; got ${key.length}.`);
  }
  const currentKey = { id: keyIdOf(current), key: current };
  const seen = new Set([currentKey.id]);
  const older: KeyringKey[] = [];
  for (const key of previous) {
    const id = keyIdOf(key);
    if (seen.has(id)) continue; // the current key listed as previous too (a half-finished rotation) is harmless
    seen.add(id);
    older.push({ id, key });
  }
  return { current: currentKey, previous: older };
}

function v2AssociatedData(keyId: string, binding: SecretBinding): Buffer {
  return Buffer.from(['sluice-secret/v2', keyId, binding.teamId, binding.rowId].join('\0'), 'utf8');
}

function v1AssociatedData(binding: SecretBinding): Buffer {
  return Buffer.from(binding.rowId === binding.teamId ? binding.teamId : `${binding.teamId}/${binding.rowId}`, 'utf8');
}

export function encryptSecret(keyring: SecretKeyring, plaintext: string, binding: SecretBinding): string {
  const { id, key } = keyring.current;
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(v2AssociatedData(id, binding));
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  const tag = cipher.getAuthTag();
  return [V2, id, iv.toString('base64url'), tag.toString('base64url'), ciphertext.toString('base64url')].join('.');
}

function open(key: Buffer, aad: Buffer, iv: string, tag: string, ciphertext: string): string | null {
  const ivBytes = Buffer.from(iv, 'base64url');
  const tagBytes = Buffer.from(tag, 'base64url');
  if (ivBytes.length !== 12 || tagBytes.length !== 16) return null;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, ivBytes);
    decipher.setAAD(aad);
    decipher.setAuthTag(tagBytes);
    return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
  } catch {
    return null; // wrong key, wrong binding or tampered: GCM cannot tell them apart
  }
}

const NOT_AUTHENTIC = 'Stored secret does not open for this row: it was sealed for another row or team, under a key not in SLUICE_ENCRYPTION_KEY / SLUICE_ENCRYPTION_KEY_PREVIOUS, or altered.';

export function decryptSecret(keyring: SecretKeyring, sealed: string, binding: SecretBinding): string {
  const parts = sealed.split('.');
  if (parts[0] === V2 && parts.length === 5) {
    const [, keyId = '', iv = '', tag = '', ciphertext = ''] = parts;
    const key = [keyring.current, ...keyring.previous].find((k) => k.id === keyId);
    if (key === undefined) {
      throw new SecretBoxError('unknown_key', `Stored secret was sealed under encryption key ${keyId}, which is neither SLUICE_ENCRYPTION_KEY nor in SLUICE_ENCRYPTION_KEY_PREVIOUS.`);
    }
    const plaintext = open(key.key, v2AssociatedData(keyId, binding), iv, tag, ciphertext);
    if (plaintext === null) throw new SecretBoxError('not_authentic', NOT_AUTHENTIC);
    return plaintext;
  }
  if (parts[0] === V1 && parts.length === 4) {
    const [, iv = '', tag = '', ciphertext = ''] = parts;
    for (const { key } of [keyring.current, ...keyring.previous]) {
      const plaintext = open(key, v1AssociatedData(binding), iv, tag, ciphertext);
      if (plaintext !== null) return plaintext;
    }
    throw new SecretBoxError('not_authentic', NOT_AUTHENTIC);
  }
  throw new SecretBoxError('format', 'Stored secret is not in a format this version can read.');
}

/** True when the sealed secret is already in the current format under the current key (rotation skips it). */
export function isSealedWithCurrentKey(keyring: SecretKeyring, sealed: string): boolean {
  const parts = sealed.split('.');
  return parts.length === 5 && parts[0] === V2 && parts[1] === keyring.current.id;
}

/** Opens with any key of the keyring and seals again with the current one (the rotation of one secret). */
export function resealSecret(keyring: SecretKeyring, sealed: string, binding: SecretBinding): string {
  return encryptSecret(keyring, decryptSecret(keyring, sealed, binding), binding);
}
