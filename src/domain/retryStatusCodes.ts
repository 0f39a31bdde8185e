/**
 * Which response statuses a connection's `retry` rule retries (FACTS.md: `response_status_codes` such as
 * `["500-599", ">400", "!401"]`). Parsing is strict so the API can reject a bad rule when it is saved, and the
 * dispatcher only ever matches already-parsed patterns.
 */
import { SluiceError } from './errors.js';

/** An inclusive range of statuses; `negated` patterns exclude instead of include. */
export interface StatusPattern {
  min: number;
  max: number;
  negated: boolean;
  /** The text it came from, for messages. */
  source: string;
}

const MIN_STATUS = 100;
const MAX_STATUS = 599;

const ACCEPTED_FORMS =
  'a status ("500"), a range ("500-599"), a comparison (">400", ">=400", "<300", "<=299"), or any of those negated with "!" ("!401", "!400-403")';

function badPattern(pattern: string, why: string): SluiceError {
  return new SluiceError(
    'VALIDATION_ERROR',
    `response_status_codes: "${pattern}" is not a valid status pattern (${why}). Use ${ACCEPTED_FORMS}; statuses go from ${MIN_STATUS} to ${MAX_STATUS}.`,
    { field: 'response_status_codes', value: pattern },
  );
}

function status(text: string, pattern: string): number {
  if (!/^\d{3}$/.test(text)) throw badPattern(pattern, `"${text}" is not a three-digit status`);
  const value = Number(text);
  if (value < MIN_STATUS || value > MAX_STATUS) throw badPattern(pattern, `${value} is outside ${MIN_STATUS}–${MAX_STATUS}`);
  return value;
}

/** The range a pattern body (without `!`) stands for. */
function range(body: string, pattern: string): { min: number; max: number } {
  const comparison = /^(>=|<=|>|<)\s*(\S+)$/.exec(body);
  if (comparison !== null) {
    const [, op, operand = ''] = comparison;
    const value = status(operand, pattern);
    const bounds = {
      '>': { min: value + 1, max: MAX_STATUS },
      '>=': { min: value, max: MAX_STATUS },
      '<': { min: MIN_STATUS, max: value - 1 },
      '<=': { min: MIN_STATUS, max: value },
    }[op as '>' | '>=' | '<' | '<='];
    if (bounds.min > bounds.max) throw badPattern(pattern, 'it matches no status');
    return bounds;
  }
  const dash = /^(\S+?)\s*-\s*(\S+)$/.exec(body);
  if (dash !== null) {
    const min = status(dash[1] ?? '', pattern);
    const max = status(dash[2] ?? '', pattern);
    if (min > max) throw badPattern(pattern, `the range starts after it ends`);
    return { min, max };
  }
  const single = status(body, pattern);
  return { min: single, max: single };
}

/** Parses a rule's patterns; throws VALIDATION_ERROR naming the first bad one. */
export function parseStatusPatterns(patterns: string[]): StatusPattern[] {
  return patterns.map((raw) => {
    if (typeof raw !== 'string') throw badPattern(String(raw), 'it is not a string');
    const text = raw.trim();
    if (text === '') throw badPattern(raw, 'it is empty');
    const negated = text.startsWith('!');
    const body = negated ? text.slice(1).trim() : text;
    if (body === '') throw badPattern(raw, 'nothing follows "!"');
    return { ...range(body, raw), negated, source: raw };
  });
}

function matches(pattern: StatusPattern, status: number): boolean {
  return status >= pattern.min && status <= pattern.max;
}

/**
 * True when a response with `status` should be retried. 2xx never is. Without positive patterns every other
 * status retries (minus the negated ones); with them, only statuses some positive pattern matches. A negated
 * pattern always wins, whatever the order.
 */
export function shouldRetryStatus(patterns: StatusPattern[], status: number): boolean {
  if (status >= 200 && status <= 299) return false;
  if (patterns.some((p) => p.negated && matches(p, status))) return false;
  const positives = patterns.filter((p) => !p.negated);
  return positives.length === 0 || positives.some((p) => matches(p, status));
}
