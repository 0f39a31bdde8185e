/**
 * The delivery engine: claims due events from the store (the events table is the queue), runs their attempts
 * concurrently within the process-wide and per-destination caps, records the results in batches, and sleeps
 * until the next due time, the poll interval, or a wake-up from ingest, whichever comes first.
 *
 * claim → publish → record (→ the store reschedules from the result). A crash anywhere in between leaves the
 * event leased; when the lease runs out it is due again (at least once).
 */
import type { Config } from '../config/loadConfig.js';
import { defaultRetryRule } from '../domain/backoff.js';
import { SluiceError } from '../domain/errors.js';
import { newId } from '../domain/ids.js';
import type { AttemptRecord, AttemptTrigger, Destination, RetryRule } from '../domain/model.js';
import type { PublisherRegistry } from '../destinations/registry.js';
import type { PublishOutcome } from '../destinations/types.js';
import type { AttemptResult, ClaimedEvent, Store } from '../store/port.js';
import { destinationIsGone, effectiveRetry, toAttemptResult, willRetryAfterMs, type EffectiveRetry } from './attemptResult.js';
import type { DispatchLogger } from './logger.js';
import type { OutboundDelivery } from './outbound.js';
import type { DeliveryEngine } from './port.js';
import { AttemptRecorder } from './recorder.js';
import { Slots } from './slots.js';
import { attemptTimeoutMs, clampTimeout, leaseCovers, leaseFor } from './timing.js';

export interface DispatcherOptions {
  store: Store;
  config: Config;
  publishers: PublisherRegistry;
  logger: DispatchLogger;
  now?: () => number;
  /** The team's signing secret, decrypted. */
  secretFor: (teamId: string) => Promise<string>;
  /** Deliveries to event destinations (outbound face); without it they fail as undeliverable. */
  outbound?: OutboundDelivery;
  /** How soon a freed slot below the refill threshold is refilled anyway; REFILL_WAIT_MS by default. */
  refillWaitMs?: number;
}

/**
 * When due events were left unclaimed because their destinations are at (or near) their concurrency cap, the
 * finishing attempt that frees enough of their slots wakes the loop (slots.ts); this bounds the wait for events of
 * other destinations that fall due behind them meanwhile.
 */
const CAPPED_RECHECK_MS = 500;
/**
 * A freed slot that does not refill its destination at once (slots.ts) is refilled within this: a destination
 * whose attempts take long then still runs close to its cap, while a fast one reaches the threshold first.
 */
const REFILL_WAIT_MS = 25;
/** Signing secrets are kept this long, so a rotation takes effect within it. */
const SECRET_TTL_MS = 10_000;

type Loaded = Omit<ClaimedEvent, 'leaseToken' | 'dueAt' | 'trigger'>;

interface Running {
  controller: AbortController;
  task: Promise<unknown>;
}

export class Dispatcher implements DeliveryEngine {
  private readonly store: Store;
  private readonly config: Config;
  private readonly publishers: PublisherRegistry;
  private readonly logger: DispatchLogger;
  private readonly now: () => number;
  private readonly secretFor: (teamId: string) => Promise<string>;
  private readonly outbound: OutboundDelivery | undefined;
  private readonly recorder: AttemptRecorder;
  private readonly defaultRule: RetryRule;
  /** Longest attempt timeout seen so far: claims lease for it (timing.ts). */
  private longestTimeoutMs: number;

  private readonly slots: Slots;
  private readonly running = new Set<Running>();
  /** Claims given back without an attempt (cancelled by shutdown), released in one write at the end. */
  private readonly unattempted: { eventId: string; leaseToken: string }[] = [];
  private readonly secrets = new Map<string, { value: Promise<string>; until: number }>();

  private loop: Promise<void> | null = null;
  private stopping = false;
  private stopped: Promise<void> | null = null;
  /** Set by wake(); a wake-up that arrives during a claim cycle makes the next cycle start at once. */
  private woken = false;
  private wakePending = false;
  private refillTimer: NodeJS.Timeout | null = null;
  private readonly refillWaitMs: number;
  private interruptSleep: (() => void) | null = null;
  /** When the loop's current sleep ends (null while it is not sleeping). */
  private sleepingUntil: number | null = null;

  constructor(options: DispatcherOptions) {
    this.store = options.store;
    this.config = options.config;
    this.publishers = options.publishers;
    this.logger = options.logger;
    this.now = options.now ?? Date.now;
    this.secretFor = options.secretFor;
    this.outbound = options.outbound;
    this.refillWaitMs = options.refillWaitMs ?? REFILL_WAIT_MS;
    this.recorder = new AttemptRecorder(this.store, this.now, this.logger, (results) => this.afterRecord(results));
    this.slots = new Slots(this.config.dispatchConcurrency, this.config.destinationConcurrency);
    this.defaultRule = defaultRetryRule(this.config.retry.intervalMs, this.config.retry.count);
    this.longestTimeoutMs = clampTimeout(this.config.defaultTimeoutMs);
  }

