/**
 * The key a `deduplicate` rule compares requests on, as a SHA-256 hex digest: the body bytes as received (no
 * fields named); the values at `include_fields` (`body.order.id`, `headers.x-shop-webhook-id`, `query.a`, `path`);
 * or the parsed JSON body without the `exclude_fields` (`body.sent_at`), keys sorted so order does not matter.
 * Pure. A body too deep to serialise falls back to its bytes (then only an identical body is a duplicate).
 */
import { createHash } from 'node:crypto';
import type { RequestView } from './connectionRules.js';

export const MIN_DEDUP_WINDOW_MS = 1000;
export const MAX_DEDUP_WINDOW_MS = 3_600_000;
export const MAX_DEDUP_FIELDS = 20;
/** `body`, `body.a.b`, `headers.x-id`, `query.page`, `path`. */
export const DEDUP_FIELD_PATTERN = /^(?:path|(?:body|headers|query)(?:\.[^.\s]+)*)$/;

export interface DedupFields {
  include_fields?: string[];
  exclude_fields?: string[];
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function valueAt(view: RequestView, path: string): unknown {
  const [root, ...rest] = path.split('.');
  let value: unknown = view[root as keyof RequestView];
  for (const key of rest) {
    if (!isPlainObject(value) || !Object.hasOwn(value, key)) return undefined;
    value = value[key];
  }
  return value;
}

/** `value` without the field at `keys` (copies along the path only). */
function without(value: unknown, keys: string[]): unknown {
  const [key, ...rest] = keys;
  if (key === undefined || !isPlainObject(value) || !Object.hasOwn(value, key)) return value;
  const copy = { ...value };
  if (rest.length === 0) delete copy[key];
  else copy[key] = without(value[key], rest);
  return copy;
}

function sortedKeys(_key: string, value: unknown): unknown {
  if (!isPlainObject(value)) return value;
  return Object.fromEntries(Object.keys(value).sort().map((key) => [key, value[key]]));
}

function digest(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** The request's deduplication key under `fields`. `rawBody` is the body as received. */
export function dedupKey(fields: DedupFields, view: RequestView, rawBody: Buffer): string {
  try {
    if (fields.include_fields !== undefined) {
      return digest(JSON.stringify(fields.include_fields.map((path) => [path, valueAt(view, path) ?? null]), sortedKeys));
    }
    if (fields.exclude_fields !== undefined && typeof view.body === 'object' && view.body !== null) {
      let body: unknown = view.body;
      for (const path of fields.exclude_fields) body = without(body, path.split('.').slice(1));
      return digest(JSON.stringify(body, sortedKeys));
    }
  } catch (error) {
    if (!(error instanceof RangeError)) throw error; // too deep to serialise: the bytes decide
  }
  return digest(rawBody);
}
