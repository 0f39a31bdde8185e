/**
 * API keys: `sk_` + 32 base62 characters (~190 bits). Only the SHA-256 hash is stored; a fast hash is right here
 * because the keys are random, not passwords.
 */
import { createHash, randomBytes } from 'node:crypto';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

export function generateApiKey(): string {
  let out = 'sk_';
  // 248 = 62 * 4: rejecting bytes >= 248 keeps every character equally likely.
  while (out.length < 35) {
    for (const byte of randomBytes(48)) {
      if (byte < 248 && out.length < 35) out += BASE62[byte % 62];
    }
  }
  return out;
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** What a list shows of a key: its start, enough to recognise it, too little to use it. */
export function apiKeyHint(key: string): string {
  return `${key.slice(0, 7)}…`;
}
