/**
 * The config of an `HTTP` destination as the API takes it (TypeBox schema, also in the OpenAPI document), and the
 * checks a schema cannot express (URL scheme, header names), resolved into the stored `HttpDestinationConfig`
 * with its defaults. Create takes the whole config; update takes any part and is checked after merging.
 */
import { Type, type Static } from '@sinclair/typebox';
import { DESTINATION_RATE_LIMIT_PERIODS, MAX_DESTINATION_RATE_LIMIT } from '../../domain/destinationRateLimit.js';
import { SluiceError } from '../../domain/errors.js';
import { HTTP_METHODS, type HttpDestinationConfig } from '../../domain/model.js';

export const MIN_TIMEOUT_MS = 100;
/** The schema's bound on rate_limit; each period's own (MAX_DESTINATION_RATE_LIMIT) is checked after merging. */
const MAX_RATE_LIMIT = Math.max(...Object.values(MAX_DESTINATION_RATE_LIMIT));
export const MAX_TIMEOUT_MS = 300_000;

const HttpMethod = Type.Union(
  HTTP_METHODS.map((method) => Type.Literal(method)),
  { 'x-error-message': `must be one of ${HTTP_METHODS.join(', ')} (upper case), or null to keep the request's method` },
);

const configProperties = {
  url: Type.String({ minLength: 1, maxLength: 2048, description: 'http:// or https:// URL; the request path after /e/:id is appended' }),
  http_method: Type.Union([HttpMethod, Type.Null()], {
    description: "Method of the forwarded request; null keeps the original request's method",
    'x-error-message': `must be one of ${HTTP_METHODS.join(', ')} (upper case), or null to keep the request's method`,
  }),
  timeout: Type.Integer({
    minimum: MIN_TIMEOUT_MS,
    maximum: MAX_TIMEOUT_MS,
    description: `Attempt timeout in milliseconds (${MIN_TIMEOUT_MS}–${MAX_TIMEOUT_MS}); default SLUICE_DEFAULT_TIMEOUT_MS`,
  }),
  headers: Type.Record(Type.String(), Type.String({ maxLength: 8192 }), {
    description: 'Extra headers added to every forwarded request (they override the original ones of the same name)',
    'x-error-message': 'must be an object of header names to string values',
  }),
  rate_limit: Type.Union([Type.Integer({ minimum: 1, maximum: MAX_RATE_LIMIT }), Type.Null()], {
    description:
      'With rate_limit_period "concurrent" (the default when no period was ever set): attempts in flight at once, 1–10000. ' +
      'With "second", "minute" or "hour": attempts started per period across all gateway processes (1–10000 per second, ' +
      '1–1000000 per minute or hour); events beyond it stay queued. null = no limit of its own (the gateway concurrency default)',
    'x-error-message': `must be a whole number from 1 to ${MAX_RATE_LIMIT} (at most 10000 with period "concurrent" or "second"), or null for no limit`,
  }),
  rate_limit_period: Type.Union([...DESTINATION_RATE_LIMIT_PERIODS.map((p) => Type.Literal(p)), Type.Null()], {
    description: 'What rate_limit counts: "concurrent" attempts in flight, or attempts started per "second", "minute" or "hour"',
    'x-error-message': 'must be "second", "minute", "hour" or "concurrent" (or null together with rate_limit null)',
  }),
};

/** `config` of `POST /destinations` (type HTTP). */
export const HttpDestinationConfigInput = Type.Object(
  {
    url: configProperties.url,
    http_method: Type.Optional(configProperties.http_method),
    timeout: Type.Optional(configProperties.timeout),
    headers: Type.Optional(configProperties.headers),
    rate_limit: Type.Optional(configProperties.rate_limit),
    rate_limit_period: Type.Optional(configProperties.rate_limit_period),
  },
  { additionalProperties: false },
);
export type HttpDestinationConfigInput = Static<typeof HttpDestinationConfigInput>;

/** `config` of `PUT /destinations/:id`: any part, merged over the current config. */
export const HttpDestinationConfigPatch = Type.Partial(HttpDestinationConfigInput, { additionalProperties: false });
export type HttpDestinationConfigPatch = Static<typeof HttpDestinationConfigPatch>;

