/**
 * Connection rules end to end, in one process with real parts: HTTP ingest → SQLite → dispatcher → a real
 * receiver. A filter rule delivers the matching request and not the other one; a delay rule holds the delivery
 * until received time + delay.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createPipeline } from '../support/apiClient.js';
import { ingestOk } from '../support/eventsApi.js';
import { gatewayAndReceiver } from '../support/inProcessGateway.js';

const ingest = (url: string, body: unknown) => ingestOk(url, JSON.stringify(body));

describe('connection rules end to end', { timeout: 60_000 }, () => {
  const parts = gatewayAndReceiver();
  const receivedAt = (path: string) => parts.receiver.received.filter((r) => r.url.startsWith(path));

  test('a filter rule: the matching request is delivered, the other one makes no event and never arrives', async () => {
    const { gw, receiver } = parts;
    const p = await createPipeline(gw.api, { name: 'filtered', url: `${receiver.url}/filtered`, rules: [{ type: 'filter', body: { type: { $startsWith: 'order.' }, amount: { $gte: 100 } } }] });
    const skipped = await ingest(p.ingestUrl, { type: 'order.created', amount: 5 });
    const delivered = await ingest(p.ingestUrl, { type: 'order.created', amount: 500 });
    assert.deepEqual(skipped.event_ids, []);
    assert.equal(delivered.event_ids.length, 1);
    await receiver.waitFor(() => receivedAt('/filtered').length >= 1, 20_000, 'the matching request');
    const got = receivedAt('/filtered');
    assert.equal(got.length, 1);
    assert.deepEqual(JSON.parse(got[0]?.body.toString() ?? ''), { type: 'order.created', amount: 500 });
    assert.equal(got[0]?.headers['x-sluice-event-id'], delivered.event_ids[0]);
    const skippedRequest = await gw.api.get<{ events_count: number; ignored: unknown[] }>(`/requests/${skipped.request_id}`);
    assert.equal(skippedRequest.body.events_count, 0);
    assert.deepEqual(skippedRequest.body.ignored, [{ webhook_id: p.connectionId, cause: 'FILTERED' }]);
  });

  test('a delay rule: the event is SCHEDULED and delivered no earlier than received time + delay', async () => {
    const { gw, receiver } = parts;
    const DELAY = 1500;
    const p = await createPipeline(gw.api, { name: 'delayed', url: `${receiver.url}/delayed`, rules: [{ type: 'delay', delay: DELAY }] });
    const sent = Date.now();
    const { event_ids: [eventId] } = await ingest(p.ingestUrl, { n: 1 });
    const scheduled = await gw.api.get<{ status: string; next_attempt_at: string; created_at: string }>(`/events/${eventId}`);
    assert.equal(scheduled.body.status, 'SCHEDULED');
    assert.equal(Date.parse(scheduled.body.next_attempt_at) - Date.parse(scheduled.body.created_at), DELAY);
    await receiver.waitFor(() => receivedAt('/delayed').length >= 1, 20_000, 'the delayed request');
    const got = receivedAt('/delayed')[0];
    assert.ok(got !== undefined);
    assert.ok(got.at - sent >= DELAY - 5, `delivered ${got.at - sent} ms after sending, before its ${DELAY} ms delay`);
    assert.equal(got.headers['x-sluice-event-id'], eventId);
  });
});
