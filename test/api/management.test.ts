/**
 * The management API of the inbound face over real HTTP: sources, destinations and connections — create, list
 * (pagination next/prev), get, partial update, delete, state changes — and the 4xx answers to bad input.
 */
/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-call --
   The API's JSON answers are `any` (harness.ts) and read field by field: the assertions are the type checks. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startGateway, type Gateway, type Team } from './harness.js';

const SOURCE_KEYS = ['id', 'name', 'description', 'team_id', 'url', 'config', 'disabled_at', 'created_at', 'updated_at'];
const DESTINATION_KEYS = ['id', 'name', 'description', 'team_id', 'type', 'config', 'disabled_at', 'created_at', 'updated_at'];
const CONNECTION_KEYS = [
  'id', 'name', 'full_name', 'description', 'team_id', 'source', 'destination', 'rules', 'paused_at', 'disabled_at', 'created_at', 'updated_at',
];
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

describe('management API', () => {
  let gw: Gateway;
  let team: Team;
  before(async () => {
    gw = await startGateway();
    team = await gw.team('mgmt');
  });
  after(async () => {
    await gw.close();
  });

  async function expect422(method: string, path: string, body: unknown, field: string, pattern?: RegExp) {
    const answer = await team.call(method, path, { body });
    assert.equal(answer.status, 422, `${method} ${path} ${JSON.stringify(body)} → ${answer.text}`);
    assert.equal(answer.json.code, 'VALIDATION_ERROR');
    assert.equal(answer.json.status, 422);
    assert.match(answer.json.message, /Correct it/);
    const problem = answer.json.data.find((p: { field: string }) => p.field === field);
    assert.ok(problem, `expected a problem on ${field}, got ${JSON.stringify(answer.json.data)}`);
    if (pattern !== undefined) assert.match(problem.message, pattern);
    return answer;
  }

  test('sources: create with defaults, get, list, update, disable/enable, delete', async () => {
    const created = await team.call('POST', '/sources', { body: { name: 'shopify-orders' } });
    assert.equal(created.status, 201);
    const source = created.json;
    assert.deepEqual(Object.keys(source), SOURCE_KEYS);
    assert.match(source.id, /^src_/);
    assert.equal(source.team_id, team.id);
    assert.equal(source.url, `${gw.base}/e/${source.id}`);
    assert.deepEqual(source.config, {
      allowed_http_methods: ['POST', 'PUT', 'PATCH', 'DELETE'],
      custom_response: null,
      auth_type: null,
      auth: null,
      rate_limit: null,
      rate_limit_period: null,
    });
    assert.equal(source.description, null);
    assert.equal(source.disabled_at, null);
    assert.match(source.created_at, ISO);

    assert.deepEqual((await team.call('GET', `/sources/${source.id}`)).json, source);

    const updated = await team.call('PUT', `/sources/${source.id}`, {
      body: { description: 'orders', config: { custom_response: { content_type: 'json', body: '{"ok":true}' } } },
    });
    assert.equal(updated.status, 200);
    assert.equal(updated.json.name, 'shopify-orders', 'fields not sent are kept');
    assert.equal(updated.json.description, 'orders');
    assert.deepEqual(updated.json.config.allowed_http_methods, ['POST', 'PUT', 'PATCH', 'DELETE'], 'config fields not sent are kept');
    assert.deepEqual(updated.json.config.custom_response, { content_type: 'json', body: '{"ok":true}' });
    const cleared = await team.call('PUT', `/sources/${source.id}`, { body: { description: null, config: { custom_response: null } } });
    assert.equal(cleared.json.description, null);
    assert.equal(cleared.json.config.custom_response, null);

    const disabled = await team.call('PUT', `/sources/${source.id}/disable`);
    assert.equal(disabled.status, 200);
    assert.match(disabled.json.disabled_at, ISO);
    const enabled = await team.call('PUT', `/sources/${source.id}/enable`);
    assert.equal(enabled.json.disabled_at, null);

    const deleted = await team.call('DELETE', `/sources/${source.id}`);
    assert.deepEqual(deleted.json, { id: source.id });
    assert.equal((await team.call('GET', `/sources/${source.id}`)).status, 404);
    assert.equal((await team.call('DELETE', `/sources/${source.id}`)).status, 404);
  });

  test('sources: names are unique per team (409), filterable, and lists page with next/prev', async () => {
    const own = await gw.team('mgmt-list');
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await own.call('POST', '/sources', { body: { name: `s${i}` } })).json.id);
    const duplicate = await own.call('POST', '/sources', { body: { name: 's1' } });
    assert.equal(duplicate.status, 409);
    assert.equal(duplicate.json.code, 'CONFLICT');

    const byName = await own.call('GET', '/sources?name=s3');
    assert.equal(byName.json.count, 1);
    assert.equal(byName.json.models[0].id, ids[3]);
    await own.call('POST', '/sources', { body: { name: 'S-Shop' } });
    const containing = await own.call('GET', '/sources?name_contains=S&limit=100');
    assert.equal(containing.status, 200);
    assert.deepEqual(containing.json.models.map((m: { name: string }) => m.name).sort(), ['S-Shop', 's0', 's1', 's2', 's3', 's4'], 'case-insensitive');
    assert.deepEqual((await own.call('GET', '/sources?name_contains=hop')).json.models.map((m: { name: string }) => m.name), ['S-Shop']);
    const empty = await own.call('GET', '/sources?name_contains=');
    assert.equal(empty.status, 422);
    assert.equal(empty.json.code, 'VALIDATION_ERROR');
    await own.call('DELETE', `/sources/${(await own.call('GET', '/sources?name=S-Shop')).json.models[0].id}`);
    await own.call('POST', '/destinations', { body: { name: 'Shop-Hooks', config: { url: 'https://example.com/h' } } });
    assert.deepEqual((await own.call('GET', '/destinations?name_contains=SHOP')).json.models.map((m: { name: string }) => m.name), ['Shop-Hooks']);

    const first = await own.call('GET', '/sources?limit=2');
    assert.equal(first.status, 200);
    assert.deepEqual(Object.keys(first.json), ['pagination', 'count', 'models']);
    assert.deepEqual(first.json.pagination, { order_by: 'created_at', dir: 'desc', limit: 2, next: ids[3], prev: null });
    assert.deepEqual(first.json.models.map((m: { id: string }) => m.id), [ids[4], ids[3]]);
    const second = await own.call('GET', `/sources?limit=2&next=${first.json.pagination.next}`);
    assert.deepEqual(second.json.models.map((m: { id: string }) => m.id), [ids[2], ids[1]]);
    const back = await own.call('GET', `/sources?limit=2&prev=${second.json.pagination.prev}`);
    assert.deepEqual(back.json.models.map((m: { id: string }) => m.id), [ids[4], ids[3]]);
    const asc = await own.call('GET', '/sources?dir=asc&limit=250');
    assert.deepEqual(asc.json.models.map((m: { id: string }) => m.id), ids);
    assert.equal(asc.json.count, 5);
  });

  test('sources: bad input is 422 naming each field', async () => {
    await expect422('POST', '/sources', {}, 'name', /required/);
    await expect422('POST', '/sources', { name: 'has space' }, 'name', /letters, digits/);
    await expect422('POST', '/sources', { name: 'x'.repeat(156) }, 'name');
    await expect422('POST', '/sources', { name: 42 }, 'name');
    await expect422('POST', '/sources', { name: 'ok', nmae: 'typo' }, 'nmae', /not a field.*name, description, config/);
    await expect422('POST', '/sources', { name: 'ok', config: { allowed_http_methods: [] } }, 'config.allowed_http_methods', /at least 1/);
    await expect422('POST', '/sources', { name: 'ok', config: { allowed_http_methods: ['post'] } }, 'config.allowed_http_methods[0]', /upper case/);
    await expect422('POST', '/sources', { name: 'ok', config: { allowed_http_methods: ['POST', 'POST'] } }, 'config.allowed_http_methods');
    await expect422('POST', '/sources', { name: 'ok', config: { custom_response: { content_type: 'html', body: 'x' } } }, 'config.custom_response.content_type', /"json", "text" or "xml"/);
    await expect422('POST', '/sources', { name: 'ok', config: { custom_response: { content_type: 'text', body: 'x'.repeat(1001) } } }, 'config.custom_response.body', /1000/);
    await expect422('POST', '/sources', { name: 'ok', description: 7 }, 'description');
    const body = await expect422('POST', '/sources', [], 'body');
    assert.match(body.json.message, /must be a JSON object/);
    const source = (await team.call('POST', '/sources', { body: { name: 'to-update' } })).json;
    await expect422('PUT', `/sources/${source.id}`, { name: 'bad name!' }, 'name');
  });

  test('malformed JSON is 400 UNPARSABLE_JSON; a non-JSON content type is 415; no body is 422', async () => {
    const bad = await team.call('POST', '/sources', { raw: '{"name": ', headers: { 'content-type': 'application/json' } });
    assert.equal(bad.status, 400);
    assert.equal(bad.json.code, 'UNPARSABLE_JSON');
    const text = await team.call('POST', '/sources', { raw: 'name=x', headers: { 'content-type': 'text/plain' } });
    assert.equal(text.status, 415);
    assert.equal(text.json.code, 'UNSUPPORTED_CONTENT_TYPE');
    const none = await team.call('POST', '/sources');
    assert.equal(none.status, 422);
    assert.equal(none.json.code, 'VALIDATION_ERROR');
  });

  test('unknown routes are 404 NOT_FOUND in the error shape', async () => {
    const answer = await team.call('GET', '/nothing-here');
    assert.equal(answer.status, 404);
    assert.deepEqual(Object.keys(answer.json), ['code', 'status', 'message']);
    assert.equal(answer.json.code, 'NOT_FOUND');
    assert.match(answer.json.message, /openapi\.json/);
    assert.equal((await team.call('GET', '/sources/not-an-id')).json.code, 'NOT_FOUND');
    const badUrl = await team.call('GET', '/sources/%zz');
    assert.equal(badUrl.status, 400);
    assert.deepEqual(Object.keys(badUrl.json), ['code', 'status', 'message']);
    assert.equal(badUrl.json.code, 'BAD_REQUEST');
  });

  test('destinations: create with defaults, update merging config, disable/enable, delete', async () => {
    const created = await team.call('POST', '/destinations', {
      body: { name: 'orders-api', config: { url: 'https://example.com/hooks', headers: { 'X-Api-Key': 'abc' } } },
    });
    assert.equal(created.status, 201, created.text);
    const destination = created.json;
    assert.deepEqual(Object.keys(destination), DESTINATION_KEYS);
    assert.match(destination.id, /^des_/);
    assert.equal(destination.type, 'HTTP');
    assert.deepEqual(destination.config, {
      url: 'https://example.com/hooks',
      http_method: null,
      timeout: gw.config.defaultTimeoutMs,
      headers: { 'x-api-key': 'abc' },
      rate_limit: null,
      rate_limit_period: null,
    });

    const updated = await team.call('PUT', `/destinations/${destination.id}`, { body: { config: { timeout: 1000, rate_limit: 3 } } });
    assert.equal(updated.status, 200, updated.text);
    assert.equal(updated.json.config.url, 'https://example.com/hooks');
    assert.equal(updated.json.config.timeout, 1000);
    assert.equal(updated.json.config.rate_limit, 3);
    assert.equal(updated.json.config.rate_limit_period, 'concurrent', 'a rate limit alone, no period ever set: a concurrent cap (as before time periods)');
    assert.deepEqual(updated.json.config.headers, { 'x-api-key': 'abc' });

    const lowerType = await team.call('POST', '/destinations', { body: { name: 'lower', type: 'http', config: { url: 'http://a.example', http_method: 'PUT' } } });
    assert.equal(lowerType.status, 201);
    assert.equal(lowerType.json.type, 'HTTP');
    assert.equal(lowerType.json.config.http_method, 'PUT');

    assert.match((await team.call('PUT', `/destinations/${destination.id}/disable`)).json.disabled_at, ISO);
    assert.equal((await team.call('PUT', `/destinations/${destination.id}/enable`)).json.disabled_at, null);
    assert.deepEqual((await team.call('DELETE', `/destinations/${destination.id}`)).json, { id: destination.id });
    assert.equal((await team.call('GET', `/destinations/${destination.id}`)).status, 404);
  });

  test('destinations: rate_limit per second, minute or hour; each field merges on update; null removes the limit', async () => {
    const create = await team.call('POST', '/destinations', { body: { name: 'paced', config: { url: 'https://example.com/paced', rate_limit: 5, rate_limit_period: 'second' } } });
    assert.equal(create.status, 201, create.text);
    assert.deepEqual([create.json.config.rate_limit, create.json.config.rate_limit_period], [5, 'second']);
    const id = create.json.id as string;
    const put = async (config: Record<string, unknown>): Promise<unknown[]> => {
      const response = await team.call('PUT', `/destinations/${id}`, { body: { config } });
      assert.equal(response.status, 200, response.text);
      const stored = response.json.config as { rate_limit: unknown; rate_limit_period: unknown };
      return [stored.rate_limit, stored.rate_limit_period];
    };
    assert.deepEqual(await put({ rate_limit_period: 'minute' }), [5, 'minute'], 'the period alone keeps the limit');
    assert.deepEqual(await put({ rate_limit: 50_000 }), [50_000, 'minute'], 'the limit alone keeps the period (per minute allows more)');
    assert.deepEqual(await put({ rate_limit: 100, rate_limit_period: 'hour' }), [100, 'hour']);
    assert.deepEqual(await put({ rate_limit_period: 'concurrent' }), [100, 'concurrent']);
    assert.deepEqual(await put({ rate_limit: null }), [null, null], 'removing the limit removes its period');
    assert.deepEqual((await team.call('GET', `/destinations/${id}`)).json.config.rate_limit_period, null);
  });

  test('destinations: bad input is 422 with a message that says what to do', async () => {
    const url = 'https://example.com';
    await expect422('POST', '/destinations', { name: 'd' }, 'config', /required/);
    await expect422('POST', '/destinations', { name: 'd', config: {} }, 'config.url', /required/);
    await expect422('POST', '/destinations', { name: 'd', config: { url: 'not a url' } }, 'config.url', /absolute http/);
    await expect422('POST', '/destinations', { name: 'd', config: { url: 'ftp://example.com' } }, 'config.url', /http:\/\/ or https:\/\//);
    await expect422('POST', '/destinations', { name: 'd', type: 'CLI', config: { url } }, 'type', /event destinations/);
    await expect422('POST', '/destinations', { name: 'd', config: { url, timeout: 99 } }, 'config.timeout', /100 or more/);
    await expect422('POST', '/destinations', { name: 'd', config: { url, timeout: 300_001 } }, 'config.timeout', /300000 or less/);
    await expect422('POST', '/destinations', { name: 'd', config: { url, timeout: '5000' } }, 'config.timeout', /whole number/);
    await expect422('POST', '/destinations', { name: 'd', config: { url, rate_limit: 5, rate_limit_period: 'day' } }, 'config.rate_limit_period', /"second", "minute", "hour" or "concurrent"/);
    await expect422('POST', '/destinations', { name: 'd', config: { url, rate_limit: 10_001, rate_limit_period: 'second' } }, 'config.rate_limit', /at most 10000 with rate_limit_period "second".*longer period/);
    await expect422('POST', '/destinations', { name: 'd', config: { url, rate_limit: 10_001 } }, 'config.rate_limit', /at most 10000 with rate_limit_period "concurrent"/);
    await expect422('POST', '/destinations', { name: 'd', config: { url, rate_limit: 1_000_001, rate_limit_period: 'hour' } }, 'config.rate_limit', /1 to 1000000/);
    await expect422('POST', '/destinations', { name: 'd', config: { url, rate_limit_period: 'minute' } }, 'config.rate_limit', /required with rate_limit_period/);
    await expect422('POST', '/destinations', { name: 'd', config: { url, rate_limit: 0 } }, 'config.rate_limit');
    await expect422('POST', '/destinations', { name: 'd', config: { url, rate_limit_period: 'concurrent' } }, 'config.rate_limit', /required/);
    await expect422('POST', '/destinations', { name: 'd', config: { url, http_method: 'FETCH' } }, 'config.http_method');
    await expect422('POST', '/destinations', { name: 'd', config: { url, headers: { Connection: 'close' } } }, 'config.headers.Connection', /set by the gateway/);
    await expect422('POST', '/destinations', { name: 'd', config: { url, headers: { 'Transfer-Encoding': 'chunked' } } }, 'config.headers.Transfer-Encoding');
    await expect422('POST', '/destinations', { name: 'd', config: { url, headers: { 'bad name': 'x' } } }, 'config.headers.bad name', /header name/);
    await expect422('POST', '/destinations', { name: 'd', config: { url, headers: { 'x-a': 'line\nbreak' } } }, 'config.headers.x-a', /line breaks/);
    await expect422('POST', '/destinations', { name: 'd', config: { url, headers: { 'x-a': 1 } } }, 'config.headers.x-a', /must be a string/);
    await expect422('POST', '/destinations', { name: 'd', config: { url, headers: ['x'] } }, 'config.headers');
    await expect422('POST', '/destinations', { name: 'd', config: { url, auth: {} } }, 'config.auth', /not a field/);
  });

  test('connections: create, full_name, list filters, update rules, pause/unpause, disable/enable, delete', async () => {
    const source = (await team.call('POST', '/sources', { body: { name: 'github' } })).json;
    const destination = (await team.call('POST', '/destinations', { body: { name: 'ci', config: { url: 'https://ci.example/hook' } } })).json;
    const other = (await team.call('POST', '/destinations', { body: { name: 'audit', config: { url: 'https://audit.example' } } })).json;
    const rule = { type: 'retry', strategy: 'exponential', interval: 1000, count: 5, response_status_codes: ['500-599', '!501', '429'] };
    const created = await team.call('POST', '/connections', {
      body: { name: 'to-ci', description: 'CI', source_id: source.id, destination_id: destination.id, rules: [rule] },
    });
    assert.equal(created.status, 201, created.text);
    const connection = created.json;
    assert.deepEqual(Object.keys(connection), CONNECTION_KEYS);
    assert.match(connection.id, /^web_/);
    assert.equal(connection.full_name, 'github -> to-ci');
    assert.deepEqual(connection.source, source);
    assert.deepEqual(connection.destination, destination);
    assert.deepEqual(connection.rules, [rule]);
    assert.equal(connection.paused_at, null);

    const second = (await team.call('POST', '/connections', { body: { name: 'to-audit', source_id: source.id, destination_id: other.id } })).json;
    assert.deepEqual(second.rules, []);
    const duplicate = await team.call('POST', '/connections', { body: { name: 'to-ci', source_id: source.id, destination_id: other.id } });
    assert.equal(duplicate.status, 409);

    const bySource = await team.call('GET', `/connections?source_id=${source.id}`);
    assert.equal(bySource.json.count, 2);
    const byDestination = await team.call('GET', `/connections?destination_id=${other.id}`);
    assert.deepEqual(byDestination.json.models.map((c: { id: string }) => c.id), [second.id]);
    assert.deepEqual(byDestination.json.models[0], second);
    const byName = await team.call('GET', '/connections?name=to-ci');
    assert.deepEqual(byName.json.models.map((c: { id: string }) => c.id), [connection.id]);

    const updated = await team.call('PUT', `/connections/${connection.id}`, { body: { name: 'to-ci-2', rules: [] } });
    assert.equal(updated.json.name, 'to-ci-2');
    assert.equal(updated.json.full_name, 'github -> to-ci-2');
    assert.deepEqual(updated.json.rules, []);
    assert.equal(updated.json.description, 'CI');

    const wakes = gw.engine.wakes;
    assert.match((await team.call('PUT', `/connections/${connection.id}/pause`)).json.paused_at, ISO);
    const unpaused = await team.call('PUT', `/connections/${connection.id}/unpause`);
    assert.equal(unpaused.json.paused_at, null);
    assert.match((await team.call('PUT', `/connections/${connection.id}/disable`)).json.disabled_at, ISO);
    assert.equal((await team.call('PUT', `/connections/${connection.id}/enable`)).json.disabled_at, null);
    assert.ok(gw.engine.wakes >= wakes + 2, 'unpause and enable wake the dispatcher for released events');

    const inUse = await team.call('DELETE', `/destinations/${other.id}`);
    assert.equal(inUse.status, 409);
    assert.equal(inUse.json.code, 'CONFLICT');
    assert.match(inUse.json.message, /connections/);
    assert.deepEqual((await team.call('DELETE', `/connections/${second.id}`)).json, { id: second.id });
    assert.equal((await team.call('DELETE', `/destinations/${other.id}`)).status, 200);
    assert.equal((await team.call('GET', `/connections/${second.id}`)).status, 404);
  });

  test('connections: bad input is 422; missing source or destination is 404 naming the field', async () => {
    const source = (await team.call('POST', '/sources', { body: { name: 'bad-conn-src' } })).json;
    const destination = (await team.call('POST', '/destinations', { body: { name: 'bad-conn-des', config: { url: 'https://x.example' } } })).json;
    const base = { name: 'c', source_id: source.id, destination_id: destination.id };
    const retry = { type: 'retry', strategy: 'linear', interval: 1000, count: 3 };
    await expect422('POST', '/connections', { ...base, name: undefined }, 'name', /required/);
    await expect422('POST', '/connections', { name: 'c', source_id: source.id }, 'destination_id', /required/);
    await expect422('POST', '/connections', { ...base, rules: [{ type: 'transform', code: 'x' }] }, 'rules[0].type', /one of retry, filter, delay, deduplicate; transform .* not offered/);
    const onlyType = await team.call('POST', '/connections', { body: { ...base, rules: [{ type: 'transform', code: 'x' }] } });
    assert.equal(onlyType.json.data.length, 1, 'the other fields of a rule of unknown type are not reported');
    await expect422('POST', '/connections', { ...base, rules: [{ ...retry, strategy: 'fibonacci' }] }, 'rules[0].strategy', /"linear" or "exponential"/);
    await expect422('POST', '/connections', { ...base, rules: [{ ...retry, interval: 0 }] }, 'rules[0].interval');
    await expect422('POST', '/connections', { ...base, rules: [{ ...retry, count: 101 }] }, 'rules[0].count');
    await expect422('POST', '/connections', { ...base, rules: [{ ...retry, count: -1 }] }, 'rules[0].count');
    await expect422('POST', '/connections', { ...base, rules: [retry, retry] }, 'rules', /more than one retry rule/);
    await expect422('POST', '/connections', { ...base, rules: [{ ...retry, response_status_codes: ['5xx'] }] }, 'rules[0].response_status_codes', /not a valid status pattern/);
    await expect422('POST', '/connections', { ...base, rules: [{ ...retry, response_status_codes: ['600'] }] }, 'rules[0].response_status_codes');
    await expect422('POST', '/connections', { ...base, rules: {} }, 'rules', /array/);

    const missingSource = await team.call('POST', '/connections', { body: { ...base, source_id: 'src_0000000000000000' } });
    assert.equal(missingSource.status, 404);
    assert.equal(missingSource.json.code, 'NOT_FOUND');
    assert.match(missingSource.json.message, /source_id/);
    const missingDestination = await team.call('POST', '/connections', { body: { ...base, destination_id: 'nope' } });
    assert.equal(missingDestination.status, 404);
    assert.match(missingDestination.json.message, /destination_id/);

    const connection = (await team.call('POST', '/connections', { body: base })).json;
    await expect422('PUT', `/connections/${connection.id}`, { source_id: source.id }, 'source_id', /not a field/);
  });

  test('list queries are validated', async () => {
    const cases: [string, string][] = [
      ['/sources?limit=0', 'limit'],
      ['/sources?limit=251', 'limit'],
      ['/sources?limit=ten', 'limit'],
      ['/sources?dir=up', 'dir'],
      ['/sources?order_by=name', 'order_by'],
      ['/sources?next=garbage', 'next'],
      ['/sources?next=src_0000000000000000&prev=src_0000000000000000', 'prev'],
      ['/destinations?colour=red', 'colour'],
      ['/connections?next=src_0000000000000000', 'next'],
      ['/sources?limit=1e2', 'limit'],
      ['/sources?limit=10.5', 'limit'],
      ['/sources?limit=2&limit=3', 'limit'],
    ];
    for (const [path, field] of cases) {
      const answer = await team.call('GET', path);
      assert.equal(answer.status, 422, path);
      assert.equal(answer.json.data[0].field, field, path);
      assert.equal(answer.json.data[0].location, 'query');
    }
  });
});
