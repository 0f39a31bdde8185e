/**
 * The `hookdeck` type's fields: credentials `token` (a Hookdeck source token: the last part of the source URL
 * `https://hkdk.events/<token>`); config `endpoint`, the base URL the token is appended to (default
 * `https://hkdk.events`; an override for a self-hosted ingest, or tests using Sluice's own `/e`).
 */
import { FieldReader, keysOf } from '../support/fields.js';
import { maskSecret } from '../support/mask.js';
import type { DestinationField } from '../types.js';

export const TYPE = 'hookdeck';
export const DEFAULT_ENDPOINT = 'https://hkdk.events';

export type HookdeckConfig = {
  /** Without a trailing slash. */
  endpoint: string;
};

export type HookdeckCredentials = {
  token: string;
};

export const CONFIG_FIELDS: DestinationField[] = [
  {
    key: 'endpoint',
    label: 'Endpoint',
    type: 'url',
    required: false,
    sensitive: false,
    description: 'Base URL of the Hookdeck ingest; the token is appended as the last path segment',
    default: DEFAULT_ENDPOINT,
  },
];

export const CREDENTIAL_FIELDS: DestinationField[] = [
  { key: 'token', label: 'Source token', type: 'secret', required: true, sensitive: true, description: 'The Hookdeck source token (the last part of the source URL)' },
];

const TOKEN = /^[A-Za-z0-9_.~-]{1,256}$/;

export function parseHookdeckConfig(input: unknown): HookdeckConfig {
  const reader = FieldReader.open(TYPE, input, keysOf(CONFIG_FIELDS), keysOf(CREDENTIAL_FIELDS));
  const url = reader.url('endpoint', { schemes: ['https', 'http'], noUserInfo: true });
  if (url === undefined) return { endpoint: DEFAULT_ENDPOINT };
  if (url.search !== '' || url.hash !== '') reader.fail('endpoint', 'must not have a query or fragment');
  return { endpoint: url.toString().replace(/\/+$/, '') };
}

export function parseHookdeckCredentials(input: unknown, previous: HookdeckCredentials | null): HookdeckCredentials {
  const reader = FieldReader.open(TYPE, input, keysOf(CREDENTIAL_FIELDS), keysOf(CONFIG_FIELDS));
  const token =
    reader.string('token', { required: previous === null, maxLength: 256, pattern: TOKEN, patternHint: 'must be a Hookdeck source token (letters, digits, "_", "-", ".", "~")' }) ??
    previous?.token;
  if (token === undefined) throw reader.error('token', 'is required');
  return { token };
}

export function maskHookdeckCredentials(credentials: HookdeckCredentials): Record<string, unknown> {
  return { token: maskSecret(credentials.token) };
}
