/**
 * The console's only way to the gateway: its public HTTP API, same origin, with the API key the user signed in with
 * (kept in sessionStorage, so it leaves with the tab, and sent as a Bearer token). Errors of both faces (`{code,
 * status, message}` and /v2's `{errors: [...]}`) become one ApiError with the API's own message.
 */

const KEY_STORAGE = 'sluice.apiKey';

export function storedKey(): string | null {
  return sessionStorage.getItem(KEY_STORAGE);
}

export function storeKey(key: string): void {
  sessionStorage.setItem(KEY_STORAGE, key);
}

export function forgetKey(): void {
  sessionStorage.removeItem(KEY_STORAGE);
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fields: { field: string; message: string }[] = [],
  ) {
    super(message);
  }
}

/** Called when the key is refused (401): the app goes back to sign-in. */
let onUnauthorized: () => void = () => undefined;
export function whenUnauthorized(handler: () => void): void {
  onUnauthorized = handler;
}

interface InboundError {
  code?: string;
  message?: string;
  data?: { field?: string; message?: string }[];
}
interface V2Error {
  errors?: { code?: string; field?: string; message?: string }[];
}

function toError(status: number, body: unknown): ApiError {
  const inbound = body as InboundError;
  const v2 = body as V2Error;
  if (Array.isArray(v2.errors) && v2.errors.length > 0) {
    const fields = v2.errors.filter((e) => e.field !== undefined).map((e) => ({ field: e.field ?? '', message: e.message ?? '' }));
    const message = v2.errors.map((e) => (e.field === undefined ? e.message : `${e.field}: ${e.message}`)).join(' ');
    return new ApiError(status, v2.errors[0]?.code ?? 'error', message, fields);
  }
  const fields = Array.isArray(inbound.data) ? inbound.data.map((d) => ({ field: d.field ?? '', message: d.message ?? '' })) : [];
  const detail = fields.length > 0 ? ` ${fields.map((f) => `${f.field}: ${f.message}`).join('; ')}` : '';
  return new ApiError(status, inbound.code ?? 'ERROR', `${inbound.message ?? `The gateway answered ${status}.`}${detail}`, fields);
}

export interface Answer<T> {
  data: T;
  headers: Headers;
}

