/**
 * Event types and the subscriptions of event destinations (seed 000: `events: ["*"]` = all). Pure: the API
 * validates with it, the publisher matches with it, and the store never interprets a pattern.
 *
 * - An event type is `object.action`: two or more dot-separated segments of `a-z`, `0-9` and `_`
 *   (`task_run.completed`, `credential.verified`, `invoice.line_item.created`).
 * - A subscription is a non-empty list of patterns: `*` (everything; then it is the only pattern), an exact type,
 *   or `prefix.*`, which matches every type that starts with `prefix.` at any depth (`task_run.*` matches
 *   `task_run.completed` and `task_run.step.failed`, not `task_run` nor `task_runs.completed`).
 */
import { SluiceError } from './errors.js';

const SEGMENT = '[a-z0-9_]+';
export const EVENT_TYPE_PATTERN = `^${SEGMENT}(\\.${SEGMENT})+$`;
const EVENT_TYPE = new RegExp(EVENT_TYPE_PATTERN);
const PREFIX_PATTERN = new RegExp(`^${SEGMENT}(\\.${SEGMENT})*\\.\\*$`);
export const MAX_EVENT_TYPE_LENGTH = 200;
export const MAX_SUBSCRIPTION_PATTERNS = 100;

export function isEventType(value: string): boolean {
  return value.length <= MAX_EVENT_TYPE_LENGTH && EVENT_TYPE.test(value);
}

function isPattern(value: string): boolean {
  return value === '*' || isEventType(value) || (value.length <= MAX_EVENT_TYPE_LENGTH && PREFIX_PATTERN.test(value));
}

function invalid(field: string, message: string): SluiceError {
  // The same `data` shape as the API's schema validation: one problem per field.
  return new SluiceError('VALIDATION_ERROR', `The request body is not valid: ${field} ${message}. Correct it and send the request again.`, [
    { location: 'body', field, message },
  ]);
}

/**
 * Validates a subscription and returns it normalised (repeats dropped, order kept). Throws VALIDATION_ERROR
 * naming `events` or the bad item.
 */
export function parseSubscription(input: unknown, field = 'events'): string[] {
  if (!Array.isArray(input)) throw invalid(field, 'must be an array of event types, such as ["task_run.completed"] or ["*"]');
  if (input.length === 0) throw invalid(field, 'must not be empty: list the event types to receive, or ["*"] for all');
  if (input.length > MAX_SUBSCRIPTION_PATTERNS) throw invalid(field, `must have at most ${MAX_SUBSCRIPTION_PATTERNS} patterns; use "prefix.*" patterns to cover many types`);
  const out: string[] = [];
  input.forEach((item: unknown, index) => {
    const at = `${field}[${index}]`;
    if (typeof item !== 'string') throw invalid(at, 'must be a string');
    if (!isPattern(item)) {
      throw invalid(
        at,
        `"${item.slice(0, 100)}" is not an event type ("object.action": lower-case letters, digits and "_" in two or more dot-separated parts), "prefix.*" or "*"`,
      );
    }
    if (!out.includes(item)) out.push(item);
  });
  if (out.includes('*') && out.length > 1) throw invalid(field, '"*" already matches every event type; send ["*"] alone, or list the types without it');
  return out;
}

/** A subscription compiled for matching many events. */
export interface SubscriptionMatcher {
  matches(eventType: string): boolean;
}

export function compileSubscription(patterns: readonly string[]): SubscriptionMatcher {
  if (patterns.includes('*')) return { matches: () => true };
  const exact = new Set<string>();
  const prefixes: string[] = [];
  for (const pattern of patterns) {
    if (pattern.endsWith('.*')) prefixes.push(pattern.slice(0, -1)); // keep the dot: `task_run.`
    else exact.add(pattern);
  }
  return { matches: (eventType) => exact.has(eventType) || prefixes.some((prefix) => eventType.startsWith(prefix)) };
}

export function matchesSubscription(patterns: readonly string[], eventType: string): boolean {
  return compileSubscription(patterns).matches(eventType);
}