  start(): void {
    if (this.loop !== null || this.stopping) return;
    this.loop = this.run();
  }

  /**
   * New due work (for `destinationIds`, when the caller knows them). Ignored when every one of those destinations
   * is busy above its refill threshold (slots.ts): one of its finishing attempts wakes the loop soon, and claiming
   * now would lease only the few slots free.
   */
  wake(destinationIds?: readonly string[]): void {
    if (destinationIds !== undefined && !this.slots.worthClaiming(destinationIds)) {
      this.wakeWithin();
      return;
    }
    this.woken = true;
    this.interruptSleep?.();
  }

  /**
   * A wake-up from a finished attempt or a written record, coalesced per turn of the event loop: responses arrive
   * in bursts, and waking once per attempt made most claims take one or two events (a commit each).
   */
  private wakeSoon(): void {
    if (this.wakePending) return;
    this.wakePending = true;
    setImmediate(() => {
      this.wakePending = false;
      this.wake();
    });
  }

  /** A wake-up within refillWaitMs, unless a claim cycle starts before (one timer at most). */
  private wakeWithin(): void {
    if (this.refillTimer !== null || this.stopping) return;
    this.refillTimer = setTimeout(() => {
      this.refillTimer = null;
      this.wake();
    }, this.refillWaitMs);
  }

  private cancelWakeWithin(): void {
    if (this.refillTimer === null) return;
    clearTimeout(this.refillTimer);
    this.refillTimer = null;
  }

  forgetDestination(destinationId: string): void {
    this.outbound?.forget(destinationId).catch((error: unknown) => {
      this.logger.warn({ err: error, destinationId }, 'Could not close the clients of a changed destination; they are replaced anyway');
    });
  }

  /**
   * Stops claiming, lets running attempts finish until `deadlineMs`, cancels the rest (their claims are released,
   * so they are due again at once after a restart), and writes every pending attempt record.
   */
  stop(deadlineMs: number): Promise<void> {
    this.stopped ??= this.shutDown(deadlineMs);
    return this.stopped;
  }

  async retryNow(teamId: string, eventId: string): Promise<AttemptRecord | null> {
    if (this.stopping) throw new SluiceError('SHUTTING_DOWN', 'The gateway is shutting down; retry the event once it is back.');
    const loaded = await this.store.loadForManualAttempt(teamId, eventId);
    if (loaded === null) return null;
    const controller = new AbortController();
    const attempt = async (): Promise<AttemptRecord> => {
      const retry = effectiveRetry(loaded.connection, this.defaultRule);
      const result = await this.attempt(loaded, 'MANUAL', null, null, retry, controller.signal);
      await this.recorder.record(result);
      return result.attempt;
    };
    // A manual attempt takes a slot like any other, so it counts against its destination's cap.
    return this.track(loaded.destination, controller, attempt());
  }

  // The loop

  private async run(): Promise<void> {
    while (!this.stopping) {
      this.woken = false;
      this.cancelWakeWithin(); // this cycle claims for every free slot
      try {
        const batchWasFull = await this.claimAndLaunch();
        if (batchWasFull || this.woken) continue;
        await this.sleepUntil(await this.nextWakeAt());
      } catch (error) {
        this.logger.error({ err: error }, 'Dispatch cycle failed; trying again shortly');
        await this.sleepUntil(this.now() + Math.min(this.config.pollIntervalMs, 1000));
      }
    }
  }

  /** Claims up to the free slots and starts them; true when it got all it asked for (more may be waiting). */
  private async claimAndLaunch(): Promise<boolean> {
    const free = this.slots.free;
    if (free <= 0) {
      this.slots.claimed(free, 0);
      return false; // a finishing attempt wakes the loop
    }
    const leaseMs = leaseFor(this.longestTimeoutMs);
    const claims = await this.store.claimDue({
      now: this.now(),
      leaseMs,
      limit: free,
      inFlight: this.slots.perDestination(),
      defaultConcurrency: this.config.destinationConcurrency,
    });
    this.slots.claimed(free, claims.length);
    const giveBack: { eventId: string; leaseToken: string }[] = [];
    for (const claim of claims) {
      const timeoutMs = attemptTimeoutMs(claim.destination, this.config);
      if (this.stopping) {
        this.unattempted.push({ eventId: claim.event.id, leaseToken: claim.leaseToken });
      } else if (!leaseCovers(leaseMs, timeoutMs)) {
        // Its destination allows a longer attempt than this lease covers: hand it back, lease longer from now on.
        this.longestTimeoutMs = Math.max(this.longestTimeoutMs, timeoutMs);
        giveBack.push({ eventId: claim.event.id, leaseToken: claim.leaseToken });
      } else {
        this.launch(claim);
      }
    }
    if (giveBack.length > 0) {
      await this.store.releaseClaims(giveBack);
      return true; // claim them again now, under the longer lease
    }
    return claims.length >= free;
  }

