/**
 * The `webhook` type's fields: config `url` and `custom_headers`; credentials `secret` (Standard Webhooks
 * `whsec_…`, generated when absent) and, during a rotation, the previous secret and when it stops signing.
 * A rotation (`rotate_secret: true`, or a new `secret`) keeps the previous secret signing for 24 hours.
 */
import { HEADER_NAME, BAD_HEADER_VALUE, RESERVED_HEADERS } from '../http/configSchema.js';
import { FieldReader, keysOf } from '../support/fields.js';
import { maskSecret } from '../support/mask.js';
import { METADATA_HEADER_PREFIX } from '../support/metadataHeaders.js';
import type { DestinationField } from '../types.js';
import {
  generateWebhookSecret,
  ROTATION_OVERLAP_MS,
  WEBHOOK_SECRET_PREFIX,
  webhookSecretKey,
} from '../../domain/standardWebhooks.js';

export const TYPE = 'webhook';

export type WebhookConfig = {
  url: string;
  /** Lower-cased names. */
  custom_headers: Record<string, string>;
};

export type WebhookCredentials = {
  secret: string;
  previous_secret?: string;
  /** ISO 8601. */
  previous_secret_expires_at?: string;
};

export const CONFIG_FIELDS: DestinationField[] = [
  { key: 'url', label: 'URL', type: 'url', required: true, sensitive: false, description: 'http:// or https:// URL that receives a POST per event' },
  {
    key: 'custom_headers',
    label: 'Custom headers',
    type: 'json',
    required: false,
    sensitive: false,
    description: 'Object of extra header names to values sent with every delivery (not webhook-*, x-sluice-*, content-type, or hop-by-hop headers)',
  },
];

export const CREDENTIAL_FIELDS: DestinationField[] = [
  {
    key: 'secret',
    label: 'Signing secret',
    type: 'secret',
    required: false,
    sensitive: true,
    description: 'Standard Webhooks secret (whsec_ + base64 of 24–64 bytes); generated when absent. A new value rotates it',
  },
  {
    key: 'previous_secret',
    label: 'Previous secret',
    type: 'secret',
    required: false,
    sensitive: true,
    description: 'Set by a rotation: the secret before it, which keeps signing (alongside the new one) for 24 hours',
  },
  {
    key: 'previous_secret_expires_at',
    label: 'Previous secret expires at',
    type: 'text',
    required: false,
    sensitive: false,
    description: 'Set by a rotation (ISO 8601): when the previous secret stops signing',
  },
  {
    key: 'rotate_secret',
    label: 'Rotate secret',
    type: 'boolean',
    required: false,
    sensitive: false,
    description: 'Write-only: true generates a new secret and keeps the current one signing for 24 hours',
  },
];

const MAX_CUSTOM_HEADERS = 50;
/** Headers the delivery itself owns: the signature, the metadata and the body's type. */
const OWNED = new Set(['webhook-id', 'webhook-timestamp', 'webhook-signature', 'content-type']);

export function parseWebhookConfig(input: unknown): WebhookConfig {
  const reader = FieldReader.open(TYPE, input, keysOf(CONFIG_FIELDS), keysOf(CREDENTIAL_FIELDS));
  const url = reader.url('url', { required: true, schemes: ['http', 'https'], noUserInfo: true });
  const raw = reader.stringMap('custom_headers', MAX_CUSTOM_HEADERS) ?? {};
  const custom_headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    const key = `custom_headers.${name.slice(0, 64)}`;
    if (!HEADER_NAME.test(name)) reader.fail(key, "is not a valid header name (letters, digits and !#$%&'*+.^_`|~- only)");
    const lower = name.toLowerCase();
    if (RESERVED_HEADERS.has(lower)) reader.fail(key, 'is set by the gateway for each request (hop-by-hop, host or length); remove it');
    if (OWNED.has(lower) || lower.startsWith(METADATA_HEADER_PREFIX)) reader.fail(key, 'is set by Sluice on every delivery (signature, metadata, content type); remove it');
    if (BAD_HEADER_VALUE.test(value)) reader.fail(key, 'must not contain control characters or line breaks');
    if (lower in custom_headers) reader.fail(key, `repeats a header name (names are case-insensitive): ${lower}`);
    custom_headers[lower] = value;
  }
  return { url: url.toString(), custom_headers };
}

function readSecret(reader: FieldReader, key: string): string | undefined {
  const value = reader.string(key, { maxLength: 200 });
  if (value !== undefined && webhookSecretKey(value) === null) {
    reader.fail(key, `must be a Standard Webhooks secret: ${WEBHOOK_SECRET_PREFIX} followed by base64 of 24 to 64 random bytes (leave it out to have one generated)`);
  }
  return value;
}

/** The rotation state worth keeping: the previous secret while it still signs. */
function stillSigning(previous: WebhookCredentials, now: number): Pick<WebhookCredentials, 'previous_secret' | 'previous_secret_expires_at'> {
  if (previous.previous_secret === undefined || previous.previous_secret_expires_at === undefined) return {};
  if (!(Date.parse(previous.previous_secret_expires_at) > now)) return {};
  return { previous_secret: previous.previous_secret, previous_secret_expires_at: previous.previous_secret_expires_at };
}

export function parseWebhookCredentials(input: unknown, previous: WebhookCredentials | null, now: number): WebhookCredentials {
  const reader = FieldReader.open(TYPE, input, keysOf(CREDENTIAL_FIELDS), keysOf(CONFIG_FIELDS));
  const secret = readSecret(reader, 'secret');
  const rotate = reader.boolean('rotate_secret') === true;
  // The rotation state is Sluice's to manage; echoing the stored values back (a read-modify-write client) is fine.
  for (const key of ['previous_secret', 'previous_secret_expires_at'] as const) {
    const given = reader.string(key, { maxLength: 200 });
    if (given !== undefined && given !== previous?.[key]) reader.fail(key, 'is set by Sluice when a secret is rotated; send "rotate_secret": true (or a new secret) instead');
  }
  if (previous === null) return { secret: secret ?? generateWebhookSecret() };
  if (rotate || (secret !== undefined && secret !== previous.secret)) {
    const next = secret ?? generateWebhookSecret();
    if (next === previous.secret) reader.fail('secret', 'must differ from the current secret to rotate it (or leave it out to have one generated)');
    return { secret: next, previous_secret: previous.secret, previous_secret_expires_at: new Date(now + ROTATION_OVERLAP_MS).toISOString() };
  }
  return { secret: previous.secret, ...stillSigning(previous, now) };
}

export function maskWebhookCredentials(credentials: WebhookCredentials): Record<string, unknown> {
  const out: Record<string, unknown> = { secret: maskSecret(credentials.secret, WEBHOOK_SECRET_PREFIX) };
  if (credentials.previous_secret !== undefined) {
    out.previous_secret = maskSecret(credentials.previous_secret, WEBHOOK_SECRET_PREFIX);
    out.previous_secret_expires_at = credentials.previous_secret_expires_at ?? null;
  }
  return out;
}
