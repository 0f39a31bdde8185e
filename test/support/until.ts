/**
 * Progress-based waiting for tests: polls `probe` until `done` holds, failing with what was last seen after
 * `timeoutMs` (a generous bound on a loaded machine, not a measurement).
 */
export async function until<T>(probe: () => Promise<T>, done: (value: T) => boolean, timeoutMs: number, what: string, everyMs = 20): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
