/**
 * The API the console added, over real HTTP on the real store: text search in bodies (`GET /events?q=`), the
 * overview's metrics (`GET /metrics/events`) and bulk retries (plan, start, progress, cancel, list), each scoped by
 * team and described in the OpenAPI document. Also the console's static route.
 */
/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-call --
   The API's JSON answers are `any` (harness.ts) and read field by field: the assertions are the type checks. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startGateway, type Gateway, type Team } from './harness.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('console API', () => {
  let gw: Gateway;
  let team: Team;
  let stranger: Team;
  const ids = { source: '', destination: '', connection: '', paused: '', events: [] as string[], pausedEvents: [] as string[] };

  before(async () => {
    gw = await startGateway();
    team = await gw.team('console');
    stranger = await gw.team('stranger');
    const make = async (path: string, body: unknown) => {
      const answer = await team.call('POST', path, { body });
      assert.equal(answer.status, 201, answer.text);
      return answer.json.id as string;
    };
    ids.source = await make('/sources', { name: 'shop' });
    ids.destination = await make('/destinations', { name: 'app', config: { url: 'https://app.example' } });
    ids.connection = await make('/connections', { name: 'main', source_id: ids.source, destination_id: ids.destination });
    const other = await make('/destinations', { name: 'other', config: { url: 'https://other.example' } });
    ids.paused = await make('/connections', { name: 'side', source_id: ids.source, destination_id: other });
    await team.call('PUT', `/connections/${ids.paused}/pause`);
    const bodies = ['{"order":"A-1","total":10}', '{"order":"B-2"}', 'plain text A-1', '{"order":"C-3"}'];
    for (const body of bodies) {
      const answer = await gw.call('POST', `${gw.base}/e/${ids.source}`, { raw: body, headers: { 'content-type': 'application/json' } });
      assert.equal(answer.status, 200);
      const [main, side] = answer.json.event_ids as string[];
      ids.events.push(main ?? '');
      ids.pausedEvents.push(side ?? '');
      await sleep(2);
    }
  });
  after(async () => {
    await gw.close();
  });

  describe('GET /events?q=', () => {
    test('lists the events whose request body contains the text, with the other filters', async () => {
      const found = await team.call('GET', '/events?q=A-1&order_direction=asc');
      assert.equal(found.status, 200, found.text);
      assert.deepEqual(
        found.json.models.map((e: { id: string }) => e.id).sort(),
        [ids.events[0], ids.pausedEvents[0], ids.events[2], ids.pausedEvents[2]].sort(),
      );
      assert.equal(found.json.total_count, 4);
      assert.equal(found.headers.get('x-sluice-search-from'), null, 'nothing left out');
      const held = await team.call('GET', `/events?q=${encodeURIComponent('"order":"A-1"')}&status=HOLD`);
      assert.deepEqual(held.json.models.map((e: { id: string }) => e.id), [ids.pausedEvents[0]]);
      assert.equal((await stranger.call('GET', '/events?q=A-1')).json.total_count, 0, 'another team finds nothing');
    });

    test('refuses an empty or overlong text', async () => {
      assert.equal((await team.call('GET', '/events?q=')).status, 422);
      const long = await team.call('GET', `/events?q=${'x'.repeat(257)}`);
      assert.equal(long.status, 422);
      assert.equal(long.json.data[0].field, 'q');
    });
  });

  describe('GET /metrics/events', () => {
    test('counts the events of the window per status, the backlog and the failing destinations', async () => {
      const answer = await team.call('GET', '/metrics/events?window=15m&bucket=minute');
      assert.equal(answer.status, 200, answer.text);
      const metrics = answer.json;
      assert.equal(metrics.buckets.length, 15);
      assert.equal(metrics.window.bucket, 'minute');
      assert.equal(Date.parse(metrics.window.end) - Date.parse(metrics.window.start), 15 * 60_000);
      assert.deepEqual(metrics.totals.counts, { SCHEDULED: 0, QUEUED: 4, HOLD: 4, SUCCESSFUL: 0, FAILED: 0, CANCELLED: 0 });
      assert.equal(metrics.totals.total, 8);
      assert.equal(metrics.totals.success_rate, null);
      assert.equal(metrics.buckets.reduce((n: number, b: { total: number }) => n + b.total, 0), 8);
      assert.deepEqual({ ...metrics.backlog, oldest_pending_at: typeof metrics.backlog.oldest_pending_at }, {
        queued: 4,
        scheduled: 0,
        hold: 4,
        total: 8,
        oldest_pending_at: 'string',
      });
      assert.deepEqual(metrics.failing_destinations, []);
      const theirs = (await stranger.call('GET', '/metrics/events')).json;
      assert.equal(theirs.totals.total, 0);
      assert.equal(theirs.buckets.length, 60, 'default: the last hour by minute');
    });

    test('refuses windows over 7 days and more than 1,440 buckets, saying what to change', async () => {
      const long = await team.call('GET', '/metrics/events?window=8d&bucket=day');
      assert.equal(long.status, 422);
      assert.match(long.text, /at most 7 days/);
      const fine = await team.call('GET', '/metrics/events?window=2d&bucket=minute');
      assert.equal(fine.status, 422);
      assert.match(fine.json.data[0].message, /choose a larger bucket/);
      assert.equal((await team.call('GET', '/metrics/events?window=7d&bucket=hour')).json.buckets.length, 168);
      assert.equal((await team.call('GET', '/metrics/events?window=1x')).status, 422);
    });
  });

  describe('/bulk/events/retry', () => {
    test('plans, runs in the background and reports progress; held events are skipped', async () => {
      // Mute the first two events: CANCELLED, then retried in bulk.
      for (const id of ids.events.slice(0, 2)) assert.equal((await team.call('PUT', `/events/${id}/mute`)).status, 200);
      const plan = await team.call('GET', `/bulk/events/retry/plan?status=CANCELLED,HOLD`);
      assert.equal(plan.status, 200, plan.text);
      assert.deepEqual(plan.json, { estimated_count: 6, estimated_batch: 1, progress: 0 });

      const wakes = gw.engine.wakes;
      const started = await team.call('POST', '/bulk/events/retry', { body: { query: { status: ['CANCELLED', 'HOLD'] } } });
      assert.equal(started.status, 201, started.text);
      assert.match(started.json.id, /^bch_/);
      assert.equal(started.json.estimated_count, 6);
      assert.deepEqual(started.json.query, { status: ['CANCELLED', 'HOLD'] });
      let job = started.json;
      // A deadline, not a count of polls: on a loaded machine 100 polls of 20 ms can pass before a small job ends.
      for (const until = Date.now() + 30_000; job.in_progress && Date.now() < until; ) {
        await sleep(20);
        job = (await team.call('GET', `/bulk/events/retry/${job.id}`)).json;
      }
      assert.equal(job.in_progress, false);
      assert.equal(job.progress, 1);
      assert.deepEqual([job.processed_count, job.retried_count, job.skipped_count], [6, 2, 4]);
      assert.notEqual(job.completed_at, null);
      assert.ok(gw.engine.wakes > wakes, 'the dispatcher is woken');
      for (const id of ids.events.slice(0, 2)) assert.equal((await team.call('GET', `/events/${id}`)).json.status, 'QUEUED');
      for (const id of ids.pausedEvents) assert.equal((await team.call('GET', `/events/${id}`)).json.status, 'HOLD');

      const list = await team.call('GET', '/bulk/events/retry');
      assert.deepEqual(list.json.models.map((j: { id: string }) => j.id), [job.id]);
      assert.equal((await stranger.call('GET', `/bulk/events/retry/${job.id}`)).status, 404);
      assert.equal((await stranger.call('GET', '/bulk/events/retry')).json.count, 0);
    });

    test('takes the time range as an object and the text search; cancel answers the job, stopped', async () => {
      const started = await team.call('POST', '/bulk/events/retry', {
        body: { query: { q: 'A-1', created_at: { gte: '2000-01-01T00:00:00Z' }, webhook_id: ids.connection } },
      });
      assert.equal(started.status, 201, started.text);
      assert.equal(started.json.estimated_count, 2);
      const cancelled = await team.call('POST', `/bulk/events/retry/${started.json.id}/cancel`);
      assert.equal(cancelled.status, 200);
      assert.equal(cancelled.json.in_progress, false);
      assert.equal(typeof (cancelled.json.cancelled_at ?? cancelled.json.completed_at), 'string');
      assert.equal((await team.call('POST', '/bulk/events/retry/bch_nope/cancel')).status, 404);
    });

    test('refuses unknown query fields, naming them', async () => {
      const answer = await team.call('POST', '/bulk/events/retry', { body: { query: { state: 'FAILED' } } });
      assert.equal(answer.status, 422);
      assert.match(answer.text, /state/);
    });
  });

  test('the OpenAPI document describes them', async () => {
    const doc = (await gw.call('GET', '/openapi.json')).json;
    for (const path of ['/metrics/events', '/bulk/events/retry', '/bulk/events/retry/plan', '/bulk/events/retry/{id}', '/bulk/events/retry/{id}/cancel']) {
      assert.ok(doc.paths[path] !== undefined, path);
    }
    assert.ok(doc.paths['/events'].get.parameters.some((p: { name: string }) => p.name === 'q'));
    assert.ok(doc.paths['/metrics/events'].get.responses['200'].content['application/json'].schema.properties.backlog !== undefined);
  });

  test('the console is served at /console (a page saying how to build it when it is not built)', async () => {
    const page = await gw.call('GET', '/console/events');
    assert.ok(page.status === 200 || page.status === 503, String(page.status));
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    assert.equal(page.headers.get('x-frame-options'), 'DENY');
    assert.equal((await gw.call('GET', '/console/assets/..%2f..%2fpackage.json')).headers.get('content-type')?.startsWith('text/html'), true);
  });
});
