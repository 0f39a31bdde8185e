/**
 * Connection filters (Hookdeck's filter syntax, FACTS.md): a JSON filter matched against one part of a request
 * (headers, body, query or path). Pure: no I/O, no clock.
 *
 * Matching, for a filter `f` and a value `v`:
 * - a primitive (string, number, boolean, null) matches an equal `v`, or an array `v` containing it;
 * - an object's plain keys match structurally and partially: each key must match `v`'s field of that name (other
 *   fields of `v` do not matter); against an array `v`, some object element must match them all;
 * - an object's `$` keys are operators applied to `v` itself, all of which must hold (plain and `$` keys may mix);
 * - an array matches an array `v` that has, for each of its elements, some element matching it (order free).
 * Operators: `$eq`/`$neq` (deep equality), `$gt $gte $lt $lte` (numbers with numbers, strings with strings),
 * `$in`/`$nin` (an array operand: `v` equals one of its items; a string operand: `v` is a string containing it),
 * `$startsWith`/`$endsWith` (strings), `$exist` (true: the field is present), `$and`/`$or` (arrays of filters),
 * `$not` (a filter). The value operators hold on an array `v` when they hold on it or on one of its elements
 * ("an array field matches when it contains the value"); `$neq` and `$nin` are their exact negations.
 *
 * Bounds: validateFilter refuses filters deeper than MAX_FILTER_DEPTH or larger than MAX_FILTER_NODES, so the
 * matcher's recursion is bounded by the filter; its work is bounded by MATCH_STEP_BUDGET steps whatever the size
 * of the request, and a match that runs out of steps is a non-match (reported as `exhausted`).
 */
import { SluiceError } from './errors.js';

export const MAX_FILTER_DEPTH = 16;
export const MAX_FILTER_NODES = 1000;
export const MAX_FILTER_STRING = 4096;
/** Elements and fields visited by one match at most: a few milliseconds of work. */
export const MATCH_STEP_BUDGET = 200_000;

export const FILTER_OPERATORS = [
  '$eq',
  '$neq',
  '$gt',
  '$gte',
  '$lt',
  '$lte',
  '$in',
  '$nin',
  '$startsWith',
  '$endsWith',
  '$exist',
  '$and',
  '$or',
  '$not',
] as const;
export type FilterOperator = (typeof FILTER_OPERATORS)[number];

/** A filter as validated: JSON (no undefined, no functions, finite numbers). */
export type Filter = null | boolean | number | string | Filter[] | { [key: string]: Filter };

const OPERATOR_SET: ReadonlySet<string> = new Set(FILTER_OPERATORS);

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function invalid(path: string, message: string): SluiceError {
  return new SluiceError('INVALID_FILTER', `${path} ${message}.`, [{ location: 'body', field: path, message }]);
}

function keyPath(path: string, key: string): string {
  return /^[A-Za-z_$][\w$-]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

/**
 * Checks that `filter` is a well-formed filter and returns it typed. Throws SluiceError INVALID_FILTER (400) whose
 * message and `data[0].field` name the bad place (`rules[0].body.amount.$gte`). Never recurses deeper than
 * MAX_FILTER_DEPTH + 1, whatever it is given.
 */
export function validateFilter(filter: unknown, path: string): Filter {
  let nodes = 0;
  const visit = (value: unknown, at: string, depth: number): void => {
    nodes += 1;
    if (nodes > MAX_FILTER_NODES) throw invalid(at, `makes the filter larger than ${MAX_FILTER_NODES} values; split it across connections or simplify it`);
    if (depth > MAX_FILTER_DEPTH) throw invalid(at, `is nested deeper than ${MAX_FILTER_DEPTH} levels; flatten the filter`);
    if (value === null || typeof value === 'boolean') return;
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) throw invalid(at, 'must be a finite number');
      return;
    }
    if (typeof value === 'string') {
      if (value.length > MAX_FILTER_STRING) throw invalid(at, `is longer than ${MAX_FILTER_STRING} characters`);
      return;
    }
    if (Array.isArray(value)) {
      value.forEach((item, index) => visit(item, `${at}[${index}]`, depth + 1));
      return;
    }
    if (!isPlainObject(value)) throw invalid(at, 'must be JSON (an object, array, string, number, boolean or null)');
    for (const [key, operand] of Object.entries(value)) {
      const here = keyPath(at, key);
      if (key.length > MAX_FILTER_STRING) throw invalid(at, `has a key longer than ${MAX_FILTER_STRING} characters`);
      if (key.startsWith('$')) checkOperator(key, operand, here, depth);
      else visit(operand, here, depth + 1);
    }
  };
  const checkOperator = (key: string, operand: unknown, at: string, depth: number): void => {
    if (!OPERATOR_SET.has(key)) {
      throw invalid(at, `is not a filter operator; use one of ${FILTER_OPERATORS.join(' ')} (field names cannot start with "$")`);
    }
    const op = key as FilterOperator;
    switch (op) {
      case '$eq':
      case '$neq':
        visit(operand, at, depth + 1);
        return;
      case '$gt':
      case '$gte':
      case '$lt':
      case '$lte':
        if (typeof operand !== 'number' && typeof operand !== 'string') throw invalid(at, 'must be a number or a string');
        visit(operand, at, depth + 1);
        return;
      case '$in':
      case '$nin':
        if (typeof operand !== 'string' && !Array.isArray(operand)) throw invalid(at, 'must be an array of values, or a string to look for inside a string');
        visit(operand, at, depth + 1);
        return;
      case '$startsWith':
      case '$endsWith':
        if (typeof operand !== 'string') throw invalid(at, 'must be a string');
        visit(operand, at, depth + 1);
        return;
      case '$exist':
        if (typeof operand !== 'boolean') throw invalid(at, 'must be true or false');
        nodes += 1;
        return;
      case '$and':
      case '$or':
        if (!Array.isArray(operand) || operand.length === 0) throw invalid(at, 'must be a non-empty array of filters');
        visit(operand, at, depth + 1);
        return;
      case '$not':
        visit(operand, at, depth + 1);
        return;
    }
  };
  visit(filter, path, 0);
  return filter as Filter;
}

