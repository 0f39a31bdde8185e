/** Published events: serialised once in the seed's shape; metadata; operator event payloads and their loop guard. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isIdOf } from '../../src/domain/ids.js';
import { announcesExhaustion, deliveryExhaustedData, destinationDisabledData } from '../../src/domain/operatorEvents.js';
import { eventMetadata, newPublishedEvent, renderPublishedEvent } from '../../src/domain/publishedEvent.js';

const AT = Date.UTC(2025, 0, 15, 9, 31, 15);

test('a published event is the seed 000 event JSON, serialised once, with a generated evt_ id', () => {
  const event = newPublishedEvent('tm_x', { type: 'task_run.completed', data: { id: 'trun_1', status: 'completed' } }, 'api', AT);
  assert.ok(isIdOf('publishedEvent', event.messageId));
  assert.equal(event.eventId, event.messageId);
  assert.equal(event.body.toString(), `{"id":"${event.eventId}","object":"event","type":"task_run.completed","data":{"id":"trun_1","status":"completed"},"created_at":"2025-01-15T09:31:15.000Z"}`);
  assert.deepEqual(renderPublishedEvent(event), JSON.parse(event.body.toString()));
});

test("the publisher's own id becomes the event id; the message id stays internal", () => {
  const event = newPublishedEvent('tm_x', { type: 'a.b', data: {}, id: 'order-42' }, 'api', AT);
  assert.equal(event.eventId, 'order-42');
  assert.notEqual(event.messageId, 'order-42');
  assert.equal(renderPublishedEvent(event).id, 'order-42');
});

test('metadata carries event id, type and time', () => {
  assert.deepEqual(eventMetadata({ eventId: 'evt_1', eventType: 'a.b', createdAt: AT }), { 'event-id': 'evt_1', 'event-type': 'a.b', timestamp: '2025-01-15T09:31:15.000Z' });
});

test('operator event payloads, and no exhaustion alert about an operator event', () => {
  const disabled = destinationDisabledData({
    destination: { id: 'evtd_1', type: 'webhook', outbound: { displayName: 'Prod', config: {}, credentials: null, subscription: ['*'], consecutiveFailures: 3 } },
    consecutiveFailures: 3,
    disabledAt: AT,
  });
  assert.deepEqual(disabled, {
    id: 'evtd_1', object: 'event_destination', name: 'Prod', type: 'webhook', status: 'inactive', reason: 'consecutive_failures',
    consecutive_failures: 3, disabled_at: '2025-01-15T09:31:15.000Z',
  });
  const exhausted = deliveryExhaustedData({
    delivery: { id: 'dlv_1', destinationId: 'evtd_1', createdAt: AT }, eventId: 'evt_9', eventType: 'a.b', attempts: 11, responseStatus: 500, errorCode: null, failedAt: AT,
  });
  assert.equal(exhausted.object, 'event_delivery');
  assert.equal(exhausted.event_destination_id, 'evtd_1');
  assert.equal(exhausted.attempts, 11);
  assert.equal(announcesExhaustion('api'), true);
  assert.equal(announcesExhaustion('sluice'), false);
});
