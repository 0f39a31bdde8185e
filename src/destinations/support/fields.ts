/**
 * Reading a destination type's config or credentials from untrusted API input: every value is checked for its
 * type, size and shape, unknown keys are refused, and every refusal is a VALIDATION_ERROR that names the field as
 * the API body spells it (`<type>.<key>`, e.g. `webhook.url`) and says what to do.
 *
 * The API may hand a type its whole `<type>` object (config and credentials together) to both parseConfig and
 * parseCredentials: each half ignores the other half's keys and refuses anything neither knows.
 */
import { SluiceError } from '../../domain/errors.js';
import type { DestinationField } from '../types.js';

/** Longest text value accepted unless a field says otherwise. */
export const DEFAULT_MAX_LENGTH = 2048;

// eslint-disable-next-line no-control-regex -- control characters are what is refused here
const CONTROL = /[\u0000-\u001f\u007f]/;
// eslint-disable-next-line no-control-regex -- tab, CR and LF are allowed in multi-line values (JSON documents)
const CONTROL_EXCEPT_LINES = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

export function invalidField(field: string, message: string): SluiceError {
  return new SluiceError('VALIDATION_ERROR', `The request body is not valid: ${field} ${message}. Correct it and send the request again.`, [
    { location: 'body', field, message },
  ]);
}

export interface StringRule {
  required?: boolean;
  maxLength?: number;
  /** Allow tab, CR and LF (a pasted JSON key file); other control characters are always refused. */
  multiline?: boolean;
  pattern?: RegExp;
  /** Says what `pattern` wants, for the message. */
  patternHint?: string;
}

export interface UrlRule {
  required?: boolean;
  /** Accepted schemes without the colon: `['http', 'https']`. */
  schemes: readonly string[];
  /** Refuse `user:password@` in the URL (credentials belong in the encrypted credentials, not in config). */
  noUserInfo?: boolean;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

export class FieldReader {
  private constructor(
    readonly type: string,
    private readonly values: Record<string, unknown>,
  ) {}

  /**
   * Opens `input` (an object, or null/undefined for none) for reading `allowed` keys; keys in `ignored` are
   * skipped silently (the other half's), any other key is refused.
   */
  static open(type: string, input: unknown, allowed: readonly string[], ignored: readonly string[]): FieldReader {
    if (input === undefined || input === null) return new FieldReader(type, {});
    if (!isPlainObject(input)) throw invalidField(type, 'must be an object');
    const known = new Set([...allowed, ...ignored]);
    for (const key of Object.keys(input)) {
      if (!known.has(key)) {
        const shown = key.length > 64 ? `${key.slice(0, 64)}…` : key;
        throw invalidField(`${type}.${shown}`, `is not a field of ${type} destinations (they take ${[...known].join(', ')})`);
      }
    }
    return new FieldReader(type, input);
  }

  field(key: string): string {
    return `${this.type}.${key}`;
  }

  fail(key: string, message: string): never {
    throw this.error(key, message);
  }

  /** For `throw reader.error(…)` where the compiler must see the throw (narrowing). */
  error(key: string, message: string): Error {
    return invalidField(this.field(key), message);
  }

  has(key: string): boolean {
    return this.values[key] !== undefined && this.values[key] !== null;
  }

  string(key: string, rule: StringRule & { required: true }): string;
  string(key: string, rule?: StringRule): string | undefined;
  string(key: string, rule: StringRule = {}): string | undefined {
    const value = this.values[key];
    if (value === undefined || value === null) {
      if (rule.required === true) this.fail(key, 'is required');
      return undefined;
    }
    if (typeof value !== 'string') this.fail(key, `must be a string; got ${Array.isArray(value) ? 'an array' : typeof value}`);
    const max = rule.maxLength ?? DEFAULT_MAX_LENGTH;
    if (value.trim() === '') this.fail(key, rule.required === true ? 'is required and must not be empty' : 'must not be empty (leave it out instead)');
    if (value.length > max) this.fail(key, `must be at most ${max} characters; got ${value.length}`);
    if ((rule.multiline === true ? CONTROL_EXCEPT_LINES : CONTROL).test(value)) this.fail(key, 'must not contain control characters or line breaks');
    if (rule.pattern !== undefined && !rule.pattern.test(value)) this.fail(key, rule.patternHint ?? `must match ${String(rule.pattern)}`);
    return value;
  }

  boolean(key: string): boolean | undefined {
    const value = this.values[key];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'boolean') this.fail(key, `must be true or false; got ${JSON.stringify(value)?.slice(0, 40) ?? typeof value}`);
    return value;
  }

  url(key: string, rule: UrlRule & { required: true }): URL;
  url(key: string, rule: UrlRule): URL | undefined;
  url(key: string, rule: UrlRule): URL | undefined {
    const text = this.string(key, { required: rule.required === true });
    if (text === undefined) return undefined;
    const schemes = rule.schemes.map((s) => `${s}://`).join(' or ');
    let parsed: URL;
    try {
      parsed = new URL(text);
    } catch {
      this.fail(key, `must be an absolute ${schemes} URL`);
    }
    if (!rule.schemes.includes(parsed.protocol.slice(0, -1))) this.fail(key, `must use ${schemes}; got "${parsed.protocol}"`);
    if (parsed.hostname === '') this.fail(key, 'must name a host');
    if (rule.noUserInfo === true && (parsed.username !== '' || parsed.password !== '')) {
      this.fail(key, 'must not contain a user name or password (put them in the credentials, which are encrypted)');
    }
    return parsed;
  }

  /** An object of string values (at most `maxEntries`), returned as a fresh object without a prototype chain to abuse. */
  stringMap(key: string, maxEntries: number, maxValueLength = 8192): Record<string, string> | undefined {
    const value = this.values[key];
    if (value === undefined || value === null) return undefined;
    if (!isPlainObject(value)) this.fail(key, 'must be an object of names to string values');
    const entries = Object.entries(value);
    if (entries.length > maxEntries) this.fail(key, `may hold at most ${maxEntries} entries; got ${entries.length}`);
    const out: Record<string, string> = {};
    for (const [name, entry] of entries) {
      if (typeof entry !== 'string') this.fail(`${key}.${name.slice(0, 64)}`, 'must be a string');
      if (entry.length > maxValueLength) this.fail(`${key}.${name.slice(0, 64)}`, `must be at most ${maxValueLength} characters`);
      out[name] = entry;
    }
    return out;
  }
}

/** The keys of a field list, for FieldReader.open. */
export function keysOf(fields: readonly DestinationField[]): string[] {
  return fields.map((f) => f.key);
}
