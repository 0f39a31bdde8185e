/**
 * Failure alerts end to end, in one process with real receivers (issue 4, item 6): a destination whose receiver
 * keeps failing raises `alert.consecutive_failure` at 50, 70, 90 and 100 % of the auto-disable limit (10 here),
 * once per level per failure streak, delivered to the operator's destination and never to the failing one; a
 * success resets the streak, so the next streak alerts again; at 100 % it is also disabled.
 * One attempt per event (SLUICE_RETRY_COUNT 0), so the failures counted are the events published.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestGateway, type TestGateway } from '../support/inProcessGateway.js';
import { startReceiver, type Receiver } from '../support/receiver.js';
import { until } from '../support/until.js';

const LIMIT = 10;

interface Alert {
  type: string;
  data: { id: string; consecutive_failures: number; auto_disable_after: number; percentage: number; will_disable: boolean; last_attempt: { response_status: number | null; event_type: string } };
}

describe('consecutive-failure alerts', { timeout: 60_000 }, () => {
  let gw: TestGateway;
  let failing: Receiver;
  let operator: Receiver;
  before(async () => {
    gw = await startTestGateway({ SLUICE_RETRY_COUNT: '0', SLUICE_AUTO_DISABLE_AFTER: String(LIMIT) });
    failing = await startReceiver();
    operator = await startReceiver();
  });
  after(async () => {
    await gw.stop();
    await failing.close();
    await operator.close();
  });

  const statuses = async (destinationId: string) =>
    (await gw.api.get<{ data: { status: string }[] }>(`/v2/event-destinations/${destinationId}/event-deliveries?limit=100`)).body.data.map((d) => d.status);
  const alerts = (): Alert[] =>
    operator.received.map((r) => JSON.parse(r.body.toString()) as Alert).filter((a) => a.type === 'alert.consecutive_failure');

  async function publishAndSettle(destinationId: string, count: number, settledBefore: number): Promise<void> {
    for (let n = 0; n < count; n++) assert.equal((await gw.api.post('/v2/events', { type: 'order.created', data: { n } })).status, 202);
    await until(() => statuses(destinationId), (s) => s.filter((x) => x !== 'pending').length === settledBefore + count, 10_000, `${count} deliveries settled`);
  }

  test('alerts at 50/70/90/100 % once per streak, reset by a success, delivered to the operator only', async () => {
    const created = await gw.api.post<{ id: string }>('/v2/event-destinations', { name: 'failing', type: 'webhook', events: ['order.*'], webhook: { url: failing.url } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const id = created.body.id;
    const op = await gw.api.post('/v2/event-destinations', { name: 'ops', type: 'webhook', events: ['alert.*', 'destination.disabled'], webhook: { url: operator.url } });
    assert.equal(op.status, 201, JSON.stringify(op.body));

    failing.answerWith({ status: 500 });
    await publishAndSettle(id, 6, 0);
    await operator.waitFor(() => alerts().length >= 1, 5000, 'the 50 % alert');
    const [half] = alerts();
    assert.equal(half?.data.id, id);
    assert.deepEqual([half?.data.consecutive_failures, half?.data.auto_disable_after, half?.data.percentage, half?.data.will_disable], [5, LIMIT, 50, false]);
    assert.equal(half?.data.last_attempt.response_status, 500);
    assert.equal(half?.data.last_attempt.event_type, 'order.created');

    failing.answerWith({ status: 200 });
    await publishAndSettle(id, 1, 6);
    const afterSuccess = await gw.api.get<{ status: string }>(`/v2/event-destinations/${id}`);
    assert.equal(afterSuccess.body.status, 'active');

    failing.answerWith({ status: 500 });
    await publishAndSettle(id, LIMIT, 7);
    await operator.waitFor(() => alerts().length >= 5 && operator.received.some((r) => r.body.toString().includes('"destination.disabled"')), 5000, 'the second streak\'s alerts');
    const second = alerts().slice(1).map((a) => [a.data.consecutive_failures, a.data.percentage, a.data.will_disable]);
    second.sort((x, y) => Number(x[0]) - Number(y[0]));
    assert.deepEqual(second, [[5, 50, false], [7, 70, false], [9, 90, false], [10, 100, true]], 'the success started a new streak');
    assert.equal((await gw.api.get<{ status: string }>(`/v2/event-destinations/${id}`)).body.status, 'inactive');

    // Once per level: nothing more arrives, and the stored alerts are exactly these five.
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(alerts().length, 5);
    const stored = await gw.api.get<{ data: unknown[] }>('/v2/events?type=alert.consecutive_failure&limit=100');
    assert.equal(stored.body.data.length, 5);
    assert.ok(failing.received.every((r) => !r.body.toString().includes('alert.consecutive_failure')), 'never delivered to the destination it is about');
  });
});
