/**
 * The HTTP attempt's abort signal: the time budget and the caller's cancellation, told apart, and nothing left
 * behind once the attempt is over.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { AttemptSignal } from '../../src/destinations/http/attemptSignal.js';

function fired(signal: AbortSignal): Promise<unknown> {
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(signal.reason), { once: true }));
}

describe('AttemptSignal', () => {
  it('fires with a TimeoutError when the time budget runs out', async () => {
    const limit = new AttemptSignal(new AbortController().signal, 20);
    const reason = await fired(limit.signal);
    assert.equal(limit.timedOut, true);
    assert.ok(reason instanceof DOMException && reason.name === 'TimeoutError');
    limit.dispose();
  });

  it('fires with the caller\'s reason when the caller cancels, and is not a timeout', async () => {
    const cancel = new AbortController();
    const limit = new AttemptSignal(cancel.signal, 60_000);
    const shutdown = new DOMException('shutting down', 'AbortError');
    cancel.abort(shutdown);
    assert.equal(limit.signal.aborted, true);
    assert.equal(limit.signal.reason, shutdown);
    assert.equal(limit.timedOut, false);
    limit.dispose();
  });

  it('is aborted at once when the caller\'s signal already was', () => {
    const cancel = new AbortController();
    cancel.abort();
    const limit = new AttemptSignal(cancel.signal, 60_000);
    assert.equal(limit.signal.aborted, true);
    assert.equal(limit.timedOut, false);
    limit.dispose();
  });

  it('never fires after dispose: neither the timer nor a later cancellation', async () => {
    const cancel = new AbortController();
    const limit = new AttemptSignal(cancel.signal, 20);
    limit.dispose();
    cancel.abort();
    await sleep(100); // five times the budget
    assert.equal(limit.signal.aborted, false);
    assert.equal(limit.timedOut, false);
  });
});