  private async nextWakeAt(): Promise<number> {
    const next = await this.store.nextDueAt();
    const now = this.now();
    const poll = now + this.config.pollIntervalMs;
    if (next === null) return poll;
    if (next > now) return Math.min(next, poll);
    return Math.min(poll, now + CAPPED_RECHECK_MS); // due but capped: see CAPPED_RECHECK_MS
  }

  private sleepUntil(at: number): Promise<void> {
    if (this.woken || this.stopping) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.interruptSleep = null;
        this.sleepingUntil = null;
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, at - this.now()));
      this.interruptSleep = done;
      this.sleepingUntil = at;
    });
  }

  /**
   * After a batch of records is committed: a retry it scheduled may be due before the loop's planned wake-up, and
   * an outbound delivery's effects may have made other work due. Plain results (a success, or a retry after the
   * planned wake-up) need no claim cycle: their slots were refilled, or not, as they finished (see track).
   */
  private afterRecord(results: readonly AttemptResult[]): void {
    const until = this.sleepingUntil;
    const needsLook = results.some(
      (r) => r.outbound !== undefined || r.gone !== undefined || (r.nextAttemptAt !== null && (until === null || r.nextAttemptAt < until)),
    );
    if (needsLook) this.wakeSoon();
  }

  // Attempts

  private launch(claim: ClaimedEvent): void {
    const controller = new AbortController();
    const task = this.attemptClaimed(claim, controller.signal).catch((error: unknown) => {
      this.logger.error({ err: error, eventId: claim.event.id }, 'Attempt could not be made; the event is due again when its lease expires');
    });
    void this.track(claim.destination, controller, task);
  }

  /** Holds a slot (process-wide and for the destination) while `task` runs; frees it after, waking the loop if worth it. */
  private async track<T>(destination: Destination, controller: AbortController, task: Promise<T>): Promise<T> {
    const entry: Running = { controller, task };
    this.running.add(entry);
    this.slots.take(destination);
    try {
      return await task;
    } finally {
      this.running.delete(entry);
      if (this.slots.give(destination.id)) this.wakeSoon();
      else this.wakeWithin();
    }
  }

  private async attemptClaimed(claim: ClaimedEvent, signal: AbortSignal): Promise<void> {
    const retry = effectiveRetry(claim.connection, this.defaultRule);
    if (retry.invalidPatterns !== undefined) {
      this.logger.warn({ connectionId: claim.connection.id, reason: retry.invalidPatterns }, 'Stored retry rule has bad status patterns; retrying every non-2xx');
    }
    const result = await this.attempt(claim, claim.trigger, claim.leaseToken, claim.dueAt, retry, signal);
    if (result === 'cancelled') {
      this.unattempted.push({ eventId: claim.event.id, leaseToken: claim.leaseToken });
      return;
    }
    // Errors are logged by the recorder; an unrecorded attempt is made again after its lease.
    this.recorder.record(result).catch(() => undefined);
  }

  /**
   * One publish and its result. A claimed attempt cut short by shutdown comes back as 'cancelled' (its claim is
   * released instead of counting as a failure); a manual one is recorded as what it was.
   */
  private async attempt(loaded: Loaded, trigger: 'MANUAL', leaseToken: null, dueAt: null, retry: EffectiveRetry, signal: AbortSignal): Promise<AttemptResult>;
  private async attempt(loaded: Loaded, trigger: AttemptTrigger, leaseToken: string, dueAt: number, retry: EffectiveRetry, signal: AbortSignal): Promise<AttemptResult | 'cancelled'>;
  private async attempt(
    loaded: Loaded,
    trigger: AttemptTrigger,
    leaseToken: string | null,
    dueAt: number | null,
    retry: EffectiveRetry,
    signal: AbortSignal,
  ): Promise<AttemptResult | 'cancelled'> {
    const startedAt = this.now();
    const outcome = await this.publish(loaded, trigger, retry, startedAt, signal);
    if (leaseToken !== null && signal.aborted && outcome.kind === 'unreachable') return 'cancelled';
    const outbound = loaded.destination.outbound !== undefined;
    const result = toAttemptResult({
      attemptId: newId(outbound ? 'deliveryAttempt' : 'attempt', startedAt),
      event: loaded.event,
      destinationId: loaded.destination.id,
      trigger,
      leaseToken,
      dueAt,
      retry,
      outcome,
      startedAt,
      finishedAt: this.now(),
    });
    if (outbound && this.outbound !== undefined) result.outbound = await this.outbound.effects({ ...loaded, trigger }, result);
    if (destinationIsGone(outcome)) {
      result.gone = { onDisabled: (await this.outbound?.goneEvent(loaded.destination, result.attempt.updatedAt)) ?? null };
      this.logger.warn({ destinationId: loaded.destination.id, eventId: loaded.event.id }, 'Destination answered 410 Gone: disabling it; its events are held until it is enabled again');
    }
    this.logFailure(result, outcome);
    return result;
  }

  private async publish(loaded: Loaded, trigger: AttemptTrigger, retry: EffectiveRetry, now: number, signal: AbortSignal): Promise<PublishOutcome> {
    const { destination, event } = loaded;
    if (destination.outbound !== undefined) {
      if (this.outbound === undefined) return { kind: 'unreachable', errorCode: 'UNKNOWN', message: 'This gateway does not deliver published events.', permanent: true, requestedUrl: '', httpMethod: '', responseLatency: 0 };
      const timeoutMs = attemptTimeoutMs(destination, this.config);
      return this.outbound.publish({ event, request: loaded.request, destination, trigger, timeoutMs, signal, now });
    }
    const publisher = this.publishers.get(destination.type);
    if (publisher === undefined) {
      return {
        kind: 'unreachable',
        errorCode: 'UNKNOWN',
        message: `This gateway cannot deliver to destinations of type ${destination.type}.`,
        requestedUrl: destination.config.url ?? '',
        httpMethod: loaded.request.method,
        responseLatency: 0,
      };
    }
    return publisher.publish(
      {
        destination,
        request: loaded.request,
        eventId: event.id,
        sourceName: loaded.sourceName,
        attemptNumber: event.attempts + 1,
        trigger,
        willRetryAfterMs: willRetryAfterMs(retry, event, trigger, now),
        signingSecret: await this.signingSecret(event.teamId),
        timeoutMs: attemptTimeoutMs(destination, this.config),
      },
      signal,
    );
  }

  /** Cached so signing costs no query per attempt; concurrent first uses share one lookup. */
  private signingSecret(teamId: string): Promise<string> {
    const hit = this.secrets.get(teamId);
    if (hit !== undefined && hit.until > Date.now()) return hit.value;
    const value = this.secretFor(teamId);
    const entry = { value, until: Date.now() + SECRET_TTL_MS };
    this.secrets.set(teamId, entry);
    value.catch(() => {
      if (this.secrets.get(teamId) === entry) this.secrets.delete(teamId); // a failed lookup is not remembered
    });
    return value;
  }

  /** One line per failed attempt, no secrets, no bodies, no URL (its query may carry credentials). */
  private logFailure(result: AttemptResult, outcome: PublishOutcome): void {
    const { attempt } = result;
    if (attempt.status === 'SUCCESSFUL') return;
    const fields = {
      eventId: attempt.eventId,
      destinationId: attempt.destinationId,
      attemptNumber: attempt.attemptNumber,
      trigger: attempt.trigger,
      responseStatus: attempt.responseStatus,
      errorCode: attempt.errorCode,
      reason: outcome.kind === 'unreachable' ? outcome.message : undefined,
      nextAttemptAt: result.nextAttemptAt === null ? null : new Date(result.nextAttemptAt).toISOString(),
    };
    if (attempt.trigger === 'MANUAL') this.logger.info(fields, 'Manual attempt failed');
    else if (result.nextAttemptAt === null) this.logger.warn(fields, 'Delivery failed for good: no retry follows');
    else this.logger.info(fields, 'Attempt failed; retry scheduled');
  }

  // Shutdown

  private async shutDown(deadlineMs: number): Promise<void> {
    this.stopping = true;
    this.cancelWakeWithin();
    this.interruptSleep?.();
    await this.loop;
    const settled = () => Promise.allSettled([...this.running].map((r) => r.task));
    const deadline = new AbortController();
    const timedOut = new Promise<'deadline'>((resolve) => {
      const timer = setTimeout(() => resolve('deadline'), deadlineMs);
      deadline.signal.addEventListener('abort', () => clearTimeout(timer));
    });
    if ((await Promise.race([settled(), timedOut])) === 'deadline' && this.running.size > 0) {
      this.logger.warn({ attempts: this.running.size }, 'Shutdown deadline reached: cancelling the attempts still running');
      for (const r of this.running) r.controller.abort(new DOMException('The gateway is shutting down.', 'AbortError'));
    }
    deadline.abort();
    await settled();
    await this.recorder.flush();
    if (this.unattempted.length > 0) await this.store.releaseClaims(this.unattempted.splice(0));
  }
}
