/**
 * Destinations that misbehave (issue 7, item 3), end to end in one process with real receivers: a slow one (the
 * attempt times out with TIMEOUT and is retried), one that answers 410 Gone (disabled at once, a
 * `destination.disabled` operator event recorded, its other events held and not attempted until it is enabled
 * again), and one that answers 429 with Retry-After (honoured within [1×, 2×] the scheduled wait). A failing one
 * (500 then 2xx, by the retry rule) is covered by delivery.test.ts; the lease/timeout invariant by
 * dispatcher.test.ts.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createPipeline } from '../support/apiClient.js';
import { eventsApi, ingestOk } from '../support/eventsApi.js';
import { gatewayAndReceiver } from '../support/inProcessGateway.js';
import { until } from '../support/until.js';

/** Ingests `body` and answers the one event it made. */
async function ingest(url: string, body: string): Promise<string> {
  return (await ingestOk(url, body)).event_ids[0] ?? '';
}

describe('destination faults', { timeout: 60_000 }, () => {
  const parts = gatewayAndReceiver();
  const event = (id: string) => eventsApi(parts.gw.api).event(id);
  const attemptsOf = (id: string) => eventsApi(parts.gw.api).attemptsOf(id);

  test('a slow destination: the attempt times out with TIMEOUT and is retried', async (t) => {
    let calls = 0;
    parts.receiver.answerWith((req) => (req.url.startsWith('/slow') && ++calls === 1 ? { status: 200, delayMs: 1500 } : { status: 200 }));
    const p = await createPipeline(parts.gw.api, { name: 'slow', url: `${parts.receiver.url}/slow`, timeout: 300, retry: { strategy: 'linear', interval: 200, count: 3 } });
    const id = await ingest(p.ingestUrl, '{"slow":true}');
    const done = await until(() => event(id), (e) => e.status === 'SUCCESSFUL', 10_000, 'delivered on the retry');
    const attempts = await attemptsOf(id);
    assert.deepEqual(attempts.map((a) => [a.attempt_number, a.status, a.error_code, a.trigger]), [
      [1, 'FAILED', 'TIMEOUT', 'INITIAL'],
      [2, 'SUCCESSFUL', null, 'AUTOMATIC'],
    ]);
    assert.equal(done.attempts, 2);
    const gap = Date.parse(attempts[1]?.created_at ?? '') - Date.parse(attempts[0]?.created_at ?? '');
    t.diagnostic(`timed out after 300 ms; retried ${gap} ms after the first attempt started`);
    assert.ok(gap >= 300 + 200, `the retry waited for the timeout and the 200 ms interval (${gap} ms)`);
  });

  test('410 Gone disables the destination at once, records destination.disabled, and holds its other events until enabled', async () => {
    let gone = true;
    // The 410 comes late enough that all five requests are ingested before the destination is disabled (a loaded
    // machine took over 200 ms for them; events ingested after it would not be created at all).
    parts.receiver.answerWith((req) => (req.url.startsWith('/gone') && gone ? { status: 410, delayMs: 1500 } : { status: 200 }));
    // One attempt at a time, so the others are still queued when the 410 comes back.
    const p = await createPipeline(parts.gw.api, {
      name: 'gone',
      url: `${parts.receiver.url}/gone`,
      retry: { strategy: 'linear', interval: 100, count: 5 },
      destinationConfig: { rate_limit: 1, rate_limit_period: 'concurrent' },
    });
    const sentBefore = parts.receiver.received.filter((r) => r.url.startsWith('/gone')).length;
    const ids = [];
    for (let n = 0; n < 5; n += 1) ids.push(await ingest(p.ingestUrl, `{"n":${n}}`));

    const destination = await until(
      () => parts.gw.api.get<{ disabled_at: string | null }>(`/destinations/${p.destinationId}`),
      (d) => d.body.disabled_at !== null,
      5000,
      'the destination disabled',
    );
    assert.ok(destination.body.disabled_at !== null);
    // Nothing more is attempted while it is disabled (the retry interval is 100 ms: a retry would have come).
    await new Promise((resolve) => setTimeout(resolve, 600));
    const goneHits = parts.receiver.received.filter((r) => r.url.startsWith('/gone')).length - sentBefore;
    assert.equal(goneHits, 1, 'one attempt, then nothing until the destination is enabled again');
    const events = await Promise.all(ids.map(event));
    assert.deepEqual(events.map((e) => e.status), ['HOLD', 'HOLD', 'HOLD', 'HOLD', 'HOLD']);
    assert.deepEqual(events.map((e) => e.attempts), [1, 0, 0, 0, 0]);
    assert.equal(events[0]?.response_status, 410);

    const operator = await parts.gw.api.get<{ data: { type: string; data: Record<string, unknown> }[] }>('/v2/events?type=destination.disabled');
    assert.equal(operator.status, 200);
    const about = operator.body.data.filter((e) => e.data.id === p.destinationId);
    assert.equal(about.length, 1, 'one destination.disabled event about it');
    assert.equal(about[0]?.data.reason, 'gone');
    assert.equal(about[0]?.data.object, 'destination');
    assert.equal(about[0]?.data.response_status, 410);

    gone = false;
    assert.equal((await parts.gw.api.put(`/destinations/${p.destinationId}/enable`)).status, 200);
    for (const id of ids) await until(() => event(id), (e) => e.status === 'SUCCESSFUL', 10_000, `event ${id} delivered after enabling`);
    const last = await attemptsOf(ids[4] ?? '');
    assert.deepEqual(last.map((a) => a.trigger), ['UNPAUSE']);
  });

  test('429 with Retry-After is honoured within [1×, 2×] the scheduled wait', async (t) => {
    const seen = new Map<string, number>();
    parts.receiver.answerWith((req) => {
      if (!req.url.startsWith('/busy')) return { status: 200 };
      const path = req.url;
      const count = (seen.get(path) ?? 0) + 1;
      seen.set(path, count);
      if (count > 1) return { status: 200 };
      // '/busy/longer' asks for 2 s, '/busy/shorter' for 1 s, '/busy/huge' for an hour; the schedule says 1.5 s.
      const seconds = path.endsWith('longer') ? '2' : path.endsWith('shorter') ? '1' : '3600';
      return { status: 429, headers: { 'retry-after': seconds } };
    });
    const retry = { strategy: 'linear', interval: 1500, count: 3 };
    const cases = [
      { name: 'longer', expectedMs: 2000 },
      { name: 'shorter', expectedMs: 1500 },
      { name: 'huge', expectedMs: 3000 },
    ];
    const ids = await Promise.all(
      cases.map(async (c) => {
        const p = await createPipeline(parts.gw.api, { name: `busy-${c.name}`, url: `${parts.receiver.url}/busy/${c.name}`, retry });
        return ingest(p.ingestUrl, '{}');
      }),
    );
    // The shortest wait is 1.5 s: all three are seen between their first and second attempts.
    const firstAttempts = await Promise.all(ids.map((id) => until(() => event(id), (e) => e.attempts === 1, 5000, 'first attempt')));
    const waits: string[] = [];
    for (const [index, c] of cases.entries()) {
      const id = ids[index] ?? '';
      const scheduled = firstAttempts[index];
      assert.ok(scheduled !== undefined);
      assert.equal(scheduled.status, 'SCHEDULED');
      assert.equal(scheduled.response_status, 429);
      await until(() => event(id), (e) => e.status === 'SUCCESSFUL', 8000, 'delivered after the wait');
      const attempts = await attemptsOf(id);
      // The wait counts from when the first attempt finished (its updated_at).
      const finished = Date.parse(attempts[0]?.updated_at ?? '');
      const planned = Date.parse(scheduled.next_attempt_at ?? '') - finished;
      assert.equal(planned, c.expectedMs, `Retry-After ${c.name}: next attempt planned ${planned} ms after the 429, expected ${c.expectedMs}`);
      const actual = Date.parse(attempts[1]?.created_at ?? '') - finished;
      assert.ok(actual >= c.expectedMs, `the retry came no earlier than planned (${actual} ms)`);
      waits.push(`${c.name}: planned ${planned} ms, retried after ${actual} ms`);
    }
    t.diagnostic(waits.join('; '));
  });
});
