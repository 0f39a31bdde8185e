/**
 * Seed 003's Events API over real HTTP, with events made by real ingest into the real store: the event shape and
 * field order, every filter, the after/before cursors (a round trip), total_count/count, the event with its
 * original request, mute, manual retry (through the engine), and /requests and /attempts.
 */
/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-call --
   The API's JSON answers are `any` (harness.ts) and read field by field: the assertions are the type checks. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { newId } from '../../src/domain/ids.js';
import type { AttemptRecord } from '../../src/domain/model.js';
import { startGateway, type Gateway, type Team } from './harness.js';

const EVENT_KEYS = [
  'id', 'team_id', 'webhook_id', 'source_id', 'destination_id', 'request_id', 'duplicate_event_id', 'status', 'attempts',
  'response_status', 'error_code', 'last_attempt_at', 'next_attempt_at', 'successful_at', 'updated_at', 'created_at',
];
const ATTEMPT_KEYS = [
  'id', 'team_id', 'event_id', 'destination_id', 'attempt_number', 'trigger', 'status', 'response_status', 'error_code', 'body',
  'requested_url', 'http_method', 'delivery_latency', 'response_latency', 'successful_at', 'updated_at', 'created_at',
];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('events API', () => {
  let gw: Gateway;
  let team: Team;
  /** Source A has connections A1, A2 (paused); source B has B1. Seven requests: 4 to A, 3 to B. */
  const world = {
    sourceA: '', sourceB: '', destination1: '', destination2: '', a1: '', a2: '', b1: '',
    requests: [] as string[],
    events: [] as string[],
  };

  before(async () => {
    gw = await startGateway();
    team = await gw.team('events');
    const make = async (path: string, body: unknown) => {
      const answer = await team.call('POST', path, { body });
      assert.ok(answer.status === 201, answer.text);
      return answer.json.id as string;
    };
    world.sourceA = await make('/sources', { name: 'a' });
    world.sourceB = await make('/sources', { name: 'b' });
    world.destination1 = await make('/destinations', { name: 'd1', config: { url: 'https://one.example' } });
    world.destination2 = await make('/destinations', { name: 'd2', config: { url: 'https://two.example' } });
    world.a1 = await make('/connections', { name: 'a1', source_id: world.sourceA, destination_id: world.destination1 });
    world.a2 = await make('/connections', { name: 'a2', source_id: world.sourceA, destination_id: world.destination2 });
    world.b1 = await make('/connections', { name: 'b1', source_id: world.sourceB, destination_id: world.destination1 });
    await team.call('PUT', `/connections/${world.a2}/pause`);
    for (let i = 0; i < 7; i++) {
      const source = i < 4 ? world.sourceA : world.sourceB;
      const answer = await gw.call('POST', `${gw.base}/e/${source}`, { body: { n: i }, headers: { 'x-n': String(i) } });
      assert.equal(answer.status, 200);
      world.requests.push(answer.json.request_id);
      world.events.push(...answer.json.event_ids);
      await sleep(2); // distinct created_at for the time-range filters
    }
  });
  after(async () => {
    await gw.close();
  });

  const ids = (answer: { json: { models: { id: string }[] } }) => answer.json.models.map((m) => m.id);

  test('GET /events: the seed shape, newest first, every event of the team', async () => {
    const answer = await team.call('GET', '/events');
    assert.equal(answer.status, 200);
    assert.deepEqual(Object.keys(answer.json), ['pagination', 'total_count', 'count', 'models']);
    assert.deepEqual(answer.json.pagination, { order_by: 'created_at', order_direction: 'desc', limit: 100, after: null, before: null });
    assert.equal(answer.json.total_count, world.events.length);
    assert.equal(answer.json.count, world.events.length);
    for (const model of answer.json.models) assert.deepEqual(Object.keys(model), EVENT_KEYS);
    const listed = ids(answer);
    assert.deepEqual(listed, [...listed].sort().reverse(), 'desc by creation');
    assert.deepEqual(new Set(listed), new Set(world.events));
  });

  test('pagination: after/before round trip, count per page, total_count constant', async () => {
    const all = ids(await team.call('GET', '/events?limit=250'));
    const first = await team.call('GET', '/events?limit=3');
    assert.deepEqual(ids(first), all.slice(0, 3));
    assert.equal(first.json.count, 3);
    assert.equal(first.json.total_count, all.length);
    assert.equal(first.json.pagination.before, null, 'no page before the first');
    assert.equal(first.json.pagination.after, all[2]);

    const second = await team.call('GET', `/events?limit=3&after=${first.json.pagination.after}`);
    assert.deepEqual(ids(second), all.slice(3, 6));
    assert.equal(second.json.total_count, all.length);
    assert.equal(second.json.pagination.before, all[3]);

    const back = await team.call('GET', `/events?limit=3&before=${second.json.pagination.before}`);
    assert.deepEqual(ids(back), all.slice(0, 3), 'before returns the previous page, in the same order');

    let page = first;
    const seen: string[] = [];
    while (true) {
      seen.push(...ids(page));
      if (page.json.pagination.after === null) break;
      page = await team.call('GET', `/events?limit=3&after=${page.json.pagination.after}`);
    }
    assert.deepEqual(seen, all, 'walking after to the end visits every event once');

    const asc = await team.call('GET', '/events?order_direction=asc&order_by=created_at&limit=2');
    assert.deepEqual(ids(asc), [...all].reverse().slice(0, 2));
    assert.equal(asc.json.pagination.order_direction, 'asc');
  });

  test('filters: source, connection, destination, request, status (comma and repeated), time range', async () => {
    const bySource = await team.call('GET', `/events?source_id=${world.sourceB}`);
    assert.ok(bySource.json.total_count > 0);
    for (const event of bySource.json.models) assert.equal(event.source_id, world.sourceB);

    const byConnection = await team.call('GET', `/events?webhook_id=${world.a2}`);
    for (const event of byConnection.json.models) {
      assert.equal(event.webhook_id, world.a2);
      assert.equal(event.status, 'HOLD');
    }
    const byDestination = await team.call('GET', `/events?destination_id=${world.destination2}`);
    assert.deepEqual(ids(byDestination), ids(byConnection));

    const byRequest = await team.call('GET', `/events?request_id=${world.requests[0]}`);
    assert.equal(byRequest.json.total_count, 2);

    const held = await team.call('GET', '/events?status=HOLD');
    assert.equal(held.json.total_count, byConnection.json.total_count);
    const both = await team.call('GET', '/events?status=HOLD,QUEUED');
    const repeated = await team.call('GET', '/events?status=HOLD&status=QUEUED');
    assert.equal(both.json.total_count, world.events.length);
    assert.deepEqual(ids(repeated), ids(both));
    assert.equal((await team.call('GET', '/events?status=SUCCESSFUL')).json.total_count, 0);

    const all = (await team.call('GET', '/events?order_direction=asc&limit=250')).json.models;
    const middle = all[Math.floor(all.length / 2)];
    const from = await team.call('GET', `/events?created_at[gte]=${middle.created_at}&limit=250`);
    assert.ok(from.json.models.every((e: { created_at: string }) => e.created_at >= middle.created_at));
    assert.equal(from.json.total_count, all.filter((e: { created_at: string }) => e.created_at >= middle.created_at).length);
    const until = await team.call('GET', `/events?created_at[lte]=${middle.created_at}&limit=250`);
    assert.equal(until.json.total_count, all.filter((e: { created_at: string }) => e.created_at <= middle.created_at).length);
    const exactly = await team.call('GET', `/events?created_at[gte]=${middle.created_at}&created_at[lte]=${middle.created_at}`);
    assert.ok(exactly.json.models.every((e: { created_at: string }) => e.created_at === middle.created_at));
    assert.ok(exactly.json.total_count >= 1);
    const afterAll = await team.call('GET', `/events?created_after=${all[all.length - 1].created_at}`);
    assert.equal(afterAll.json.total_count, 0, 'created_after is strict');
  });

  test('response_status and error_code filters, attempts list and get', async () => {
    const [eventId] = world.events;
    const event = (await team.call('GET', `/events/${eventId}`)).json;
    const now = Date.now();
    const attempt = (n: number, status: number): AttemptRecord => ({
      id: newId('attempt', now + n),
      teamId: team.id,
      eventId: event.id,
      destinationId: event.destination_id,
      attemptNumber: n,
      trigger: 'MANUAL',
      status: status < 300 ? 'SUCCESSFUL' : 'FAILED',
      responseStatus: status,
      errorCode: null,
      body: status < 300 ? '{"received":true}' : 'oops',
      requestedUrl: 'https://one.example',
      httpMethod: 'POST',
      deliveryLatency: 12,
      responseLatency: 10,
      successfulAt: status < 300 ? now + n : null,
      createdAt: now + n,
      updatedAt: now + n,
    });
    // Real attempts through the real store, as the dispatcher records them.
    await gw.store.recordAttempts([{ attempt: attempt(1, 500), leaseToken: null, nextAttemptAt: null }], now);
    await gw.store.recordAttempts([{ attempt: attempt(2, 200), leaseToken: null, nextAttemptAt: null }], now + 2);

    const ok = await team.call('GET', '/events?response_status=200');
    assert.deepEqual(ids(ok), [event.id]);
    assert.equal(ok.json.models[0].status, 'SUCCESSFUL');
    assert.equal(ok.json.models[0].attempts, 2);
    assert.deepEqual(ids(await team.call('GET', '/events?response_status=500,200')), [event.id]);
    assert.equal((await team.call('GET', '/events?response_status=404')).json.total_count, 0);
    assert.equal((await team.call('GET', '/events?error_code=TIMEOUT')).json.total_count, 0);

    const attempts = await team.call('GET', `/attempts?event_id=${event.id}&order_direction=asc`);
    assert.equal(attempts.status, 200);
    assert.deepEqual(Object.keys(attempts.json), ['pagination', 'total_count', 'count', 'models']);
    assert.equal(attempts.json.total_count, 2);
    const [first, second] = attempts.json.models;
    assert.deepEqual(Object.keys(first), ATTEMPT_KEYS);
    assert.equal(first.body, 'oops');
    assert.deepEqual(second.body, { received: true }, 'a JSON response body is shown parsed, as in the seed');
    assert.equal(second.status, 'SUCCESSFUL');
    assert.equal(second.trigger, 'MANUAL');
    const one = await team.call('GET', `/attempts/${first.id}`);
    assert.deepEqual(one.json, first);
    assert.equal((await team.call('GET', '/attempts/att_0000000000000000')).status, 404);
  });

  test('GET /events/:id has the original request headers and body', async () => {
    const [eventId] = world.events;
    const answer = await team.call('GET', `/events/${eventId}`);
    assert.equal(answer.status, 200);
    assert.deepEqual(Object.keys(answer.json), [...EVENT_KEYS, 'request']);
    assert.deepEqual(answer.json.request.body, { n: 0 });
    assert.equal(answer.json.request.headers['x-n'], '0');
    assert.equal(answer.json.request.headers['content-type'], 'application/json');
    assert.equal((await team.call('GET', '/events/evt_0000000000000000')).status, 404);
    assert.equal((await team.call('GET', '/events/bogus')).status, 404);
  });

  test('PUT /events/:id/mute cancels retries and answers the event with its request', async () => {
    const queued = (await team.call('GET', '/events?status=QUEUED&limit=1')).json.models[0];
    const answer = await team.call('PUT', `/events/${queued.id}/mute`);
    assert.equal(answer.status, 200);
    assert.equal(answer.json.id, queued.id);
    assert.equal(answer.json.status, 'CANCELLED');
    assert.equal(answer.json.next_attempt_at, null);
    assert.ok(answer.json.request.headers);
    assert.deepEqual(Object.keys(answer.json), [...EVENT_KEYS, 'request']);
    assert.equal((await team.call('GET', `/events/${queued.id}`)).json.status, 'CANCELLED');
    assert.equal((await team.call('PUT', '/events/evt_0000000000000000/mute')).status, 404);
  });

  test('POST /events/:id/retry asks the engine for an attempt now and answers it', async () => {
    const eventId = world.events[1] as string;
    const now = Date.now();
    gw.engine.nextAttempt = {
      id: newId('attempt', now),
      teamId: team.id,
      eventId,
      destinationId: world.destination1,
      attemptNumber: 3,
      trigger: 'MANUAL',
      status: 'FAILED',
      responseStatus: 503,
      errorCode: null,
      body: '{}',
      requestedUrl: 'https://one.example',
      httpMethod: 'POST',
      deliveryLatency: 5,
      responseLatency: 4,
      successfulAt: null,
      createdAt: now,
      updatedAt: now,
    };
    const answer = await team.call('POST', `/events/${eventId}/retry`);
    assert.equal(answer.status, 200, answer.text);
    assert.deepEqual(Object.keys(answer.json), ATTEMPT_KEYS);
    assert.equal(answer.json.event_id, eventId);
    assert.equal(answer.json.response_status, 503);
    assert.deepEqual(answer.json.body, {});
    assert.equal(answer.json.successful_at, null);
    assert.deepEqual(gw.engine.retries.at(-1), { teamId: team.id, eventId });

    gw.engine.nextAttempt = null;
    const missing = await team.call('POST', `/events/${eventId}/retry`);
    assert.equal(missing.status, 404);
    assert.equal(missing.json.code, 'NOT_FOUND');
    const retries = gw.engine.retries.length;
    assert.equal((await team.call('POST', '/events/not-an-id/retry')).status, 404);
    assert.equal(gw.engine.retries.length, retries, 'a malformed id never reaches the engine');
  });

  test('GET /requests and /requests/:id', async () => {
    const list = await team.call('GET', '/requests?limit=2');
    assert.equal(list.status, 200);
    assert.deepEqual(Object.keys(list.json), ['pagination', 'total_count', 'count', 'models']);
    assert.equal(list.json.total_count, world.requests.length);
    assert.equal(list.json.count, 2);
    assert.deepEqual(Object.keys(list.json.models[0]), [
      'id', 'team_id', 'source_id', 'method', 'path', 'query', 'rejection_cause', 'event_ids', 'events_count', 'ignored_count', 'ignored', 'created_at',
    ]);
    const next = await team.call('GET', `/requests?limit=2&after=${list.json.pagination.after}`);
    assert.equal(next.json.count, 2);
    assert.notDeepEqual(ids(next), ids(list));
    const bySource = await team.call('GET', `/requests?source_id=${world.sourceB}`);
    for (const request of bySource.json.models) assert.equal(request.source_id, world.sourceB);
    assert.equal((await team.call('GET', '/requests?rejection_cause=NO_CONNECTION')).json.total_count, 0);

    const one = await team.call('GET', `/requests/${world.requests[0]}`);
    assert.deepEqual(one.json.body, { n: 0 });
    assert.equal(one.json.events_count, 2);
    assert.equal((await team.call('GET', '/requests/req_0000000000000000')).status, 404);
  });

  test('bad list queries are 422 naming the parameter', async () => {
    const cases: [string, string][] = [
      ['/events?status=NOPE', 'status'],
      ['/events?status=HOLD,nope', 'status'],
      ['/events?limit=0', 'limit'],
      ['/events?limit=251', 'limit'],
      ['/events?order_by=id', 'order_by'],
      ['/events?order_direction=sideways', 'order_direction'],
      ['/events?after=evt_bad', 'after'],
      ['/events?after=req_0000000000000000', 'after'],
      ['/events?after=evt_0000000000000000&before=evt_0000000000000000', 'before'],
      ['/events?created_at[gte]=yesterday', 'created_at[gte]'],
      ['/events?response_status=abc', 'response_status'],
      ['/events?error_code=OOPS', 'error_code'],
      ['/events?sattus=HOLD', 'sattus'],
      ['/requests?rejection_cause=MAYBE', 'rejection_cause'],
      ['/attempts?created_at[gte]=2020-01-01', 'created_at[gte]'],
    ];
    for (const [path, field] of cases) {
      const answer = await team.call('GET', path);
      assert.equal(answer.status, 422, `${path}: ${answer.text}`);
      assert.equal(answer.json.code, 'VALIDATION_ERROR');
      assert.equal(answer.json.data[0].field, field, path);
    }
  });
});
