/**
 * Team isolation on every route: team B, with its own valid key, gets 404 for each of team A's objects on every
 * endpoint that takes an id, cannot build on A's objects, and sees none of them in any list or filter. Team A's
 * objects are unchanged afterwards.
 */
/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-argument --
   The API's JSON answers are `any` (harness.ts) and read field by field: the assertions are the type checks. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { newId } from '../../src/domain/ids.js';
import { startGateway, type Gateway, type Team } from './harness.js';

describe('team isolation', () => {
  let gw: Gateway;
  let a: Team;
  let b: Team;
  const owned = { source: '', destination: '', connection: '', request: '', event: '', attempt: '' };

  before(async () => {
    gw = await startGateway();
    a = await gw.team('a');
    b = await gw.team('b');
    owned.source = (await a.call('POST', '/sources', { body: { name: 'shared-name' } })).json.id;
    owned.destination = (await a.call('POST', '/destinations', { body: { name: 'shared-name', config: { url: 'https://a.example' } } })).json.id;
    owned.connection = (
      await a.call('POST', '/connections', { body: { name: 'shared-name', source_id: owned.source, destination_id: owned.destination } })
    ).json.id;
    const ingested = await gw.call('POST', `${gw.base}/e/${owned.source}`, { body: { secret: 'of team a' } });
    owned.request = ingested.json.request_id;
    owned.event = ingested.json.event_ids[0];
    const now = Date.now();
    owned.attempt = newId('attempt', now);
    await gw.store.recordAttempts(
      [
        {
          attempt: {
            id: owned.attempt, teamId: a.id, eventId: owned.event, destinationId: owned.destination, attemptNumber: 1, trigger: 'MANUAL',
            status: 'FAILED', responseStatus: 500, errorCode: null, body: null, requestedUrl: 'https://a.example', httpMethod: 'POST',
            deliveryLatency: 1, responseLatency: 1, successfulAt: null, createdAt: now, updatedAt: now,
          },
          leaseToken: null,
          nextAttemptAt: null,
        },
      ],
      now,
    );
    // The engine would find the event for team A; it must never be asked on behalf of team B.
    gw.engine.nextAttempt = null;
  });
  after(async () => {
    await gw.close();
  });

  test("every route that takes an id answers 404 to another team's id", async () => {
    const { source, destination, connection, request, event, attempt } = owned;
    const routes: [string, string, unknown?][] = [
      ['GET', `/sources/${source}`],
      ['PUT', `/sources/${source}`, { description: 'mine now' }],
      ['PUT', `/sources/${source}/disable`],
      ['PUT', `/sources/${source}/enable`],
      ['DELETE', `/sources/${source}`],
      ['GET', `/destinations/${destination}`],
      ['PUT', `/destinations/${destination}`, { config: { url: 'https://b.example' } }],
      ['PUT', `/destinations/${destination}/disable`],
      ['PUT', `/destinations/${destination}/enable`],
      ['DELETE', `/destinations/${destination}`],
      ['GET', `/connections/${connection}`],
      ['PUT', `/connections/${connection}`, { name: 'stolen' }],
      ['PUT', `/connections/${connection}/disable`],
      ['PUT', `/connections/${connection}/enable`],
      ['PUT', `/connections/${connection}/pause`],
      ['PUT', `/connections/${connection}/unpause`],
      ['DELETE', `/connections/${connection}`],
      ['GET', `/events/${event}`],
      ['PUT', `/events/${event}/mute`],
      ['POST', `/events/${event}/retry`],
      ['GET', `/requests/${request}`],
      ['GET', `/attempts/${attempt}`],
    ];
    for (const [method, path, body] of routes) {
      const answer = await b.call(method, path, body === undefined ? {} : { body });
      assert.equal(answer.status, 404, `${method} ${path} as team B: ${answer.text}`);
      assert.equal(answer.json.code, 'NOT_FOUND');
      assert.ok(!answer.text.includes('of team a'));
    }
    assert.ok(gw.engine.retries.every((retry) => retry.teamId === b.id), 'the engine is asked with the caller\'s team only');
  });

  test("another team's source or destination cannot be used in a connection", async () => {
    const ownSource = (await b.call('POST', '/sources', { body: { name: 'b-src' } })).json.id;
    const ownDestination = (await b.call('POST', '/destinations', { body: { name: 'b-des', config: { url: 'https://b.example' } } })).json.id;
    const foreignSource = await b.call('POST', '/connections', { body: { name: 'x', source_id: owned.source, destination_id: ownDestination } });
    assert.equal(foreignSource.status, 404);
    assert.match(foreignSource.json.message, /source_id/);
    const foreignDestination = await b.call('POST', '/connections', { body: { name: 'x', source_id: ownSource, destination_id: owned.destination } });
    assert.equal(foreignDestination.status, 404);
    assert.match(foreignDestination.json.message, /destination_id/);
  });

  test('names are unique per team, not across teams', async () => {
    assert.equal((await b.call('POST', '/sources', { body: { name: 'shared-name' } })).status, 201);
    assert.equal((await b.call('POST', '/destinations', { body: { name: 'shared-name', config: { url: 'https://b.example' } } })).status, 201);
  });

  test("lists and filters never show another team's objects", async () => {
    const lists = [
      '/sources', '/destinations', '/connections', '/events', '/requests', '/attempts',
      `/connections?source_id=${owned.source}`, `/connections?destination_id=${owned.destination}`, '/sources?name=shared-name',
      `/events?source_id=${owned.source}`, `/events?webhook_id=${owned.connection}`, `/events?destination_id=${owned.destination}`,
      `/events?request_id=${owned.request}`, `/requests?source_id=${owned.source}`, `/attempts?event_id=${owned.event}`,
    ];
    const ownIds = new Set(Object.values(owned));
    for (const path of lists) {
      const answer = await b.call('GET', path);
      assert.equal(answer.status, 200, path);
      for (const model of answer.json.models) {
        assert.ok(!ownIds.has(model.id), `${path} shows team A's ${model.id}`);
        assert.equal(model.team_id, b.id, path);
      }
      if (answer.json.total_count !== undefined && path.includes(owned.source)) assert.equal(answer.json.total_count, 0, path);
    }
    const teamsOwn = await b.call('GET', '/team');
    assert.equal(teamsOwn.json.id, b.id);
  });

  test("team A's objects are untouched", async () => {
    const source = (await a.call('GET', `/sources/${owned.source}`)).json;
    assert.equal(source.description, null);
    assert.equal(source.disabled_at, null);
    const connection = (await a.call('GET', `/connections/${owned.connection}`)).json;
    assert.equal(connection.name, 'shared-name');
    assert.equal(connection.paused_at, null);
    assert.equal(connection.disabled_at, null);
    const destination = (await a.call('GET', `/destinations/${owned.destination}`)).json;
    assert.equal(destination.config.url, 'https://a.example');
    const event = (await a.call('GET', `/events/${owned.event}`)).json;
    assert.equal(event.status, 'QUEUED');
    assert.deepEqual(event.request.body, { secret: 'of team a' });
    assert.equal((await a.call('GET', `/attempts/${owned.attempt}`)).status, 200);
  });
});
