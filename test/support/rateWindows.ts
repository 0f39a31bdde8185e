/**
 * What a receiver may see from a destination limited to `limit` attempts per `periodMs` (a token bucket: a burst of
 * `limit`, then `limit / periodMs` per ms; docs/api.md). The gateway keeps the bound on the claim's clock;
 * a receiver sees each attempt a little later (claim → publish → arrival), by at most `delayMs`. So between two
 * arrivals a_i ≤ a_j, at most limit + (a_j − a_i + delayMs) × limit / periodMs attempts can have arrived, and the
 * last arrival is at least (n − limit) × periodMs / limit − delayMs after the first.
 */

/** Pairs of arrivals (sorted times) with more attempts between them than the bound allows: empty when kept. */
export function windowsOverLimit(arrivals: readonly number[], limit: number, periodMs: number, delayMs: number): string[] {
  const sorted = [...arrivals].sort((a, b) => a - b);
  const over: string[] = [];
  for (let i = 0; i < sorted.length; i++) {
    for (let j = i + 1; j < sorted.length; j++) {
      const span = (sorted[j] ?? 0) - (sorted[i] ?? 0);
      const bound = limit + ((span + delayMs) * limit) / periodMs;
      if (j - i + 1 > bound) over.push(`${j - i + 1} arrivals within ${span} ms (at most ${Math.floor(bound)})`);
    }
  }
  return over;
}

/** The least time from the first arrival to the last that the bucket allows for `count` attempts. */
export function shortestSpanMs(count: number, limit: number, periodMs: number, delayMs: number): number {
  return Math.max(0, ((count - limit) * periodMs) / limit - delayMs);
}
