/**
 * Request validation with TypeBox's compiler instead of Fastify's default Ajv set-up, for two reasons:
 * - Fastify's Ajv coerces body types (`"count": "5"` passes as 5) and silently drops unknown fields; both hide
 *   mistakes. Here bodies are checked as sent, and unknown fields are errors that name the allowed ones.
 *   Query strings and path parameters are converted first (`limit=10` is the number 10), because they are text.
 * - The errors become one SluiceError VALIDATION_ERROR (422) whose `data` lists every field and its problem, in
 *   words that say what to send instead (a schema can carry its own text under `x-error-message`).
 */
import type { TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import { ValueErrorType, type ValueError } from '@sinclair/typebox/errors';
import type { FastifySchemaCompiler } from 'fastify';
import { SluiceError } from '../domain/errors.js';
import { ERROR_MESSAGE_KEY } from './schemaHelpers.js';

export interface FieldProblem {
  /** Where the field is: `body`, `query` or `params`. */
  location: string;
  /** The field, as a path: `config.url`, `rules[0].type`; the location itself when the whole part is wrong. */
  field: string;
  message: string;
}

const LOCATION: Record<string, string> = { body: 'body', querystring: 'query', params: 'params', headers: 'headers' };

/** Compiled checkers by schema object: routes share schemas, and compiling is the slow part. */
const compiled = new WeakMap<TSchema, TypeCheck<TSchema>>();

function checkerFor(schema: TSchema): TypeCheck<TSchema> {
  let checker = compiled.get(schema);
  if (checker === undefined) {
    checker = TypeCompiler.Compile(schema);
    compiled.set(schema, checker);
  }
  return checker;
}

export const typeboxValidatorCompiler: FastifySchemaCompiler<TSchema> = ({ schema, httpPart }) => {
  const checker = checkerFor(schema);
  const location = LOCATION[httpPart ?? 'body'] ?? 'body';
  // Text parts (query, params) arrive as strings and need converting; bodies are JSON and are checked as sent.
  const convert = location !== 'body';
  return (data: unknown) => {
    const value = convert ? convertText(schema, data) : data;
    if (checker.Check(value)) return { value };
    return { error: validationError(location, problemsOf(location, checker.Errors(value))) };
  };
};

/**
 * Query and path values are strings; those whose schema wants a number or a boolean are converted when they are
 * exactly one (`10`, not `1e1` or `10.5`: TypeBox's own conversion would truncate those silently). Query schemas
 * are flat objects, so the top level is all there is to convert.
 */
function convertText(schema: TSchema, data: unknown): unknown {
  if (typeof data !== 'object' || data === null) return data;
  const properties = (schema as { properties?: Record<string, TSchema> }).properties ?? {};
  // No prototype: a parameter named `__proto__` must stay a (rejected) key, not become the object's prototype.
  const out = Object.create(null) as Record<string, unknown>;
  for (const [key, value] of Object.entries(data)) out[key] = convertValue(properties[key], value);
  return out;
}

function convertValue(schema: TSchema | undefined, value: unknown): unknown {
  if (schema === undefined || typeof value !== 'string') return value;
  const type = (schema as { type?: unknown }).type;
  if (type === 'integer' && /^-?\d{1,15}$/.test(value)) return Number(value);
  if (type === 'number' && /^-?\d+(\.\d+)?$/.test(value)) return Number(value);
  if (type === 'boolean' && (value === 'true' || value === 'false')) return value === 'true';
  return value;
}

/** One problem per field (TypeBox reports e.g. both "required" and "expected string" for a missing field). */
function problemsOf(location: string, errors: Iterable<ValueError>): FieldProblem[] {
  const byPath = new Map<string, FieldProblem>();
  const wrongTypes: string[] = [];
  for (const error of flatten(errors)) {
    if (byPath.has(error.path)) continue;
    byPath.set(error.path, { location, field: fieldName(location, error.path), message: describeError(error, location) });
    if (isWrongDiscriminator(error)) wrongTypes.push(error.path.slice(0, -'/type'.length));
    if (byPath.size >= 50) break; // enough to fix a request; a 10 MB wrong body must not yield a 10 MB error
  }
  // When a nested object's `type` is wrong (a rule of an unknown type), its other fields cannot be judged: the
  // type is the one problem to report for it.
  const problems = [...byPath.entries()].filter(
    ([path]) => !wrongTypes.some((parent) => path.startsWith(`${parent}/`) && path !== `${parent}/type`),
  );
  return problems.map(([, problem]) => problem);
}

function isWrongDiscriminator(error: ValueError): boolean {
  return (
    error.path.endsWith('/type') &&
    error.path.length > '/type'.length &&
    (error.type === ValueErrorType.Literal || error.type === ValueErrorType.Union)
  );
}

/**
 * A union (say, an object or null) fails as a whole, with each variant's errors nested. When the value has the
 * JSON type of an object or array variant, that variant's own errors say far more ("custom_response.body is
 * required") than "must be an object or null", so they replace the union's.
 */
function* flatten(errors: Iterable<ValueError>): Iterable<ValueError> {
  for (const error of errors) {
    if (error.type === ValueErrorType.Union && !(ERROR_MESSAGE_KEY in error.schema)) {
      const variants = ((error.schema as { anyOf?: TSchema[] }).anyOf ?? []);
      const index = variantFor(variants, error.value);
      const nested = index === -1 ? [] : [...(error.errors[index] ?? [])];
      if (nested.length > 0) {
        yield* flatten(nested);
        continue;
      }
    }
    yield error;
  }
}

/**
 * The variant whose errors to show: for objects tagged by `type` (connection rules), the variant of that type;
 * else the first variant of the value's JSON type.
 */
function variantFor(variants: TSchema[], value: unknown): number {
  const tag = typeof value === 'object' && value !== null ? (value as { type?: unknown }).type : undefined;
  const tagged = variants.findIndex((variant) => (variant as { properties?: { type?: { const?: unknown } } }).properties?.type?.const === tag);
  if (tag !== undefined && tagged !== -1) return tagged;
  return variants.findIndex((variant) => sameJsonType(variant, value));
}

function sameJsonType(schema: TSchema, value: unknown): boolean {
  const type = (schema as { type?: unknown }).type;
  if (type === 'object') return typeof value === 'object' && value !== null && !Array.isArray(value);
  if (type === 'array') return Array.isArray(value);
  return false;
}

/** `/config/url` → `config.url`, `/rules/0/type` → `rules[0].type`, `` → the location. */
export function fieldName(location: string, pointer: string): string {
  if (pointer === '') return location;
  let out = '';
  for (const raw of pointer.split('/').slice(1)) {
    const part = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (/^\d+$/.test(part)) out += `[${part}]`;
    else out += out === '' ? part : `.${part}`;
  }
  return out;
}

function describeError(error: ValueError, location: string): string {
  const custom: unknown = (error.schema as Record<string, unknown>)[ERROR_MESSAGE_KEY];
  switch (error.type) {
    case ValueErrorType.ObjectRequiredProperty:
      return 'is required';
    case ValueErrorType.ObjectAdditionalProperties: {
      const known = Object.keys((error.schema as { properties?: Record<string, unknown> }).properties ?? {});
      const what = location === 'query' ? 'a query parameter' : 'a field';
      return known.length === 0
        ? `is not ${what} this endpoint takes; remove it`
        : `is not ${what} this endpoint takes; remove it (known here: ${known.join(', ')})`;
    }
    default:
      if (typeof custom === 'string') return custom;
      return genericMessage(error);
  }
}

function genericMessage(error: ValueError): string {
  const schema = error.schema as Record<string, unknown>;
  switch (error.type) {
    case ValueErrorType.Union:
    case ValueErrorType.Literal:
      return `must be ${describeSchema(error.schema)}`;
    case ValueErrorType.String:
      return Array.isArray(error.value) ? 'must be given once' : 'must be a string';
    case ValueErrorType.Integer:
      return Array.isArray(error.value) ? 'must be given once' : 'must be a whole number';
    case ValueErrorType.Number:
      return 'must be a number';
    case ValueErrorType.Boolean:
      return 'must be true or false';
    case ValueErrorType.Object:
      return 'must be a JSON object';
    case ValueErrorType.Array:
      return 'must be an array';
    case ValueErrorType.StringMaxLength:
      return `must be at most ${String(schema.maxLength)} characters long`;
    case ValueErrorType.StringMinLength:
      return schema.minLength === 1 ? 'must not be empty' : `must be at least ${String(schema.minLength)} characters long`;
    case ValueErrorType.StringPattern:
      return `must match ${String(schema.pattern)}`;
    case ValueErrorType.IntegerMinimum:
    case ValueErrorType.NumberMinimum:
      return `must be ${String(schema.minimum)} or more`;
    case ValueErrorType.IntegerMaximum:
    case ValueErrorType.NumberMaximum:
      return `must be ${String(schema.maximum)} or less`;
    case ValueErrorType.ArrayMinItems:
      return `must have at least ${String(schema.minItems)} item(s)`;
    case ValueErrorType.ArrayMaxItems:
      return `must have at most ${String(schema.maxItems)} items`;
    case ValueErrorType.ArrayUniqueItems:
      return 'must not repeat an item';
    default:
      return error.message.charAt(0).toLowerCase() + error.message.slice(1);
  }
}

/** A short description of what a schema accepts: `"json", "text" or "xml"`, `a string or null`. */
function describeSchema(schema: TSchema): string {
  const s = schema as Record<string, unknown>;
  if ('const' in s) return JSON.stringify(s.const);
  if (Array.isArray(s.anyOf)) {
    const parts = (s.anyOf as TSchema[]).map(describeSchema);
    return parts.length <= 1 ? (parts[0] ?? 'valid') : `${parts.slice(0, -1).join(', ')} or ${parts[parts.length - 1] ?? ''}`;
  }
  switch (s.type) {
    case 'null':
      return 'null';
    case 'string':
      return 'a string';
    case 'integer':
      return 'a whole number';
    case 'number':
      return 'a number';
    case 'boolean':
      return 'true or false';
    case 'array':
      return 'an array';
    case 'object':
      return 'an object';
    default:
      return 'valid';
  }
}

/** The 422 answer for a list of problems (also used by handlers for checks a schema cannot express). */
export function validationError(location: string, problems: FieldProblem[]): SluiceError {
  const first = problems[0];
  const where = location === 'query' ? 'query string' : location === 'params' ? 'URL' : 'request body';
  const summary =
    first === undefined
      ? `The ${where} is not valid.`
      : first.field === location
        ? `The ${where} ${first.message}.`
        : `The ${where} is not valid: ${first.field} ${first.message}${problems.length > 1 ? ` (and ${problems.length - 1} more problem(s), listed in data)` : ''}.`;
  return new SluiceError('VALIDATION_ERROR', `${summary} Correct it and send the request again.`, problems);
}

/** A 422 for one field found wrong by a handler (after the schema passed). */
export function invalidField(field: string, message: string, location = 'body'): SluiceError {
  return validationError(location, [{ location, field, message }]);
}
