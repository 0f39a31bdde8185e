/**
 * How long an attempt may take and how long a claim holds.
 *
 * The lease must always outlast the attempt it covers, plus recording it: were it shorter, a slow but healthy
 * attempt would see its event claimed again and sent twice while still running. It should also be no longer than
 * that, because after a crash an event in flight is due again only when its lease runs out. So the dispatcher
 * leases for the longest timeout it has seen (starting from the gateway default) plus a margin, and a claim whose
 * destination needs more is given back at once and claimed again under a longer lease (see Dispatcher).
 */
import type { Config } from '../config/loadConfig.js';
import type { Destination } from '../domain/model.js';

/** Longest attempt timeout a destination may set (the API's destination schema allows up to this). */
export const MAX_ATTEMPT_TIMEOUT_MS = 300_000;

/** Room after the timeout for the publisher to give up and for the attempt to be committed (batched, retried). */
export const LEASE_MARGIN_MS = 30_000;

/** The attempt's time budget: the destination's timeout, else the gateway default, within [1 ms, MAX]. */
export function attemptTimeoutMs(destination: Destination, config: Pick<Config, 'defaultTimeoutMs'>): number {
  const configured = destination.config.timeout > 0 ? destination.config.timeout : config.defaultTimeoutMs;
  return clampTimeout(configured);
}

export function clampTimeout(timeoutMs: number): number {
  return Math.min(Math.max(1, timeoutMs), MAX_ATTEMPT_TIMEOUT_MS);
}

/** The lease that covers attempts of up to `timeoutMs`. */
export function leaseFor(timeoutMs: number): number {
  return clampTimeout(timeoutMs) + LEASE_MARGIN_MS;
}

/** True when a claim made with `leaseMs` leaves room for an attempt of `timeoutMs`. */
export function leaseCovers(leaseMs: number, timeoutMs: number): boolean {
  return timeoutMs + LEASE_MARGIN_MS <= leaseMs;
}
