/**
 * Standard Webhooks signing (standardwebhooks.com), as webhook destinations use it: `whsec_` secrets, the signed
 * content `${id}.${timestamp}.${body}`, `v1,<base64 HMAC-SHA256>` signatures, several space-separated while a
 * rotated-out secret is still valid. Pure: the caller passes the clock and the secrets.
 */
import { createHmac, randomBytes } from 'node:crypto';

export const WEBHOOK_SECRET_PREFIX = 'whsec_';
/** Random bytes in a generated secret. */
export const WEBHOOK_SECRET_BYTES = 32;
/** The spec's bounds on a secret's key length. */
export const MIN_SECRET_BYTES = 24;
export const MAX_SECRET_BYTES = 64;
/** How long a rotated-out secret keeps signing deliveries (so receivers can switch without dropping any). */
export const ROTATION_OVERLAP_MS = 24 * 60 * 60 * 1000;

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{2,3})?$/;

/** A new secret: `whsec_` + base64 of 32 random bytes. */
export function generateWebhookSecret(): string {
  return WEBHOOK_SECRET_PREFIX + randomBytes(WEBHOOK_SECRET_BYTES).toString('base64');
}

/** The HMAC key a secret stands for, or null when it is not `whsec_` + base64 of 24–64 bytes. */
export function webhookSecretKey(secret: string): Buffer | null {
  if (!secret.startsWith(WEBHOOK_SECRET_PREFIX)) return null;
  const encoded = secret.slice(WEBHOOK_SECRET_PREFIX.length);
  if (!BASE64.test(encoded)) return null;
  const key = Buffer.from(encoded, 'base64');
  return key.length >= MIN_SECRET_BYTES && key.length <= MAX_SECRET_BYTES ? key : null;
}

/** One signature, `v1,<base64>`, over `${id}.${timestampSeconds}.${body}`. Throws on a malformed secret. */
export function signWebhook(secret: string, id: string, timestampSeconds: number, body: Buffer | string): string {
  const key = webhookSecretKey(secret);
  if (key === null) throw new Error('Not a Standard Webhooks secret (whsec_ + base64 of 24 to 64 bytes).');
  const mac = createHmac('sha256', key);
  mac.update(`${id}.${timestampSeconds}.`, 'utf8');
  mac.update(body);
  return `v1,${mac.digest('base64')}`;
}

/** The `webhook-signature` header: one signature per secret, space-separated, current secret first. */
export function webhookSignatureHeader(secrets: readonly string[], id: string, timestampSeconds: number, body: Buffer | string): string {
  return secrets.map((secret) => signWebhook(secret, id, timestampSeconds, body)).join(' ');
}

/** The stored secrets of a webhook destination during (or after) a rotation. */
export interface RotatingSecrets {
  secret: string;
  previous_secret?: string;
  /** ISO 8601: when the previous secret stops signing. */
  previous_secret_expires_at?: string;
}

/** The secrets that sign a delivery at `now`: the current one, and the previous one until it expires. */
export function signingSecretsAt(secrets: RotatingSecrets, now: number): string[] {
  const out = [secrets.secret];
  if (secrets.previous_secret !== undefined && secrets.previous_secret_expires_at !== undefined) {
    const expires = Date.parse(secrets.previous_secret_expires_at);
    if (Number.isFinite(expires) && expires > now) out.push(secrets.previous_secret);
  }
  return out;
}
