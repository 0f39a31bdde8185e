/**
 * A claim whose COMMIT got no answer (the connection was cut while the reply was in flight) may or may not have
 * committed: the process cannot tell. Had it committed, its events would stay leased for the whole lease (about
 * 35 s) with nobody attempting them, because this process threw the claim away. So the leases are given back at
 * once, on a fresh connection from the pool, by (event id, lease token): a lease token is made for this claim
 * alone, so only rows that still hold exactly that token are touched. If the claim rolled back, no row holds the
 * token and nothing changes; a row another process leased since holds its own token and is left alone.
 *
 * The release is retried, with growing pauses, for a bounded time (`releaseWindowMs`: a few seconds, and never
 * more than half the lease, since releasing only helps while the lease has long to run). When the database stays
 * unreachable for that long, the leases are left to run out: the events are due again at the lease's end, as
 * after a crash (at least once, never lost).
 */
import type pg from 'pg';
import { Db } from './db.js';

/** How long a release is tried at most (the claim's caller waits for it before seeing the claim's error). */
export const RELEASE_WINDOW_MS = 5000;
const FIRST_PAUSE_MS = 50;
const MAX_PAUSE_MS = 1000;

export const RELEASE_UNCERTAIN_SQL = `UPDATE events e SET due_at = $1, lease_token = NULL
FROM unnest($2::text[], $3::text[]) AS x(id, lease) WHERE e.id = x.id AND e.lease_token = x.lease`;

export interface UncertainLease {
  eventId: string;
  leaseToken: string;
}

/** The time a release may take for a claim leased for `leaseMs`. */
export function releaseWindowMs(leaseMs: number): number {
  return Math.max(0, Math.min(RELEASE_WINDOW_MS, Math.floor(leaseMs / 2)));
}

/**
 * Gives back the leases of a claim whose commit is in doubt: the events become due at `dueAt` (the claim's own
 * "now", when they were due already). Resolves with the number of rows released (0 when the claim had rolled back),
 * or null when the database could not be reached within `windowMs` (the leases then run out by themselves).
 */
export async function releaseUncertainLeases(pool: pg.Pool, leases: UncertainLease[], dueAt: number, windowMs: number): Promise<number | null> {
  if (leases.length === 0) return 0;
  const deadline = Date.now() + windowMs;
  const db = new Db(pool);
  for (let pause = FIRST_PAUSE_MS; ; pause = Math.min(pause * 2, MAX_PAUSE_MS)) {
    if (pool.ending) return null; // the store is closing: nothing left to wait for
    const release = db.run(RELEASE_UNCERTAIN_SQL, [dueAt, leases.map((l) => l.eventId), leases.map((l) => l.leaseToken)]);
    // A try that outlives the deadline (a connect to a silent host waits up to its own timeout) is not waited for;
    // should it land later, it releases the same rows, which is as harmless then.
    release.catch(() => undefined);
    const released = await within(release, deadline - Date.now());
    if (released !== undefined) return released;
    const left = deadline - Date.now();
    if (left <= 0) return null;
    await new Promise((resolve) => setTimeout(resolve, Math.min(pause, left)));
  }
}

/** The promise's value, or undefined when it failed or was not settled within `ms`. */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), Math.max(0, ms))));
  try {
    return await Promise.race([promise.catch(() => undefined), late]);
  } finally {
    clearTimeout(timer);
  }
}
