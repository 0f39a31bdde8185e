/**
 * The retry schedule: how an attempt's outcome is classified (DESIGN.md rule 5: retryable / permanent /
 * retry-after) and when the next automatic attempt is due. Pure: the caller passes the clock.
 */
import type { NetworkErrorCode, RetryRule } from './model.js';
import { shouldRetryStatus, type StatusPattern } from './retryStatusCodes.js';

/**
 * No single wait is longer than this. The default schedule (30 s × 2^9 = 4 h 16 m at most) never reaches it; it
 * stops an exponential rule with a large count from scheduling past the retention period (or past Infinity).
 */
export const MAX_RETRY_DELAY_MS = 24 * 60 * 60 * 1000;

/** The seeds' default schedule shape: `count` retries, exponential (base 2) from `intervalMs`. */
export function defaultRetryRule(intervalMs: number, count: number): RetryRule {
  return { type: 'retry', strategy: 'exponential', interval: intervalMs, count };
}

/** Wait before retry number `retryIndex` (0 = the first retry): exponential interval × 2^n, linear interval. */
export function retryDelayMs(rule: RetryRule, retryIndex: number): number {
  const delay = rule.strategy === 'exponential' ? rule.interval * 2 ** retryIndex : rule.interval;
  return Math.min(delay, MAX_RETRY_DELAY_MS);
}

/**
 * The scheduled wait after the `attemptsMade`-th attempt fails, or null when the rule allows no further retry.
 * (Attempt 1 is the initial one; after it comes retry 0.)
 */
export function scheduledDelayAfter(rule: RetryRule, attemptsMade: number): number | null {
  const retryIndex = attemptsMade - 1;
  if (retryIndex < 0 || retryIndex >= rule.count) return null;
  return retryDelayMs(rule, retryIndex);
}

/** What an attempt came to, as far as scheduling cares. */
export type OutcomeSummary =
  | { kind: 'response'; status: number; retryAfterMs?: number | null }
  | { kind: 'network'; errorCode: NetworkErrorCode };

export type Verdict = 'success' | 'retryable' | 'retry-after' | 'permanent';

/** Statuses whose `Retry-After` header is honoured (as Svix and the HTTP spec: rate limited, unavailable). */
const RETRY_AFTER_STATUSES = new Set([429, 503]);

export function classifyOutcome(outcome: OutcomeSummary, patterns: StatusPattern[]): Verdict {
  if (outcome.kind === 'network') {
    // A refused address will be refused again: only a configuration change helps, and a manual retry can follow it.
    return outcome.errorCode === 'BLOCKED_ADDRESS' ? 'permanent' : 'retryable';
  }
  if (outcome.status >= 200 && outcome.status <= 299) return 'success';
  if (!shouldRetryStatus(patterns, outcome.status)) return 'permanent';
  if (RETRY_AFTER_STATUSES.has(outcome.status) && outcome.retryAfterMs != null) return 'retry-after';
  return 'retryable';
}

export interface NextAttemptInput {
  rule: RetryRule;
  /** The rule's `response_status_codes`, parsed. */
  patterns: StatusPattern[];
  /** Attempts made so far, the one that just finished included. */
  attemptsMade: number;
  now: number;
  outcome: OutcomeSummary;
}

/**
 * When the next automatic attempt is due, or null when there is none (success, a status the rule does not retry,
 * or retries exhausted). A `Retry-After` on 429/503 is honoured within [1×, 2×] the scheduled wait (as Svix):
 * a receiver can slow us down, but can neither make us hammer it nor park the event for ever.
 */
export function nextAttemptAt(input: NextAttemptInput): number | null {
  const verdict = classifyOutcome(input.outcome, input.patterns);
  if (verdict === 'success' || verdict === 'permanent') return null;
  const scheduled = scheduledDelayAfter(input.rule, input.attemptsMade);
  if (scheduled === null) return null;
  if (verdict === 'retry-after' && input.outcome.kind === 'response') {
    const asked = input.outcome.retryAfterMs ?? scheduled;
    return input.now + Math.min(Math.max(asked, scheduled), 2 * scheduled);
  }
  return input.now + scheduled;
}
