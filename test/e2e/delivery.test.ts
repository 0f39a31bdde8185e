/**
 * The delivery path end to end, in one process with real parts: HTTP ingest → SQLite → dispatcher → a real
 * receiver, then inspected through the Events API. Retry intervals are short so the suite stays fast.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createPipeline } from '../support/apiClient.js';
import { type AttemptModel, type EventModel, eventsApi, ingestOk as ingest } from '../support/eventsApi.js';
import { startReceiver } from '../support/receiver.js';
import { gatewayAndReceiver } from '../support/inProcessGateway.js';
import { freePort } from '../support/gatewayProcess.js';
import { until } from '../support/until.js';

describe('delivery end to end', { timeout: 60_000 }, () => {
  const parts = gatewayAndReceiver();
  let counter = 0;
  const unique = (name: string) => `${name}-${++counter}`;

  const event = (id: string) => eventsApi(parts.gw.api).event(id);
  const attemptsOf = (id: string) => eventsApi(parts.gw.api).attemptsOf(id);

  test('forwards the request with its method, path, query, body and signed x-sluice headers, at once', async () => {
    const p = await createPipeline(parts.gw.api, { name: unique('fwd'), url: `${parts.receiver.url}/hook`, retry: { strategy: 'linear', interval: 1000, count: 2 } });
    const body = JSON.stringify({ type: 'order.created', amount: 42 });
    const sentAt = Date.now();
    const ack = await ingest(`${p.ingestUrl}/orders/7?x=1&y=2`, body, { 'content-type': 'application/json', 'x-custom': 'kept', connection: 'keep-alive' });
    const [eventId] = ack.event_ids;
    assert.ok(eventId);
    await parts.receiver.waitFor(() => parts.receiver.countsByEvent.has(eventId), 2000, 'first delivery');
    const got = parts.receiver.received.find((r) => r.headers['x-sluice-event-id'] === eventId);
    assert.ok(got);
    assert.ok(got.at - sentAt < 2000, `first attempt started promptly (${got.at - sentAt} ms)`);
    assert.equal(got.method, 'POST');
    assert.equal(got.url, '/hook/orders/7?x=1&y=2');
    assert.equal(got.body.toString(), body);
    assert.equal(got.headers['x-custom'], 'kept');
    assert.equal(got.headers['content-type'], 'application/json');
    assert.equal(got.headers['x-sluice-request-id'], ack.request_id);
    assert.equal(got.headers['x-sluice-attempt-count'], '1');
    assert.equal(got.headers['x-sluice-attempt-trigger'], 'INITIAL');
    assert.equal(got.headers['x-sluice-will-retry-after'], '1');
    const expected = createHmac('sha256', parts.gw.signingSecret).update(body).digest('base64');
    assert.equal(got.headers['x-sluice-signature'], expected);

    const delivered = await until(() => event(eventId), (e) => e.status === 'SUCCESSFUL', 2000, 'SUCCESSFUL');
    assert.equal(delivered.attempts, 1);
    assert.equal(delivered.response_status, 200);
    assert.equal(delivered.next_attempt_at, null);
    assert.ok(delivered.successful_at);
    const attempts = await attemptsOf(eventId);
    assert.equal(attempts.length, 1);
    assert.equal(attempts[0]?.trigger, 'INITIAL');
    assert.equal(attempts[0]?.status, 'SUCCESSFUL');
  });

  test('retries on 500 by the connection rule until a 2xx', async () => {
    const r = await startReceiver();
    let calls = 0;
    r.answerWith(() => (++calls <= 2 ? { status: 500, body: 'boom' } : { status: 204 }));
    try {
      const p = await createPipeline(parts.gw.api, { name: unique('retry'), url: r.url, retry: { strategy: 'linear', interval: 100, count: 5 } });
      const ack = await ingest(p.ingestUrl, '{"a":1}');
      const id = ack.event_ids[0] ?? '';
      const done = await until(() => event(id), (e) => e.status === 'SUCCESSFUL', 5000, 'success after retries');
      assert.equal(done.attempts, 3);
      assert.equal(done.response_status, 204);
      const attempts = await attemptsOf(id);
      assert.deepEqual(attempts.map((a) => [a.trigger, a.response_status]), [['INITIAL', 500], ['AUTOMATIC', 500], ['AUTOMATIC', 204]]);
      assert.deepEqual(attempts.map((a) => a.attempt_number), [1, 2, 3]);
      const gaps = r.received.slice(1).map((req, i) => req.at - (r.received[i]?.at ?? 0));
      for (const gap of gaps) assert.ok(gap >= 90, `retry waited for the interval (${gap} ms)`);
    } finally {
      await r.close();
    }
  });

  test('exhausted retries end FAILED with no next attempt; a non-retryable status fails at once', async () => {
    const r = await startReceiver();
    r.answerWith((req) => ({ status: req.url.startsWith('/gone') ? 410 : 500 }));
    try {
      const p = await createPipeline(parts.gw.api, { name: unique('exhaust'), url: r.url, retry: { strategy: 'exponential', interval: 20, count: 2 } });
      const id = (await ingest(p.ingestUrl, '{}')).event_ids[0] ?? '';
      const failed = await until(() => event(id), (e) => e.status === 'FAILED', 5000, 'FAILED');
      assert.equal(failed.attempts, 3);
      assert.equal(failed.next_attempt_at, null);

      const q = await createPipeline(parts.gw.api, {
        name: unique('noretry'),
        url: `${r.url}/gone`,
        retry: { strategy: 'linear', interval: 20, count: 5, response_status_codes: ['500-599'] },
      });
      const id2 = (await ingest(q.ingestUrl, '{}')).event_ids[0] ?? '';
      const failed2 = await until(() => event(id2), (e) => e.status === 'FAILED', 5000, 'FAILED at once');
      assert.equal(failed2.attempts, 1);
      assert.equal(failed2.response_status, 410);
    } finally {
      await r.close();
    }
  });

  test('manual retry makes an attempt now and a success cancels the pending retry', async () => {
    const r = await startReceiver();
    r.answerWith({ status: 503 });
    try {
      const p = await createPipeline(parts.gw.api, { name: unique('manual'), url: r.url, retry: { strategy: 'linear', interval: 60_000, count: 3 } });
      const id = (await ingest(p.ingestUrl, '{"m":1}')).event_ids[0] ?? '';
      const scheduled = await until(() => event(id), (e) => e.status === 'SCHEDULED', 3000, 'SCHEDULED');
      assert.ok(scheduled.next_attempt_at);
      assert.equal(scheduled.response_status, 503);

      r.answerWith({ status: 200, body: 'thanks' });
      const retry = await parts.gw.api.post<AttemptModel & { body: string; team_id: string }>(`/events/${id}/retry`);
      assert.equal(retry.status, 200);
      assert.equal(retry.body.event_id, id);
      assert.equal(retry.body.trigger, 'MANUAL');
      assert.equal(retry.body.response_status, 200);
      assert.equal(retry.body.body, 'thanks');
      assert.match(retry.body.id, /^att_/);
      const after = await event(id);
      assert.equal(after.status, 'SUCCESSFUL');
      assert.equal(after.next_attempt_at, null);
      assert.equal(after.attempts, 2);
    } finally {
      await r.close();
    }
  });

  test('mute cancels automatic retries: next_attempt_at becomes null and nothing more is sent', async () => {
    const r = await startReceiver();
    r.answerWith({ status: 500 });
    try {
      const p = await createPipeline(parts.gw.api, { name: unique('mute'), url: r.url, retry: { strategy: 'linear', interval: 300, count: 10 } });
      const id = (await ingest(p.ingestUrl, '{}')).event_ids[0] ?? '';
      await until(() => event(id), (e) => e.status === 'SCHEDULED', 3000, 'SCHEDULED');
      const muted = await parts.gw.api.put<EventModel & { request: { body: unknown } }>(`/events/${id}/mute`);
      assert.equal(muted.status, 200);
      assert.equal(muted.body.next_attempt_at, null);
      assert.equal(muted.body.status, 'CANCELLED');
      assert.deepEqual(muted.body.request.body, {});
      const sent = r.received.length;
      await new Promise((resolve) => setTimeout(resolve, 700));
      assert.equal(r.received.length, sent, 'no automatic attempt after mute');
    } finally {
      await r.close();
    }
  });

  test('a paused connection holds events (HOLD) and delivers them on unpause with trigger UNPAUSE', async () => {
    const r = await startReceiver();
    try {
      const p = await createPipeline(parts.gw.api, { name: unique('pause'), url: r.url });
      const paused = await parts.gw.api.put<{ paused_at: string | null }>(`/connections/${p.connectionId}/pause`);
      assert.equal(paused.status, 200);
      assert.ok(paused.body.paused_at);
      const id = (await ingest(p.ingestUrl, '{"held":true}')).event_ids[0] ?? '';
      assert.equal((await event(id)).status, 'HOLD');
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(r.received.length, 0);
      await parts.gw.api.put(`/connections/${p.connectionId}/unpause`);
      await r.waitFor(() => r.countsByEvent.has(id), 2000, 'delivery after unpause');
      assert.equal(r.received[0]?.headers['x-sluice-attempt-trigger'], 'UNPAUSE');
      await until(() => event(id), (e) => e.status === 'SUCCESSFUL', 2000, 'SUCCESSFUL after unpause');
    } finally {
      await r.close();
    }
  });

  test('network failures are recorded with their error code: timeout and connection refused', async () => {
    const r = await startReceiver();
    r.answerWith({ status: 200, delayMs: 1500 });
    try {
      const slow = await createPipeline(parts.gw.api, { name: unique('timeout'), url: r.url, timeout: 200, retry: { strategy: 'linear', interval: 60_000, count: 1 } });
      const id = (await ingest(slow.ingestUrl, '{}')).event_ids[0] ?? '';
      const timedOut = await until(() => event(id), (e) => e.attempts === 1, 3000, 'timed-out attempt');
      assert.equal(timedOut.error_code, 'TIMEOUT');
      assert.equal(timedOut.response_status, null);

      const closedPort = await freePort();
      const refused = await createPipeline(parts.gw.api, { name: unique('refused'), url: `http://127.0.0.1:${closedPort}/`, retry: { strategy: 'linear', interval: 60_000, count: 1 } });
      const id2 = (await ingest(refused.ingestUrl, '{}')).event_ids[0] ?? '';
      const refusedEvent = await until(() => event(id2), (e) => e.attempts === 1, 3000, 'refused attempt');
      assert.equal(refusedEvent.error_code, 'CONNECTION_REFUSED');
      const [attempt] = await attemptsOf(id2);
      assert.equal(attempt?.error_code, 'CONNECTION_REFUSED');
      assert.equal(attempt?.status, 'FAILED');
    } finally {
      await r.close();
    }
  });

  test('a slow destination does not starve a fast one (per-destination concurrency cap)', async () => {
    const slowReceiver = await startReceiver();
    slowReceiver.answerWith({ status: 200, delayMs: 4000 });
    const fastReceiver = await startReceiver();
    try {
      const slow = await createPipeline(parts.gw.api, { name: unique('slow'), url: slowReceiver.url });
      const fast = await createPipeline(parts.gw.api, { name: unique('fast'), url: fastReceiver.url });
      // Far more slow work than the gateway's per-destination cap (20 by default) can run at once.
      await Promise.all(Array.from({ length: 60 }, () => ingest(slow.ingestUrl, '{"slow":true}')));
      const started = Date.now();
      const fastIds = (await Promise.all(Array.from({ length: 20 }, () => ingest(fast.ingestUrl, '{"fast":true}')))).flatMap((a) => a.event_ids);
      // Behind the slow ones they would take at least 4 s; beside them, a moment (2.5 s of room for a loaded machine).
      await fastReceiver.waitFor(() => fastIds.every((id) => fastReceiver.countsByEvent.has(id)), 2500, 'fast deliveries while slow ones block');
      assert.ok(Date.now() - started < 2500);
    } finally {
      await slowReceiver.close();
      await fastReceiver.close();
    }
  });
});
