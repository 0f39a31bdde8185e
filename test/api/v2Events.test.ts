/**
 * `/v2/events` over real HTTP: publishing (seed 000 shape, 202 with the destinations it went to, a repeated id not
 * delivered twice), reading back (filters, cursors), the /v2 error shape for many bad inputs, authentication, and
 * Idempotency-Key (replay, conflict, per team, failures not kept).
 */
/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-call --
   The API's JSON answers are `any` (harness.ts) and read field by field: the assertions are the type checks. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startGateway, type Gateway, type Team } from './harness.js';
import { v2Error } from './v2Support.js';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$/;

describe('/v2/events', () => {
  let gw: Gateway;
  let team: Team;
  const destinations: Record<string, string> = {};

  before(async () => {
    gw = await startGateway();
    team = await gw.team('publisher');
    const make = async (name: string, events: string[], status?: string) => {
      const created = await team.call('POST', '/v2/event-destinations', { body: { name, type: 'webhook', events, webhook: { url: 'https://example.com/hook' }, ...(status ? { status } : {}) } });
      assert.equal(created.status, 201, created.text);
      destinations[name] = created.json.id;
    };
    await make('all', ['*']);
    await make('exact', ['task_run.completed']);
    await make('prefix', ['task_run.*']);
    await make('other', ['credential.verified']);
    await make('off', ['*'], 'inactive');
  });
  after(async () => {
    await gw.close();
  });

  test('publishing answers 202 with the event in the seed shape and the destinations subscribed to it', async () => {
    const wakes = gw.engine.wakes;
    const answer = await team.call('POST', '/v2/events', { body: { type: 'task_run.completed', data: { id: 'trun_1', status: 'completed', runtime_ms: 12453 } } });
    assert.equal(answer.status, 202, answer.text);
    assert.deepEqual(Object.keys(answer.json), ['event', 'destinations']);
    const { event } = answer.json;
    assert.deepEqual(Object.keys(event), ['id', 'object', 'type', 'data', 'created_at']);
    assert.match(event.id, /^evt_[0-9a-z]{16}$/);
    assert.equal(event.object, 'event');
    assert.equal(event.type, 'task_run.completed');
    assert.deepEqual(event.data, { id: 'trun_1', status: 'completed', runtime_ms: 12453 });
    assert.match(event.created_at, ISO);
    assert.deepEqual([...answer.json.destinations].sort(), [destinations.all, destinations.exact, destinations.prefix].sort());
    assert.equal(gw.engine.wakes, wakes + 1, 'the dispatcher is woken');

    const read = await team.call('GET', `/v2/events/${event.id}`);
    assert.equal(read.status, 200);
    assert.deepEqual(read.json, event);

    const onlyAll = await team.call('POST', '/v2/events', { body: { type: 'nobody.else', data: {} } });
    assert.equal(onlyAll.status, 202);
    assert.deepEqual(onlyAll.json.destinations, [destinations.all]);
    const alone = await gw.team('no-destinations');
    const none = await alone.call('POST', '/v2/events', { body: { type: 'nobody.listens', data: {} } });
    assert.equal(none.status, 202, 'stored even when no destination wants it');
    assert.deepEqual(none.json.destinations, []);
    assert.equal((await alone.call('GET', `/v2/events/${none.json.event.id}`)).status, 200);
  });

  test('a repeated id is not delivered twice: 200 with the stored event', async () => {
    const first = await team.call('POST', '/v2/events', { body: { type: 'credential.verified', data: { n: 1 }, id: 'cred-verified-77' } });
    assert.equal(first.status, 202);
    assert.equal(first.json.event.id, 'cred-verified-77');
    assert.deepEqual([...first.json.destinations].sort(), [destinations.all, destinations.other].sort());
    const again = await team.call('POST', '/v2/events', { body: { type: 'credential.verified', data: { n: 2 }, id: 'cred-verified-77' } });
    assert.equal(again.status, 200);
    assert.deepEqual(again.json, first.json, 'the stored event, not the new body');
    const log = await team.call('GET', `/v2/event-destinations/${destinations.other}/event-deliveries`);
    assert.equal(log.json.data.filter((d: { event_id: string }) => d.event_id === 'cred-verified-77').length, 1);
  });

  test('list: newest first, filters by type (repeatable) and time, pages with cursor', async () => {
    const other = await gw.team('lister');
    const ids: string[] = [];
    for (let i = 0; i < 25; i++) {
      const type = i % 3 === 0 ? 'order.created' : i % 3 === 1 ? 'order.paid' : 'invoice.sent';
      const answer = await other.call('POST', '/v2/events', { body: { type, data: { i } } });
      ids.push(answer.json.event.id);
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    const first = await other.call('GET', '/v2/events');
    assert.equal(first.status, 200);
    assert.deepEqual(Object.keys(first.json), ['data', 'has_more', 'next_cursor']);
    assert.equal(first.json.data.length, 20, 'default limit 20');
    assert.equal(first.json.has_more, true);
    assert.deepEqual(first.json.data.map((e: { id: string }) => e.id), [...ids].reverse().slice(0, 20));
    const second = await other.call('GET', `/v2/events?cursor=${first.json.next_cursor}`);
    assert.deepEqual(second.json.data.map((e: { id: string }) => e.id), [...ids].reverse().slice(20));
    assert.equal(second.json.has_more, false);
    assert.equal(second.json.next_cursor, null);

    const byType = await other.call('GET', '/v2/events?type=order.created&type=invoice.sent&limit=100');
    assert.equal(byType.json.data.length, 17);
    assert.ok(byType.json.data.every((e: { type: string }) => e.type !== 'order.paid'));
    assert.equal((await other.call('GET', '/v2/events?type=order.created,order.paid&limit=100')).json.data.length, 17);

    const all = first.json.data.concat(second.json.data);
    const pivot = all[10];
    const after_ = await other.call('GET', `/v2/events?limit=100&created_after=${encodeURIComponent(pivot.created_at)}`);
    assert.ok(after_.json.data.every((e: { created_at: string }) => e.created_at > pivot.created_at), 'created_after is strict');
    const before_ = await other.call('GET', `/v2/events?limit=100&created_before=${encodeURIComponent(pivot.created_at)}`);
    assert.ok(before_.json.data.every((e: { created_at: string }) => e.created_at < pivot.created_at), 'created_before is strict');
    assert.equal(after_.json.data.length + before_.json.data.length + all.filter((e: { created_at: string }) => e.created_at === pivot.created_at).length, 25);
  });

  test('bad bodies: 422 validation_error naming each field, in the /v2 error shape', async () => {
    const cases: [unknown, string[]][] = [
      [{ data: {} }, ['type']],
      [{ type: 'task_run.completed' }, ['data']],
      [{ type: 'Task.Completed', data: {} }, ['type']],
      [{ type: 'task_run', data: {} }, ['type']],
      [{ type: 'a..b', data: {} }, ['type']],
      [{ type: 'a.*', data: {} }, ['type']],
      [{ type: 42, data: {} }, ['type']],
      [{ type: 'a.b', data: [1, 2] }, ['data']],
      [{ type: 'a.b', data: 'text' }, ['data']],
      [{ type: 'a.b', data: null }, ['data']],
      [{ type: 'a.b', data: {}, id: '' }, ['id']],
      [{ type: 'a.b', data: {}, id: 'has space' }, ['id']],
      [{ type: 'a.b', data: {}, id: 'x'.repeat(256) }, ['id']],
      [{ type: 'a.b', data: {}, id: 7 }, ['id']],
      [{ type: 'a.b', data: {}, extra: true }, ['extra']],
      [{ type: 'x', data: 1, id: '', extra: 1 }, ['type', 'data', 'id', 'extra']],
      [[{ type: 'a.b', data: {} }], ['body']],
    ];
    for (const [body, fields] of cases) {
      const errors = v2Error(await team.call('POST', '/v2/events', { body }), 422, 'validation_error');
      assert.deepEqual(errors.map((e) => e.field).sort(), [...fields].sort(), JSON.stringify(body));
      for (const error of errors) assert.ok(error.message.startsWith(error.field ?? ''), error.message);
    }
  });

  test('bad requests of every other kind keep the /v2 shape', async () => {
    v2Error(await team.call('POST', '/v2/events', { raw: '{"type": "a.b",', headers: { 'content-type': 'application/json' } }), 400, 'unparsable_json');
    v2Error(await team.call('POST', '/v2/events', { raw: 'type=a.b', headers: { 'content-type': 'application/x-www-form-urlencoded' } }), 415, 'unsupported_content_type');
    v2Error(await team.call('POST', '/v2/events', {}), 422, 'validation_error');
    v2Error(await team.call('GET', '/v2/events/no-such-event'), 404, 'not_found');
    v2Error(await team.call('GET', '/v2/no-such-route'), 404, 'not_found');
    v2Error(await team.call('PUT', '/v2/events'), 404, 'not_found');
    for (const query of ['limit=0', 'limit=101', 'limit=ten', 'cursor=nope', 'cursor=evtd_0000000000000000', 'type=Bad', 'created_after=yesterday', 'created_before=2024-13-45', 'unknown=1']) {
      const errors = v2Error(await team.call('GET', `/v2/events?${query}`), 422, 'validation_error');
      assert.equal(errors[0]?.field, query.split('=')[0], query);
    }
  });

  test('authentication: the team API key as a Bearer token; anything else is 401 authentication_error', async () => {
    const missing = await gw.call('GET', '/v2/events');
    v2Error(missing, 401, 'unauthorized', 'authentication_error');
    assert.ok(missing.headers.get('www-authenticate'));
    v2Error(await gw.call('GET', '/v2/events', { auth: 'Bearer sk_not_a_real_key_0000000000000000' }), 401, 'unauthorized', 'authentication_error');
    v2Error(await gw.call('POST', '/v2/events', { auth: 'Bearer nope', body: { type: 'a.b', data: {} } }), 401, 'unauthorized', 'authentication_error');
    assert.equal((await gw.call('GET', '/v2/events', { auth: `Bearer ${team.key}` })).status, 200);
  });

  describe('Idempotency-Key', () => {
    test('a repeat is replayed byte for byte with its status; another body with the key is 409 idempotency_error', async () => {
      const key = { 'idempotency-key': 'publish-0001' };
      const first = await team.call('POST', '/v2/events', { body: { type: 'order.created', data: { n: 1 } }, headers: key });
      assert.equal(first.status, 202);
      assert.equal(first.headers.get('idempotent-replayed'), null);
      const wakes = gw.engine.wakes;
      const replay = await team.call('POST', '/v2/events', { body: { type: 'order.created', data: { n: 1 } }, headers: key });
      assert.equal(replay.status, 202);
      assert.equal(replay.text, first.text);
      assert.equal(replay.headers.get('idempotent-replayed'), 'true');
      assert.equal(gw.engine.wakes, wakes, 'nothing published again');
      const events = await team.call('GET', '/v2/events?type=order.created&limit=100');
      assert.equal(events.json.data.filter((e: { id: string }) => e.id === first.json.event.id).length, 1);

      const conflict = v2Error(await team.call('POST', '/v2/events', { body: { type: 'order.created', data: { n: 2 } }, headers: key }), 409, 'idempotency_error', 'idempotency_error');
      assert.equal(conflict[0]?.field, 'Idempotency-Key');
      v2Error(await team.call('PATCH', `/v2/event-destinations/${destinations.all}`, { body: { name: 'x' }, headers: key }), 409, 'idempotency_error', 'idempotency_error');
    });

    test('keys are per team, a failed request does not use its key, and the key must be sane', async () => {
      const key = { 'idempotency-key': 'shared-key-42' };
      const other = await gw.team('other-idem');
      const mine = await team.call('POST', '/v2/events', { body: { type: 'a.b', data: {} }, headers: key });
      const theirs = await other.call('POST', '/v2/events', { body: { type: 'a.c', data: {} }, headers: key });
      assert.equal(theirs.status, 202);
      assert.notEqual(theirs.json.event.id, mine.json.event.id);

      const fresh = { 'idempotency-key': 'after-a-failure' };
      v2Error(await team.call('POST', '/v2/events', { body: { type: 'bad', data: {} }, headers: fresh }), 422, 'validation_error');
      v2Error(await team.call('PATCH', '/v2/event-destinations/evtd_0000000000000000', { body: { name: 'n' }, headers: fresh }), 404, 'not_found');
      assert.equal((await team.call('POST', '/v2/events', { body: { type: 'a.d', data: {} }, headers: fresh })).status, 202);

      const errors = v2Error(await team.call('POST', '/v2/events', { body: { type: 'a.b', data: {} }, headers: { 'idempotency-key': 'x'.repeat(300) } }), 422, 'validation_error');
      assert.equal(errors[0]?.field, 'Idempotency-Key');
      assert.equal((await team.call('GET', '/v2/events', { headers: key })).status, 200, 'GET ignores the header');
    });

    test('PATCH and DELETE are replayed too', async () => {
      const created = await team.call('POST', '/v2/event-destinations', { body: { name: 'idem', type: 'webhook', events: ['*'], webhook: { url: 'https://example.com/i' } } });
      const id = created.json.id;
      const patchKey = { 'idempotency-key': 'patch-1' };
      const patched = await team.call('PATCH', `/v2/event-destinations/${id}`, { body: { name: 'renamed' }, headers: patchKey });
      assert.equal(patched.status, 200);
      const again = await team.call('PATCH', `/v2/event-destinations/${id}`, { body: { name: 'renamed' }, headers: patchKey });
      assert.equal(again.text, patched.text);
      assert.equal(again.headers.get('idempotent-replayed'), 'true');
      const deleteKey = { 'idempotency-key': 'delete-1' };
      const deleted = await team.call('DELETE', `/v2/event-destinations/${id}`, { headers: deleteKey });
      assert.equal(deleted.status, 200);
      const deletedAgain = await team.call('DELETE', `/v2/event-destinations/${id}`, { headers: deleteKey });
      assert.equal(deletedAgain.status, 200, 'the replay, not a 404');
      assert.deepEqual(deletedAgain.json, { id, object: 'event_destination', deleted: true });
    });
  });
});
