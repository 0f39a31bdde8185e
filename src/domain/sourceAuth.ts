/**
 * Source verification settings (Hookdeck's `config.auth_type` + `config.auth`): what a source demands of every
 * request before it is accepted. Pure: the API's input is resolved here into a complete, checked `SourceAuth`
 * (defaults applied, fields that do not belong to the type refused), merged over the current one on update so a
 * client can change a header name without resending a secret it can no longer read.
 */
import { SluiceError } from './errors.js';

export const SOURCE_AUTH_TYPES = ['HMAC', 'BASIC_AUTH', 'API_KEY', 'STRIPE', 'GITHUB', 'SHOPIFY'] as const;
export type SourceAuthType = (typeof SOURCE_AUTH_TYPES)[number];

export const HMAC_ALGORITHMS = ['sha1', 'sha256', 'sha512'] as const;
export type HmacAlgorithm = (typeof HMAC_ALGORITHMS)[number];
export const HMAC_ENCODINGS = ['hex', 'base64', 'base64url'] as const;
export type HmacEncoding = (typeof HMAC_ENCODINGS)[number];

export type SourceAuth =
  | { type: 'HMAC'; algorithm: HmacAlgorithm; encoding: HmacEncoding; header_key: string; secret: string }
  | { type: 'BASIC_AUTH'; username: string; password: string }
  | { type: 'API_KEY'; header_key: string; api_key: string }
  | { type: 'STRIPE' | 'GITHUB' | 'SHOPIFY'; secret: string };

/** `config.auth` as the API takes it: every field of every type, all optional (checked per type below). */
export interface SourceAuthInput {
  algorithm?: string;
  encoding?: string;
  header_key?: string;
  secret?: string;
  /** Hookdeck's name for `secret`; accepted as an alias. */
  webhook_secret_key?: string;
  username?: string;
  password?: string;
  api_key?: string;
}

/** The fields each type takes; the secret ones are never shown again (masked in answers). */
const FIELDS: Record<SourceAuthType, readonly (keyof SourceAuthInput)[]> = {
  HMAC: ['algorithm', 'encoding', 'header_key', 'secret', 'webhook_secret_key'],
  BASIC_AUTH: ['username', 'password'],
  API_KEY: ['header_key', 'api_key'],
  STRIPE: ['secret', 'webhook_secret_key'],
  GITHUB: ['secret', 'webhook_secret_key'],
  SHOPIFY: ['secret', 'webhook_secret_key'],
};
export const SECRET_FIELDS = ['secret', 'password', 'api_key'] as const;

export const DEFAULT_API_KEY_HEADER = 'x-api-key';
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

function invalid(field: string, message: string): SluiceError {
  return new SluiceError('VALIDATION_ERROR', `The request body is not valid: ${field} ${message}. Correct it and send the request again.`, [
    { location: 'body', field, message },
  ]);
}

function required(value: string | undefined, field: string, type: SourceAuthType): string {
  if (value === undefined || value === '') throw invalid(`config.auth.${field}`, `is required with auth_type ${type}`);
  return value;
}

function headerName(value: string, field: string): string {
  if (!HEADER_NAME.test(value)) throw invalid(`config.auth.${field}`, 'is not a valid header name (letters, digits and !#$%&\'*+.^_`|~- only)');
  return value.toLowerCase();
}

function oneOf<T extends string>(value: string, allowed: readonly T[], field: string): T {
  if (!(allowed as readonly string[]).includes(value)) throw invalid(`config.auth.${field}`, `must be one of ${allowed.join(', ')}`);
  return value as T;
}

/**
 * The complete settings for `type` from `input`, over `current` when it is of the same type (fields not sent are
 * kept, secrets included). Throws a 422 naming the field that is missing, malformed or foreign to the type.
 */
export function resolveSourceAuth(type: SourceAuthType, input: SourceAuthInput, current: SourceAuth | null): SourceAuth {
  for (const [field, value] of Object.entries(input)) {
    if (value !== undefined && !FIELDS[type].includes(field as keyof SourceAuthInput)) {
      throw invalid(`config.auth.${field}`, `does not apply to auth_type ${type} (it takes ${FIELDS[type].join(', ')})`);
    }
  }
  if (input.secret !== undefined && input.webhook_secret_key !== undefined) {
    throw invalid('config.auth.webhook_secret_key', 'is another name for secret: send only one of them');
  }
  const base: Partial<Record<string, string>> = current?.type === type ? { ...current } : {};
  const merged = { ...base, ...stripUndefined(input) };
  const secret = merged.webhook_secret_key ?? merged.secret;
  switch (type) {
    case 'HMAC':
      return {
        type,
        algorithm: oneOf(merged.algorithm ?? 'sha256', HMAC_ALGORITHMS, 'algorithm'),
        encoding: oneOf(merged.encoding ?? 'hex', HMAC_ENCODINGS, 'encoding'),
        header_key: headerName(required(merged.header_key, 'header_key', type), 'header_key'),
        secret: required(secret, 'secret', type),
      };
    case 'BASIC_AUTH': {
      const username = required(merged.username, 'username', type);
      if (username.includes(':')) throw invalid('config.auth.username', 'must not contain ":" (HTTP Basic separates the user name from the password with it)');
      return { type, username, password: required(merged.password, 'password', type) };
    }
    case 'API_KEY':
      return {
        type,
        header_key: headerName(merged.header_key ?? DEFAULT_API_KEY_HEADER, 'header_key'),
        api_key: required(merged.api_key, 'api_key', type),
      };
    case 'STRIPE':
    case 'GITHUB':
    case 'SHOPIFY':
      return { type, secret: required(secret, 'secret', type) };
  }
}

function stripUndefined(input: SourceAuthInput): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(input)) if (typeof value === 'string') out[key] = value;
  return out;
}

/** The settings without their type tag, secrets masked by `mask`: what the API shows as `config.auth`. */
export function publicSourceAuth(auth: SourceAuth, mask: (secret: string) => string): Record<string, string> {
  const { type: _type, ...fields } = auth;
  const shown: Record<string, string> = {};
  for (const [key, value] of Object.entries(fields)) {
    shown[key] = (SECRET_FIELDS as readonly string[]).includes(key) ? mask(value) : value;
  }
  return shown;
}

/**
 * The request header that carries the source's own credential (BASIC_AUTH's `authorization`, API_KEY's header),
 * or null for the signature types. That header is a secret of the source: it is checked, then neither stored with
 * the request nor forwarded to destinations. A signature header reveals no secret and stays (a destination may
 * verify it again).
 */
export function credentialHeaderOf(auth: { type: SourceAuthType; shown: Record<string, string> } | null | undefined): string | null {
  if (auth === null || auth === undefined) return null;
  if (auth.type === 'BASIC_AUTH') return 'authorization';
  if (auth.type === 'API_KEY') return (auth.shown.header_key ?? DEFAULT_API_KEY_HEADER).toLowerCase();
  return null;
}