/** One API call. `key` overrides the stored key (sign-in checks a key before keeping it). */
export async function call<T>(method: string, path: string, body?: unknown, key: string | null = storedKey()): Promise<Answer<T>> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (key !== null) headers.authorization = `Bearer ${key}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'omit' });
  } catch {
    throw new ApiError(0, 'NETWORK', 'The gateway cannot be reached. Check that it is running, then try again.');
  }
  const text = await response.text();
  let parsed: unknown = null;
  try {
    parsed = text === '' ? null : JSON.parse(text);
  } catch {
    parsed = { message: text.slice(0, 300) };
  }
  if (!response.ok) {
    const error = toError(response.status, parsed ?? {});
    if (response.status === 401 && key === storedKey()) onUnauthorized();
    throw error;
  }
  return { data: parsed as T, headers: response.headers };
}

export const get = async <T>(path: string): Promise<T> => (await call<T>('GET', path)).data;
export const post = async <T>(path: string, body: unknown = {}): Promise<T> => (await call<T>('POST', path, body)).data;
export const put = async <T>(path: string, body?: unknown): Promise<T> => (await call<T>('PUT', path, body)).data;
export const patch = async <T>(path: string, body: unknown): Promise<T> => (await call<T>('PATCH', path, body)).data;
export const del = async <T>(path: string): Promise<T> => (await call<T>('DELETE', path)).data;

/** A query string from the values that are set (arrays repeat the parameter). */
export function qs(params: Record<string, string | number | readonly string[] | null | undefined>): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value === null || value === undefined || value === '') continue;
    if (Array.isArray(value)) for (const v of value as readonly string[]) search.append(name, v);
    else search.set(name, String(value));
  }
  const text = search.toString();
  return text === '' ? '' : `?${text}`;
}

// ------------------------------------------------------------------ the API's models, as the console reads them

export interface SeedList<T> {
  pagination: { after: string | null; before: string | null; limit: number };
  total_count: number;
  count: number;
  models: T[];
}

export interface ManagementList<T> {
  pagination: { next: string | null; prev: string | null; limit: number };
  count: number;
  models: T[];
}

export interface V2List<T> {
  data: T[];
  has_more: boolean;
  next_cursor: string | null;
}

export interface Team {
  id: string;
  name: string;
}

export interface Source {
  id: string;
  name: string;
  description: string | null;
  url: string;
  config: {
    allowed_http_methods: string[];
    custom_response: { content_type: string; body: string } | null;
    /** Verification: HMAC, BASIC_AUTH, API_KEY, STRIPE, GITHUB or SHOPIFY; null = none. */
    auth_type: string | null;
    /** Its settings, secrets masked. */
    auth: Record<string, string> | null;
    rate_limit: number | null;
    rate_limit_period: string | null;
  };
  disabled_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface Destination {
  id: string;
  name: string;
  description: string | null;
  type: string;
  config: {
    url: string;
    http_method: string | null;
    timeout: number;
    headers: Record<string, string>;
    rate_limit: number | null;
    rate_limit_period: string | null;
  };
  disabled_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface RetryRule {
  type: 'retry';
  strategy: 'linear' | 'exponential';
  interval: number;
  count: number;
  response_status_codes?: string[];
}

/** A filter, delay or deduplicate rule (docs/api.md, "Connection rules"). */
export interface OtherRule {
  type: 'filter' | 'delay' | 'deduplicate';
  [field: string]: unknown;
}

export interface Connection {
  id: string;
  name: string;
  full_name: string;
  description: string | null;
  source: Source;
  destination: Destination;
  /** The retry rule, and the filter, delay and deduplicate rules the console shows as JSON and keeps as they are. */
  rules: (RetryRule | OtherRule)[];
  paused_at: string | null;
  disabled_at: string | null;
  created_at: string;
  updated_at: string;
}

export const EVENT_STATUSES = ['QUEUED', 'SCHEDULED', 'HOLD', 'SUCCESSFUL', 'FAILED', 'CANCELLED'] as const;
export type EventStatus = (typeof EVENT_STATUSES)[number];

export interface EventModel {
  id: string;
  webhook_id: string;
  source_id: string;
  destination_id: string;
  request_id: string;
  status: EventStatus;
  attempts: number;
  response_status: number | null;
  error_code: string | null;
  last_attempt_at: string | null;
  next_attempt_at: string | null;
  successful_at: string | null;
  updated_at: string;
  created_at: string;
}

export interface EventWithRequest extends EventModel {
  request: { headers: Record<string, string>; body: unknown; body_encoding?: 'base64' };
}

export interface Attempt {
  id: string;
  event_id: string;
  attempt_number: number;
  trigger: string;
  status: 'SUCCESSFUL' | 'FAILED';
  response_status: number | null;
  error_code: string | null;
  body: unknown;
  requested_url: string;
  http_method: string;
  delivery_latency: number | null;
  response_latency: number | null;
  created_at: string;
}

export interface DestinationField {
  key: string;
  label: string;
  type: 'text' | 'url' | 'number' | 'boolean' | 'select' | 'json' | 'secret';
  required: boolean;
  sensitive: boolean;
  description: string;
  default?: string | number | boolean;
  options?: string[];
}

export interface DestinationType {
  type: string;
  label: string;
  description: string;
  config_fields: DestinationField[];
  credential_fields: DestinationField[];
}

export interface EventDestination {
  id: string;
  name: string;
  type: string;
  events: string[];
  status: 'active' | 'inactive';
  /** Attempt timeout in ms; null = the gateway's default. */
  timeout: number | null;
  created_at: string;
  updated_at: string;
  [typeKey: string]: unknown;
}

export interface DeliveryAttempt {
  id: string;
  attempt_number: number;
  trigger: string;
  status: 'success' | 'failure';
  response_status: number | null;
  error_code: string | null;
  response_body: unknown;
  duration_ms: number | null;
  created_at: string;
}

export interface Delivery {
  id: string;
  status: 'success' | 'failure' | 'pending';
  event_type: string;
  event_id: string;
  event_destination_id: string;
  attempts: DeliveryAttempt[];
  next_attempt_at: string | null;
  response_status: number | null;
  error_code: string | null;
  created_at: string;
  delivered_at: string | null;
}

export interface PublishedEvent {
  id: string;
  type: string;
  data: unknown;
  created_at: string;
}

export interface EventMetrics {
  window: { start: string; end: string; bucket: string };
  buckets: { start: string; counts: Record<EventStatus, number>; total: number; success_rate: number | null }[];
  totals: { counts: Record<EventStatus, number>; total: number; success_rate: number | null };
  backlog: { queued: number; scheduled: number; hold: number; total: number; oldest_pending_at: string | null };
  failing_destinations: { destination_id: string; name: string | null; failed: number; retrying: number; last_attempt_at: string | null }[];
}

export interface BulkRetry {
  id: string;
  query: Record<string, unknown>;
  estimated_count: number;
  processed_count: number;
  retried_count: number;
  skipped_count: number;
  progress: number;
  in_progress: boolean;
  cancelled_at: string | null;
  completed_at: string | null;
  created_at: string;
  updated_at: string;
}