/** The config as the API shows it. */
export const HttpDestinationConfigModel = Type.Object({
  url: Type.String(),
  http_method: Type.Union([Type.String(), Type.Null()]),
  timeout: Type.Integer(),
  headers: Type.Record(Type.String(), Type.String()),
  rate_limit: Type.Union([Type.Integer(), Type.Null()]),
  rate_limit_period: Type.Union([...DESTINATION_RATE_LIMIT_PERIODS.map((p) => Type.Literal(p)), Type.Null()]),
});

/**
 * Headers the gateway owns: hop-by-hop ones (RFC 9110 §7.6.1) describe one connection, and host/content-length
 * are set from the destination URL and the body. A destination cannot set them.
 */
export const RESERVED_HEADERS: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'content-length',
]);
export const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// eslint-disable-next-line no-control-regex -- control characters are exactly what must be refused here
export const BAD_HEADER_VALUE = /[\u0000-\u0008\u000a-\u001f\u007f]/;

function invalid(field: string, message: string): SluiceError {
  return new SluiceError('VALIDATION_ERROR', `The request body is not valid: ${field} ${message}. Correct it and send the request again.`, [
    { location: 'body', field, message },
  ]);
}

function checkUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalid('config.url', `must be an absolute http:// or https:// URL; got "${url}"`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw invalid('config.url', `must use http:// or https://; got "${parsed.protocol}"`);
  }
  if (parsed.hostname === '') throw invalid('config.url', 'must name a host');
}

/** Lower-cased header names (as requests are stored), each checked. */
function checkHeaders(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    const field = `config.headers.${name}`;
    if (!HEADER_NAME.test(name)) throw invalid(field, 'is not a valid header name (letters, digits and !#$%&\'*+.^_`|~- only)');
    const lower = name.toLowerCase();
    if (RESERVED_HEADERS.has(lower)) throw invalid(field, 'is set by the gateway for each request (hop-by-hop, host or length); remove it');
    if (BAD_HEADER_VALUE.test(value)) throw invalid(field, 'must not contain control characters or line breaks');
    if (lower in out) throw invalid(field, `repeats a header name (names are case-insensitive): ${lower}`);
    out[lower] = value;
  }
  return out;
}

/**
 * `rate_limit` and `rate_limit_period` after merging. A limit without any period is a concurrent cap (the only
 * period there was before time limits, so older clients keep their meaning); removing the limit removes its period;
 * a period without a limit means nothing and is refused when sent.
 */
function resolveRateLimit(
  input: HttpDestinationConfigPatch,
  current: HttpDestinationConfig | null,
): Pick<HttpDestinationConfig, 'rate_limit' | 'rate_limit_period'> {
  const rateLimit = input.rate_limit !== undefined ? input.rate_limit : (current?.rate_limit ?? null);
  let period = input.rate_limit_period !== undefined ? input.rate_limit_period : (current?.rate_limit_period ?? null);
  if (rateLimit !== null && period === null) period = 'concurrent';
  if (input.rate_limit === null && input.rate_limit_period === undefined) period = null;
  if (rateLimit === null && period !== null) {
    if (input.rate_limit_period !== undefined) throw invalid('config.rate_limit', 'is required with rate_limit_period (send both, or set rate_limit_period to null)');
    period = null;
  }
  if (rateLimit !== null && period !== null && rateLimit > MAX_DESTINATION_RATE_LIMIT[period]) {
    throw invalid(
      'config.rate_limit',
      `must be at most ${MAX_DESTINATION_RATE_LIMIT[period]} with rate_limit_period "${period}"; got ${rateLimit} (use a longer period for a larger number)`,
    );
  }
  return { rate_limit: rateLimit, rate_limit_period: period };
}

/** The stored config for a create (`current` null) or an update (`input` merged over `current`). */
export function resolveHttpDestinationConfig(
  input: HttpDestinationConfigPatch,
  current: HttpDestinationConfig | null,
  defaultTimeoutMs: number,
): HttpDestinationConfig {
  const url = input.url ?? current?.url;
  if (url === undefined) throw invalid('config.url', 'is required');
  checkUrl(url);
  return {
    url,
    http_method: input.http_method !== undefined ? input.http_method : (current?.http_method ?? null),
    timeout: input.timeout ?? current?.timeout ?? defaultTimeoutMs,
    headers: input.headers !== undefined ? checkHeaders(input.headers) : (current?.headers ?? {}),
    ...resolveRateLimit(input, current),
  };
}
