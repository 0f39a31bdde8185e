/**
 * The keyring that encrypts secrets at rest. The current key comes from config when given; otherwise it is read
 * from (or, on first start, created in) `<dataDir>/encryption.key` with mode 0600, so a laptop install needs no
 * set-up and keeps working across restarts. Losing that file makes stored secrets unreadable: back it up with the
 * database. Previous keys (`SLUICE_ENCRYPTION_KEY_PREVIOUS`) still open secrets sealed before a rotation.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeKeyring, type SecretKeyring } from '../domain/secretBox.js';

export function resolveEncryptionKey(configured: Buffer | null, dataDir: string): Buffer {
  if (configured !== null) return configured;
  const file = join(dataDir, 'encryption.key');
  if (existsSync(file)) {
    const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
    if (key.length !== 32) throw new Error(`${file} does not hold a 32-byte base64 key; restore it from a backup or set SLUICE_ENCRYPTION_KEY.`);
    return key;
  }
  const key = randomBytes(32);
  // 'wx' fails if another process created the file meanwhile, instead of overwriting its key.
  writeFileSync(file, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  return key;
}

export function resolveKeyring(config: { encryptionKey: Buffer | null; previousEncryptionKeys: readonly Buffer[]; dataDir: string }): SecretKeyring {
  return makeKeyring(resolveEncryptionKey(config.encryptionKey, config.dataDir), config.previousEncryptionKeys);
}
