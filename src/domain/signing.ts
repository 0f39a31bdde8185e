/**
 * The `x-sluice-signature` header: base64 HMAC-SHA256 of the raw forwarded body, keyed by the team's signing
 * secret (its UTF-8 bytes, as Hookdeck's `x-hookdeck-signature`), so a receiver can check a delivery came from
 * its gateway. Standard Webhooks signing for the outbound face is separate (issue 4).
 */
import { createHmac, randomBytes } from 'node:crypto';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const PREFIX = 'shsec_';
const SECRET_CHARS = 32; // log2(62) × 32 ≈ 190 bits

/** A new team signing secret: `shsec_` + 32 base62 characters. */
export function generateSigningSecret(): string {
  let out = '';
  while (out.length < SECRET_CHARS) {
    for (const byte of randomBytes(48)) {
      // 248 = 62 × 4: dropping bytes ≥ 248 keeps every character equally likely.
      if (byte < 248 && out.length < SECRET_CHARS) out += BASE62[byte % 62];
    }
  }
  return PREFIX + out;
}

export function signBody(secret: string, body: Buffer): string {
  return createHmac('sha256', Buffer.from(secret, 'utf8')).update(body).digest('base64');
}
