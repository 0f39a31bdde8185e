/**
 * A source's `config` from the API's input: allowed methods, custom response, verification (`auth_type` + `auth`,
 * sealed with secretBox, shown masked) and ingest rate limit (`rate_limit` + `rate_limit_period`). On update every
 * field not sent keeps its current value; for `auth`, the fields not sent (secrets included) are kept while the
 * type stays the same, since the API never shows a secret again.
 */
import { maskSecret } from '../../destinations/support/mask.js';
import { SluiceError } from '../../domain/errors.js';
import { sourceAuthBinding, type HttpMethod, type SealedSourceAuth, type SourceConfig } from '../../domain/model.js';
import type { RateLimit } from '../../domain/rateLimit.js';
import { decryptSecret, encryptSecret, type SecretKeyring } from '../../domain/secretBox.js';
import { publicSourceAuth, resolveSourceAuth, type SourceAuth, type SourceAuthType } from '../../domain/sourceAuth.js';
import type { CreateSourceBody } from './schemas.js';

export const DEFAULT_ALLOWED_METHODS: HttpMethod[] = ['POST', 'PUT', 'PATCH', 'DELETE'];

type ConfigInput = NonNullable<CreateSourceBody['config']>;

export interface SealingContext {
  keyring: SecretKeyring;
  teamId: string;
  sourceId: string;
}

function invalid(field: string, message: string): SluiceError {
  return new SluiceError('VALIDATION_ERROR', `The request body is not valid: ${field} ${message}. Correct it and send the request again.`, [
    { location: 'body', field, message },
  ]);
}

/** Sealed verification settings in clear (for ingest, and to merge an update). */
export function openSourceAuth(sealed: SealedSourceAuth, keyring: SecretKeyring, teamId: string, sourceId: string): SourceAuth {
  return JSON.parse(decryptSecret(keyring, sealed.sealed, sourceAuthBinding(teamId, sourceId))) as SourceAuth;
}

function sealAuth(auth: SourceAuth, context: SealingContext): SealedSourceAuth {
  return {
    type: auth.type,
    shown: publicSourceAuth(auth, (secret) => maskSecret(secret, auth.type === 'STRIPE' ? 'whsec_' : '')),
    sealed: encryptSecret(context.keyring, JSON.stringify(auth), sourceAuthBinding(context.teamId, context.sourceId)),
  };
}

function resolveAuth(current: SourceConfig | null, input: ConfigInput, context: SealingContext): SourceConfig['auth'] {
  const currentAuth = current?.auth ?? null;
  if (input.auth_type === undefined && input.auth === undefined) return currentAuth;
  if (input.auth_type === null || (input.auth_type === undefined && input.auth === null)) {
    if (input.auth !== undefined && input.auth !== null) throw invalid('config.auth', 'must be null (or left out) when auth_type is null');
    return null;
  }
  const type: SourceAuthType | undefined = input.auth_type ?? currentAuth?.type;
  if (type === undefined) throw invalid('config.auth_type', `is required with config.auth: one of HMAC, BASIC_AUTH, API_KEY, STRIPE, GITHUB, SHOPIFY`);
  const open = currentAuth === null ? null : openSourceAuth(currentAuth, context.keyring, context.teamId, context.sourceId);
  return sealAuth(resolveSourceAuth(type, input.auth ?? {}, open), context);
}

function resolveRateLimit(current: SourceConfig | null, input: ConfigInput): RateLimit | null {
  const currentLimit = current?.rate_limit ?? null;
  if (input.rate_limit === null) {
    if (input.rate_limit_period !== undefined && input.rate_limit_period !== null) throw invalid('config.rate_limit_period', 'needs a rate_limit');
    return null;
  }
  const limit = input.rate_limit ?? currentLimit?.limit;
  const period = input.rate_limit_period ?? currentLimit?.period ?? 'second';
  if (limit === undefined) {
    if (input.rate_limit_period !== undefined && input.rate_limit_period !== null) throw invalid('config.rate_limit', 'is required with rate_limit_period');
    return null;
  }
  return { limit, period };
}

/** The stored config for a create (`current` null) or an update (`input` over `current`). */
export function resolveSourceConfig(current: SourceConfig | null, input: ConfigInput | undefined, context: SealingContext): SourceConfig {
  const given = input ?? {};
  return {
    allowed_http_methods: given.allowed_http_methods ?? current?.allowed_http_methods ?? DEFAULT_ALLOWED_METHODS,
    custom_response: given.custom_response !== undefined ? given.custom_response : (current?.custom_response ?? null),
    auth: resolveAuth(current, given, context),
    rate_limit: resolveRateLimit(current, given),
  };
}

/** `config` as the API shows it: verification by type with masked secrets, the rate limit as two fields. */
export function renderSourceConfig(config: SourceConfig) {
  const auth = config.auth ?? null;
  const limit = config.rate_limit ?? null;
  return {
    allowed_http_methods: config.allowed_http_methods,
    custom_response: config.custom_response,
    auth_type: auth?.type ?? null,
    auth: auth?.shown ?? null,
    rate_limit: limit?.limit ?? null,
    rate_limit_period: limit?.period ?? null,
  };
}
