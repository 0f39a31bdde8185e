/**
 * Turns a publisher's outcome into the attempt record and what it does to the event (the next automatic attempt,
 * or none), using the connection's retry rule or the gateway default. Pure: the dispatcher passes ids and times.
 */
import { nextAttemptAt, scheduledDelayAfter, type OutcomeSummary } from '../domain/backoff.js';
import type { AttemptTrigger, Connection, EventRecord, RetryRule } from '../domain/model.js';
import { parseStatusPatterns, type StatusPattern } from '../domain/retryStatusCodes.js';
import type { PublishOutcome } from '../destinations/types.js';
import type { AttemptResult } from '../store/port.js';

export interface EffectiveRetry {
  rule: RetryRule;
  patterns: StatusPattern[];
  /** Set when the stored status patterns could not be parsed (then every non-2xx retries). */
  invalidPatterns?: string;
}

/** The connection's retry rule (else the default), with its status patterns parsed. */
export function effectiveRetry(connection: Connection, fallback: RetryRule): EffectiveRetry {
  const rule = connection.rules.find((r) => r.type === 'retry') ?? fallback;
  try {
    return { rule, patterns: parseStatusPatterns(rule.response_status_codes ?? []) };
  } catch (error) {
    // The API validates rules when saved; a bad one here came from elsewhere. Retrying is the safe reading.
    return { rule, patterns: [], invalidPatterns: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * What `x-sluice-will-retry-after` announces: for an automatic attempt, the scheduled wait should it fail; for a
 * manual one, the wait until the automatic retry already scheduled (a failed manual attempt keeps the schedule).
 */
export function willRetryAfterMs(retry: EffectiveRetry, event: EventRecord, trigger: AttemptTrigger, now: number): number | null {
  if (trigger === 'MANUAL') {
    return event.status === 'SCHEDULED' && event.nextAttemptAt !== null ? Math.max(0, event.nextAttemptAt - now) : null;
  }
  return scheduledDelayAfter(retry.rule, event.attempts + 1);
}

/**
 * 410 Gone: the receiver says the endpoint no longer exists. The destination is disabled at once (as Svix does),
 * so its remaining events wait (HOLD) for someone to fix and re-enable it instead of failing one by one.
 */
export function destinationIsGone(outcome: PublishOutcome): boolean {
  return outcome.kind === 'rejected' && outcome.status === 410;
}

export function summarize(outcome: PublishOutcome): OutcomeSummary {
  if (outcome.kind === 'unreachable') return { kind: 'network', errorCode: outcome.errorCode };
  return { kind: 'response', status: outcome.status, retryAfterMs: outcome.kind === 'rejected' ? outcome.retryAfterMs : undefined };
}

export interface AttemptResultInput {
  attemptId: string;
  event: EventRecord;
  destinationId: string;
  trigger: AttemptTrigger;
  /** null for manual attempts: they never move the schedule on failure. */
  leaseToken: string | null;
  /** When the event became due; null for manual attempts (due when asked for). */
  dueAt: number | null;
  retry: EffectiveRetry;
  outcome: PublishOutcome;
  startedAt: number;
  finishedAt: number;
}

export function toAttemptResult(input: AttemptResultInput): AttemptResult {
  const { event, outcome, finishedAt } = input;
  const attemptNumber = event.attempts + 1;
  const succeeded = outcome.kind === 'success';
  // A destination type may know that no retry can help (a missing queue, denied access): FAILED at once.
  const permanent = outcome.kind !== 'success' && outcome.permanent === true;
  const next =
    input.trigger === 'MANUAL' || permanent
      ? null
      : nextAttemptAt({ rule: input.retry.rule, patterns: input.retry.patterns, attemptsMade: attemptNumber, now: finishedAt, outcome: summarize(outcome) });
  return {
    attempt: {
      id: input.attemptId,
      teamId: event.teamId,
      eventId: event.id,
      destinationId: input.destinationId,
      attemptNumber,
      trigger: input.trigger,
      status: succeeded ? 'SUCCESSFUL' : 'FAILED',
      responseStatus: outcome.kind === 'unreachable' ? null : outcome.status,
      errorCode: outcome.kind === 'unreachable' ? outcome.errorCode : null,
      body: outcome.kind === 'unreachable' ? null : outcome.body,
      requestedUrl: outcome.requestedUrl,
      httpMethod: outcome.httpMethod,
      deliveryLatency: Math.max(0, finishedAt - (input.dueAt ?? input.startedAt)),
      responseLatency: outcome.responseLatency,
      successfulAt: succeeded ? finishedAt : null,
      createdAt: input.startedAt,
      updatedAt: finishedAt,
    },
    leaseToken: input.leaseToken,
    nextAttemptAt: next,
  };
}
