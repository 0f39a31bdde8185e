/**
 * The outbound face end to end, in one process with real parts: POST /v2/events → SQLite → dispatcher → the
 * webhook destination type → real HTTP receivers, verified with the independent `standardwebhooks` package, and
 * inspected through the /v2 API. Short retry intervals (SLUICE_RETRY_INTERVAL_MS) and a low auto-disable limit
 * (SLUICE_AUTO_DISABLE_AFTER) keep it fast. Each test has its own team, so their events never cross.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { apiClient, type ApiClient } from '../support/apiClient.js';
import { startTestGateway, type TestGateway } from '../support/inProcessGateway.js';
import { startReceiver, type Received, type Receiver } from '../support/receiver.js';
import { until } from '../support/until.js';

const ADMIN = 'admin-key-for-outbound-e2e-0001';
const RETRY_MS = 100;
const AUTO_DISABLE_AFTER = 6;
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

interface Delivery {
  id: string;
  status: string;
  event_id: string;
  event_type: string;
  delivered_at: string | null;
  attempts: { attempt_number: number; trigger: string; status: string; response_status: number | null; created_at: string }[];
}
interface Destination {
  id: string;
  status: string;
  webhook: { secret: string };
}

function typeOf(received: Received): string {
  return (JSON.parse(received.body.toString()) as { type: string }).type;
}

describe('outbound delivery end to end', { timeout: 60_000 }, () => {
  let gw: TestGateway;
  const receivers: Receiver[] = [];
  let teams = 0;

  before(async () => {
    gw = await startTestGateway({
      SLUICE_ADMIN_KEY: ADMIN,
      SLUICE_RETRY_INTERVAL_MS: String(RETRY_MS),
      SLUICE_RETRY_COUNT: '3',
      SLUICE_AUTO_DISABLE_AFTER: String(AUTO_DISABLE_AFTER),
    });
  });
  after(async () => {
    await gw.stop();
    for (const r of receivers) await r.close();
  });

  async function receiver(): Promise<Receiver> {
    const r = await startReceiver();
    receivers.push(r);
    return r;
  }

  /** A new team and a client with its key. */
  async function team(): Promise<ApiClient> {
    const admin = apiClient(gw.gateway.url, ADMIN);
    const created = await admin.post<{ id: string }>('/teams', { name: `outbound-${++teams}` });
    const key = await admin.post<{ key: string }>(`/teams/${created.body.id}/api-keys`);
    return apiClient(gw.gateway.url, key.body.key);
  }

  async function destination(api: ApiClient, url: string, events: string[], secret?: string): Promise<Destination> {
    const created = await api.post<Destination>('/v2/event-destinations', { name: `to ${url}`, type: 'webhook', events, webhook: { url, ...(secret ? { secret } : {}) } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    return created.body;
  }

  const deliveries = async (api: ApiClient, destinationId: string) =>
    (await api.get<{ data: Delivery[] }>(`/v2/event-destinations/${destinationId}/event-deliveries?limit=100`)).body.data;

  test('a published event reaches the webhook, signed by Standard Webhooks, its body the event JSON', async () => {
    const api = await team();
    const r = await receiver();
    const d = await destination(api, `${r.url}/hooks/deck`, ['*'], SECRET);
    const sentAt = Date.now();
    const published = await api.post<{ event: { id: string } }>('/v2/events', { type: 'task_run.completed', data: { id: 'trun_1', status: 'completed' } });
    assert.equal(published.status, 202);
    const eventId = published.body.event.id;
    await r.waitFor(() => r.received.length >= 1, 3000, 'the delivery');
    const got = r.received[0];
    assert.ok(got);
    assert.ok(got.at - sentAt < 2000, `delivered promptly (${got.at - sentAt} ms)`);
    assert.equal(got.method, 'POST');
    assert.equal(got.url, '/hooks/deck');
    assert.equal(got.headers['content-type'], 'application/json');
    assert.equal(got.headers['webhook-id'], eventId);
    const stored = await api.get(`/v2/events/${eventId}`);
    assert.deepEqual(JSON.parse(got.body.toString()), stored.body, 'the body is the event in the seed shape');

    const headers = { 'webhook-id': String(got.headers['webhook-id']), 'webhook-timestamp': String(got.headers['webhook-timestamp']), 'webhook-signature': String(got.headers['webhook-signature']) };
    const verified = new Webhook(SECRET).verify(got.body.toString(), headers);
    assert.deepEqual(verified, stored.body, 'verified by the standardwebhooks package');
    assert.throws(() => new Webhook('whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA').verify(got.body.toString(), headers), 'another secret does not verify');

    const [delivery] = await until(() => deliveries(api, d.id), (list) => list[0]?.status === 'success', 2000, 'success in the log');
    assert.ok(delivery);
    assert.equal(delivery.event_id, eventId);
    assert.equal(delivery.attempts.length, 1);
    assert.equal(delivery.attempts[0]?.trigger, 'initial');
    assert.equal(delivery.attempts[0]?.response_status, 200);
    assert.ok(delivery.delivered_at !== null);
  });

  test('subscriptions: "*", exact types and "prefix.*" each get exactly their events', async () => {
    const api = await team();
    const [all, exact, prefix, other] = [await receiver(), await receiver(), await receiver(), await receiver()];
    await destination(api, all.url, ['*']);
    await destination(api, exact.url, ['task_run.completed']);
    await destination(api, prefix.url, ['task_run.*']);
    await destination(api, other.url, ['credential.verified']);
    for (const type of ['task_run.completed', 'task_run.failed', 'task_run.step.done', 'credential.verified', 'file.captured']) {
      await api.post('/v2/events', { type, data: {} });
    }
    await all.waitFor(() => all.received.length >= 5, 3000, 'all five on "*"');
    await prefix.waitFor(() => prefix.received.length >= 3, 3000, 'three on task_run.*');
    await exact.waitFor(() => exact.received.length >= 1, 3000, 'one on the exact type');
    await other.waitFor(() => other.received.length >= 1, 3000, 'one on credential.verified');
    await new Promise((resolve) => setTimeout(resolve, 200)); // nothing else arrives late
    assert.deepEqual(all.received.map(typeOf).sort(), ['credential.verified', 'file.captured', 'task_run.completed', 'task_run.failed', 'task_run.step.done']);
    assert.deepEqual(prefix.received.map(typeOf).sort(), ['task_run.completed', 'task_run.failed', 'task_run.step.done']);
    assert.deepEqual(exact.received.map(typeOf), ['task_run.completed']);
    assert.deepEqual(other.received.map(typeOf), ['credential.verified']);
  });

  test('a failing delivery is retried with exponential backoff until it succeeds', async () => {
    const api = await team();
    const r = await receiver();
    let calls = 0;
    r.answerWith(() => (++calls <= 2 ? { status: 500, body: 'not yet' } : { status: 200 }));
    const d = await destination(api, r.url, ['*']);
    await api.post('/v2/events', { type: 'order.created', data: {} });
    await r.waitFor(() => r.received.length >= 3, 5000, 'three attempts');
    const [first, second, third] = r.received as [Received, Received, Received];
    const gap1 = second.at - first.at;
    const gap2 = third.at - second.at;
    assert.ok(gap1 >= RETRY_MS - 10, `first retry after ~${RETRY_MS} ms (${gap1})`);
    assert.ok(gap2 >= 2 * RETRY_MS - 10, `second retry after ~${2 * RETRY_MS} ms: exponential (${gap2})`);
    assert.deepEqual(r.received.map((x) => x.headers['x-sluice-attempt-count']), ['1', '2', '3']);
    assert.equal(new Set(r.received.map((x) => x.headers['webhook-id'])).size, 1, 'the same event id on every retry');
    const [delivery] = await until(() => deliveries(api, d.id), (list) => list[0]?.status === 'success', 2000, 'success');
    assert.deepEqual(delivery?.attempts.map((a) => [a.trigger, a.status, a.response_status]), [
      ['initial', 'failure', 500],
      ['automatic', 'failure', 500],
      ['automatic', 'success', 200],
    ]);
  });

  test("a destination's own timeout applies to its attempts (the gateway default is 5 s)", async () => {
    const api = await team();
    const slow = await receiver();
    let calls = 0;
    slow.answerWith(() => (++calls === 1 ? { status: 200, delayMs: 3000 } : { status: 200 }));
    const created = await api.post<Destination & { timeout: number | null }>('/v2/event-destinations', {
      name: 'impatient',
      type: 'webhook',
      events: ['*'],
      timeout: 300,
      webhook: { url: slow.url },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.timeout, 300);
    await api.post('/v2/events', { type: 'order.created', data: {} });
    const [delivery] = await until(() => deliveries(api, created.body.id), (list) => list[0]?.status === 'success', 10_000, 'delivered on the retry');
    const attempts = (delivery?.attempts ?? []) as (Delivery['attempts'][number] & { error_code: string | null })[];
    assert.deepEqual(attempts.map((a) => [a.status, a.error_code]), [['failure', 'TIMEOUT'], ['success', null]], 'the first attempt gave up after 300 ms, not 5 s');
  });

  test('exhausted retries end the delivery in failure and publish delivery.exhausted; a manual retry can still deliver it', async () => {
    const api = await team();
    const failing = await receiver();
    const operator = await receiver();
    failing.answerWith({ status: 503, body: 'down' });
    const d = await destination(api, failing.url, ['order.*']);
    await destination(api, operator.url, ['delivery.*']);
    const published = await api.post<{ event: { id: string } }>('/v2/events', { type: 'order.paid', data: { amount: 5 } });
    await operator.waitFor(() => operator.received.length >= 1, 5000, 'delivery.exhausted');
    assert.equal(failing.received.length, 4, 'the first attempt and 3 retries');
    const alert = JSON.parse(operator.received[0]?.body.toString() ?? '{}') as { type: string; data: Record<string, unknown> };
    assert.equal(alert.type, 'delivery.exhausted');
    assert.equal(alert.data.event_id, published.body.event.id);
    assert.equal(alert.data.event_destination_id, d.id);
    assert.equal(alert.data.attempts, 4);
    const [failed] = await deliveries(api, d.id);
    assert.equal(failed?.status, 'failure');

    failing.answerWith({ status: 200 });
    const retried = await api.post<Delivery>(`/v2/event-destinations/${d.id}/event-deliveries/${failed?.id}/retry`);
    assert.equal(retried.status, 200, JSON.stringify(retried.body));
    assert.equal(retried.body.status, 'success');
    assert.deepEqual(retried.body.attempts.at(-1)?.trigger, 'manual');
    assert.equal(failing.received.length, 5);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(operator.received.length, 1, 'one alert; operator events about operator events are never published');
  });

  test('after N consecutive failures the destination is disabled, destination.disabled goes to the operator destination (never to itself), and PATCH active delivers what was held', async () => {
    const api = await team();
    const failing = await receiver();
    const operator = await receiver();
    failing.answerWith({ status: 500 });
    const d = await destination(api, failing.url, ['*']);
    await destination(api, operator.url, ['destination.*']);
    await api.post('/v2/events', { type: 'order.created', data: { n: 1 } });
    await api.post('/v2/events', { type: 'order.created', data: { n: 2 } });

    await operator.waitFor(() => operator.received.length >= 1, 5000, 'destination.disabled');
    const alert = JSON.parse(operator.received[0]?.body.toString() ?? '{}') as { type: string; data: Record<string, unknown> };
    assert.equal(alert.type, 'destination.disabled');
    assert.equal(alert.data.id, d.id);
    assert.equal(alert.data.status, 'inactive');
    assert.equal(alert.data.consecutive_failures, AUTO_DISABLE_AFTER);
    const disabled = await api.get<Destination>(`/v2/event-destinations/${d.id}`);
    assert.equal(disabled.body.status, 'inactive');
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(failing.received.length, AUTO_DISABLE_AFTER, 'no attempt after the destination was disabled');
    assert.ok(failing.received.every((x) => typeOf(x) === 'order.created'), 'the disabled destination never receives its own alert');
    assert.ok((await deliveries(api, d.id)).every((x) => x.status === 'pending'), 'its deliveries are held, not failed');
    const meanwhile = await api.post<{ destinations: string[] }>('/v2/events', { type: 'order.created', data: { n: 3 } });
    assert.ok(!meanwhile.body.destinations.includes(d.id), 'an inactive destination gets no new events');

    failing.answerWith({ status: 200 });
    const enabled = await api.patch<Destination>(`/v2/event-destinations/${d.id}`, { status: 'active' });
    assert.equal(enabled.body.status, 'active');
    const done = await until(() => deliveries(api, d.id), (list) => list.length === 2 && list.every((x) => x.status === 'success'), 5000, 'the held deliveries delivered');
    for (const x of done) assert.equal(x.attempts.at(-1)?.trigger, 'unpause');
    assert.equal(operator.received.length, 1);
  });
});
