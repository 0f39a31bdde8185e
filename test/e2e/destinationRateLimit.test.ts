/**
 * A destination's rate limit by time, end to end on SQLite with a real receiver: 20 events to a destination limited
 * to 5 per second arrive as a burst of 5, then at the refill rate (one per 200 ms), all delivered once, none failed,
 * no attempt spent on waiting. The poll interval is the default 5 s, so the run can only finish in about 3 s if the
 * dispatcher sleeps until each next token (nextDueAt), not until its poll: a poll-driven run would take 15 s.
 * A destination without a limit, fed at the same time, is not slowed by the limited one.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createPipeline } from '../support/apiClient.js';
import { gatewayAndReceiver } from '../support/inProcessGateway.js';
import { shortestSpanMs, windowsOverLimit } from '../support/rateWindows.js';

const LIMIT = 5;
const EVENTS = 20;
/**
 * How much later than its claim an attempt may reach the receiver (publish, connect, event-loop lag on a loaded
 * 2-core machine). Generous: the wrong behaviour (no limit) puts all 20 within a few ms, a bound of 5 + 5 × (span
 * + 0.6 s) per window; the right one stays under it by construction.
 */
const DELAY_MS = 600;

interface EventModel {
  id: string;
  status: string;
  attempts: number;
}

describe('destination rate limit by time (SQLite, real receiver)', { timeout: 60_000 }, () => {
  const ctx = gatewayAndReceiver({ SLUICE_POLL_INTERVAL_MS: '5000' });

  test(`${EVENTS} events at ${LIMIT}/second: a burst of ${LIMIT}, then the refill rate; all delivered once, none failed`, async (t) => {
    const { gw, receiver } = ctx;
    const limited = await createPipeline(gw.api, {
      name: 'paced',
      url: `${receiver.url}/paced`,
      destinationConfig: { rate_limit: LIMIT, rate_limit_period: 'second' },
    });
    const free = await createPipeline(gw.api, { name: 'free', url: `${receiver.url}/free` });
    const eventIds: string[] = [];
    for (let i = 0; i < EVENTS; i++) {
      const res = await fetch(limited.ingestUrl, { method: 'POST', body: JSON.stringify({ i }), headers: { 'content-type': 'application/json' } });
      assert.equal(res.status, 200);
      eventIds.push(...((await res.json()) as { event_ids: string[] }).event_ids);
    }
    const freeSentAt = new Map<string, number>();
    for (let i = 0; i < EVENTS; i++) {
      const sentAt = Date.now();
      const res = await fetch(free.ingestUrl, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
      for (const id of ((await res.json()) as { event_ids: string[] }).event_ids) freeSentAt.set(id, sentAt);
    }
    await receiver.waitFor(() => [...freeSentAt.keys()].every((id) => receiver.countsByEvent.has(id)), 5000, 'the unlimited destination');
    const freeWaits = receiver.received
      .filter((r) => r.url.startsWith('/free'))
      .map((r) => r.at - (freeSentAt.get(String(r.headers['x-sluice-event-id'])) ?? Number.NaN));
    const freeTook = Math.max(...freeWaits);
    await receiver.waitFor(() => eventIds.every((id) => receiver.countsByEvent.has(id)), 30_000, 'every limited event');

    const arrivals = receiver.received.filter((r) => r.url.startsWith('/paced')).map((r) => r.at);
    const span = Math.max(...arrivals) - Math.min(...arrivals);
    t.diagnostic(`${EVENTS} limited events arrived over ${span} ms; each unlimited one within ${freeTook} ms of being sent`);
    assert.equal(arrivals.length, EVENTS, 'each once');
    assert.deepEqual(windowsOverLimit(arrivals, LIMIT, 1000, DELAY_MS).slice(0, 3), []);
    assert.ok(span >= shortestSpanMs(EVENTS, LIMIT, 1000, DELAY_MS), `spread by the limit (${span} ms)`);
    // 3 s of tokens after the burst; a dispatcher left to its 5 s poll would need 15 s. Room for a loaded machine.
    assert.ok(span < 3000 + 4000, `each token used soon after it is due, not at the next poll (${span} ms)`);
    assert.ok(freeTook < 2000, `the unlimited destination is not held behind the limited one's backlog (${freeTook} ms)`);

    for (const id of eventIds) {
      const event = (await gw.api.get<EventModel>(`/events/${id}`)).body;
      assert.equal(event.status, 'SUCCESSFUL', id);
      assert.equal(event.attempts, 1, 'waiting for a token is no attempt and spends no retry');
    }
  });
});
