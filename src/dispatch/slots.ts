/**
 * The dispatcher's slots: attempts in flight per destination and in all, each busy destination's cap, and whether
 * a finished attempt (or new work) is worth a claim cycle now.
 *
 * Fewer, larger claims. A claim is a write transaction, and its commit rewrites the same pages of the queue's
 * indexes however few events it leases. Claiming again after every finished attempt made most claims lease one or
 * two events (docs/benchmarks-history.md, "Before and after: fewer, larger claims"), so a destination with attempts in flight
 * is refilled only once REFILL_SHARE of its slots are free. Nothing waits for long because of it: a destination
 * that is not refilled has attempts in flight, and the one that brings it down to the threshold wakes the loop;
 * a slot freed below the threshold is refilled anyway within the dispatcher's REFILL_WAIT_MS (25 ms), so a
 * destination whose attempts take long still runs close to its cap.
 */
import type { Destination } from '../domain/model.js';

/** Share of a destination's slots (and of the process-wide ones) that must be free before they are refilled. */
export const REFILL_SHARE = 0.5;

/** Free slots at which a cap of `cap` is refilled: at least 1, so a cap of 1 is refilled as soon as it is free. */
export function refillAt(cap: number): number {
  return Math.max(1, Math.ceil(cap * REFILL_SHARE));
}

/** A destination's cap of concurrent attempts: its own (`rate_limit` with period `concurrent`), else the default. */
export function destinationCap(destination: Destination, defaultCap: number): number {
  const own = destination.config.rate_limit_period === 'concurrent' ? destination.config.rate_limit : null;
  return own ?? defaultCap;
}

interface Busy {
  inFlight: number;
  cap: number;
}

export class Slots {
  private readonly busy = new Map<string, Busy>();
  private inFlightTotal = 0;
  /** Set when a claim cycle found every process-wide slot taken: the process-wide cap, not a destination's, binds. */
  private fullSinceClaim = false;

  constructor(
    /** Attempts in flight at most in this process (config dispatchConcurrency). */
    private readonly processCap: number,
    /** Cap of a destination without its own (config destinationConcurrency). */
    private readonly defaultCap: number,
  ) {}

  /** Process-wide slots free now. */
  get free(): number {
    return this.processCap - this.inFlightTotal;
  }

  get total(): number {
    return this.inFlightTotal;
  }

  /** Attempts in flight per destination id (a copy, for the claim). */
  perDestination(): Map<string, number> {
    const copy = new Map<string, number>();
    for (const [id, busy] of this.busy) copy.set(id, busy.inFlight);
    return copy;
  }

  take(destination: Destination): void {
    const busy = this.busy.get(destination.id);
    const cap = destinationCap(destination, this.defaultCap);
    if (busy === undefined) this.busy.set(destination.id, { inFlight: 1, cap });
    else {
      busy.inFlight += 1;
      busy.cap = cap; // as of its latest claim: a changed cap takes effect with it
    }
    this.inFlightTotal += 1;
  }

  /** Frees one slot of the destination; true when a claim cycle should follow (see the header). */
  give(destinationId: string): boolean {
    const busy = this.busy.get(destinationId);
    this.inFlightTotal -= 1;
    if (busy === undefined) return true;
    busy.inFlight -= 1;
    if (busy.inFlight <= 0) {
      this.busy.delete(destinationId);
      return true;
    }
    if (this.fullSinceClaim && this.free >= refillAt(this.processCap)) return true;
    return this.refillDue(busy);
  }

  /** Whether new due work for these destinations is worth a claim cycle now (false: a finishing attempt will wake it). */
  worthClaiming(destinationIds: readonly string[]): boolean {
    if (this.fullSinceClaim && this.free < refillAt(this.processCap)) return false;
    return destinationIds.some((id) => {
      const busy = this.busy.get(id);
      return busy === undefined || this.refillDue(busy);
    });
  }

  /** A busy destination's slots that a claim could fill now (its own, within the process-wide ones) reach the threshold. */
  private refillDue(busy: Busy): boolean {
    const free = Math.min(busy.cap - busy.inFlight, this.free);
    return free >= refillAt(Math.min(busy.cap, this.processCap));
  }

  /** Called by each claim cycle with the slots it found free before claiming. */
  claimed(freeBefore: number, claimedCount: number): void {
    this.fullSinceClaim = freeBefore <= 0 || claimedCount >= freeBefore;
  }
}
