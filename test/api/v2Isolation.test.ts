/**
 * Team isolation on every /v2 route: team B, with its own valid key, gets 404 for each of team A's objects, sees
 * none of them in any list, cannot reach A's destinations by publishing, and has its own event ids. Team A's
 * objects are unchanged afterwards.
 */
/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment --
   The API's JSON answers are `any` (harness.ts) and read field by field: the assertions are the type checks. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startGateway, type Gateway, type Team } from './harness.js';
import { v2Error } from './v2Support.js';

describe('/v2 team isolation', () => {
  let gw: Gateway;
  let a: Team;
  let b: Team;
  let destination = '';
  let delivery = '';
  let before_ = '';

  before(async () => {
    gw = await startGateway();
    a = await gw.team('a');
    b = await gw.team('b');
    destination = (await a.call('POST', '/v2/event-destinations', { body: { name: 'A', type: 'webhook', events: ['*'], webhook: { url: 'https://a.example/hook' } } })).json.id;
    await a.call('POST', '/v2/events', { body: { type: 'order.created', data: { secret: 'of team a' }, id: 'shared-1' } });
    delivery = (await a.call('GET', `/v2/event-destinations/${destination}/event-deliveries`)).json.data[0].id;
    before_ = (await a.call('GET', `/v2/event-destinations/${destination}`)).text;
  });
  after(async () => {
    await gw.close();
  });

  test("every /v2 route that takes an id answers 404 to another team's id", async () => {
    const routes: [string, string, unknown?][] = [
      ['GET', '/v2/events/shared-1'],
      ['GET', `/v2/event-destinations/${destination}`],
      ['PATCH', `/v2/event-destinations/${destination}`, { name: 'mine now', status: 'inactive' }],
      ['DELETE', `/v2/event-destinations/${destination}`],
      ['GET', `/v2/event-destinations/${destination}/event-deliveries`],
      ['GET', `/v2/event-destinations/${destination}/event-deliveries/${delivery}`],
      ['POST', `/v2/event-destinations/${destination}/event-deliveries/${delivery}/retry`],
    ];
    const retries = gw.engine.retries.length;
    for (const [method, path, body] of routes) {
      v2Error(await b.call(method, path, body === undefined ? {} : { body }), 404, 'not_found');
    }
    assert.equal(gw.engine.retries.length, retries, 'the engine is never asked on behalf of another team');
    assert.equal(gw.engine.forgotten.includes(destination), false);
  });

  test("lists show none of another team's objects", async () => {
    assert.deepEqual((await b.call('GET', '/v2/events')).json.data, []);
    assert.deepEqual((await b.call('GET', '/v2/events?type=order.created')).json.data, []);
    assert.deepEqual((await b.call('GET', '/v2/event-destinations')).json.data, []);
    assert.deepEqual((await b.call('GET', '/v2/event-destinations?type=webhook&status=active')).json.data, []);
  });

  test("event ids are per team, and publishing never reaches another team's destinations", async () => {
    const own = await b.call('POST', '/v2/events', { body: { type: 'order.created', data: {}, id: 'shared-1' } });
    assert.equal(own.status, 202, 'the same id in another team is another event');
    assert.deepEqual(own.json.destinations, []);
    assert.deepEqual((await b.call('GET', '/v2/events/shared-1')).json.data, {});
    const log = await a.call('GET', `/v2/event-destinations/${destination}/event-deliveries`);
    assert.equal(log.json.data.length, 1, "team B's event was not delivered to team A");
    assert.deepEqual((await a.call('GET', '/v2/events/shared-1')).json.data, { secret: 'of team a' });
  });

  test("team A's objects are unchanged", async () => {
    assert.equal((await a.call('GET', `/v2/event-destinations/${destination}`)).text, before_);
  });
});