/** Thrown inside a match when its step budget is spent; never escapes matchFilter. */
class BudgetSpent extends Error {}

export interface MatchResult {
  matched: boolean;
  /** True when the match stopped at MATCH_STEP_BUDGET (then `matched` is false). */
  exhausted: boolean;
}

/**
 * Whether `value` (parsed JSON, a string, or undefined for "absent") matches a validated `filter`. Never throws;
 * at most `budget` steps.
 */
export function matchFilter(filter: Filter, value: unknown, budget = MATCH_STEP_BUDGET): MatchResult {
  let steps = 0;
  const step = (): void => {
    steps += 1;
    if (steps > budget) throw new BudgetSpent();
  };

  /** `test` holds on `v`, or on one of its elements when `v` is an array. */
  const anyOf = (v: unknown, test: (item: unknown) => boolean): boolean => {
    step();
    if (test(v)) return true;
    if (!Array.isArray(v)) return false;
    for (const item of v) {
      step();
      if (test(item)) return true;
    }
    return false;
  };

  /** Deep JSON equality; recursion bounded by the filter operand `b`'s depth. */
  const equal = (a: unknown, b: Filter): boolean => {
    step();
    if (b === null || typeof b !== 'object') return a === b;
    if (Array.isArray(b)) {
      if (!Array.isArray(a) || a.length !== b.length) return false;
      return b.every((item, index) => equal(a[index], item));
    }
    if (!isPlainObject(a)) return false;
    const keys = Object.keys(b);
    if (Object.keys(a).length !== keys.length) return false;
    return keys.every((key) => Object.hasOwn(a, key) && equal(a[key], b[key] as Filter));
  };

  const compare = (v: unknown, operand: Filter, holds: (order: number) => boolean): boolean =>
    anyOf(v, (item) => {
      if (typeof operand === 'number' && typeof item === 'number') return holds(item - operand);
      if (typeof operand === 'string' && typeof item === 'string') return holds(item < operand ? -1 : item > operand ? 1 : 0);
      return false;
    });

  const isIn = (v: unknown, operand: Filter): boolean =>
    typeof operand === 'string'
      ? anyOf(v, (item) => typeof item === 'string' && item.includes(operand))
      : Array.isArray(operand) && anyOf(v, (item) => operand.some((candidate) => equal(item, candidate)));

  const operator = (op: string, operand: Filter, v: unknown): boolean => {
    switch (op as FilterOperator) {
      case '$eq':
        return anyOf(v, (item) => equal(item, operand));
      case '$neq':
        return !anyOf(v, (item) => equal(item, operand));
      case '$gt':
        return compare(v, operand, (order) => order > 0);
      case '$gte':
        return compare(v, operand, (order) => order >= 0);
      case '$lt':
        return compare(v, operand, (order) => order < 0);
      case '$lte':
        return compare(v, operand, (order) => order <= 0);
      case '$in':
        return isIn(v, operand);
      case '$nin':
        return !isIn(v, operand);
      case '$startsWith':
        return anyOf(v, (item) => typeof item === 'string' && typeof operand === 'string' && item.startsWith(operand));
      case '$endsWith':
        return anyOf(v, (item) => typeof item === 'string' && typeof operand === 'string' && item.endsWith(operand));
      case '$exist':
        return (v !== undefined) === (operand === true);
      case '$and':
        return Array.isArray(operand) && operand.every((sub) => match(sub, v));
      case '$or':
        return Array.isArray(operand) && operand.some((sub) => match(sub, v));
      case '$not':
        return !match(operand, v);
    }
    return false; // validateFilter admits no other key
  };

  const fieldsMatch = (f: Record<string, Filter>, fields: string[], v: unknown): boolean => {
    if (!isPlainObject(v)) return false;
    return fields.every((key) => {
      step();
      return match(f[key] as Filter, Object.hasOwn(v, key) ? v[key] : undefined);
    });
  };

  const match = (f: Filter, v: unknown): boolean => {
    step();
    if (f === null || typeof f !== 'object') return anyOf(v, (item) => item === f);
    if (Array.isArray(f)) {
      if (!Array.isArray(v)) return false;
      return f.every((sub) => v.some((item) => match(sub, item)));
    }
    const keys = Object.keys(f);
    const fields = keys.filter((key) => !key.startsWith('$'));
    if (fields.length > 0) {
      const ok = Array.isArray(v) ? v.some((item) => fieldsMatch(f, fields, item)) : fieldsMatch(f, fields, v);
      if (!ok) return false;
    }
    return keys.every((key) => !key.startsWith('$') || operator(key, f[key] as Filter, v));
  };

  try {
    return { matched: match(filter, value), exhausted: false };
  } catch (error) {
    if (error instanceof BudgetSpent) return { matched: false, exhausted: true };
    throw error;
  }
}
