/**
 * Ingest over real HTTP into the real store: any content type kept byte for byte, path/query/headers stored, one
 * event per active connection (HOLD when paused), connection-id URLs, the body limit (413 with Content-Length and
 * chunked, recorded without the body), disabled sources (403), disallowed methods (405 + Allow), sources without connections,
 * custom responses, unknown ids.
 */
/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return --
   The API's JSON answers are `any` (harness.ts) and read field by field: the assertions are the type checks. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { rawRequest, gatewayWithDestination } from './harness.js';

const LIMIT = 65536; // SLUICE_MAX_BODY_BYTES in the harness

describe('ingest', () => {
  const parts = gatewayWithDestination('ingest');

  let counter = 0;
  /** A source with `connections` connections (all to the test's destination). */
  async function source(connections = 1, config?: unknown) {
    const created = await parts.team.call('POST', '/sources', { body: { name: `src-${++counter}`, ...(config === undefined ? {} : { config }) } });
    assert.equal(created.status, 201, created.text);
    const ids: string[] = [];
    for (let i = 0; i < connections; i++) {
      const connection = await parts.team.call('POST', '/connections', {
        body: { name: `conn-${i}`, source_id: created.json.id, destination_id: parts.destinationId },
      });
      ids.push(connection.json.id);
    }
    return { id: created.json.id as string, url: created.json.url as string, name: created.json.name as string, connections: ids };
  }

  async function storedRequest(id: string) {
    const answer = await parts.team.call('GET', `/requests/${id}`);
    assert.equal(answer.status, 200, answer.text);
    return answer.json;
  }

  async function requestCount(sourceId: string): Promise<number> {
    return (await parts.team.call('GET', `/requests?source_id=${sourceId}`)).json.total_count;
  }

  test('a JSON request is stored with path, query, headers and parsed body, one event per connection, and wakes the engine', async () => {
    const src = await source(2);
    const wakes = parts.gw.engine.wakes;
    const answer = await parts.gw.call('POST', `${src.url}/orders/1?a=1&b=two`, { body: { order: 1, items: ['x'] }, headers: { 'X-Custom': 'Yes' } });
    assert.equal(answer.status, 200);
    assert.match(answer.headers.get('content-type') ?? '', /application\/json/);
    assert.equal(answer.json.status, 'SUCCESS');
    assert.match(answer.json.request_id, /^req_/);
    assert.match(answer.json.message, new RegExp(`GET /requests/${answer.json.request_id}`));
    assert.equal(answer.json.event_ids.length, 2);
    assert.equal(answer.headers.get('x-sluice-request-id'), answer.json.request_id);
    assert.equal(parts.gw.engine.wakes, wakes + 1);

    const stored = await storedRequest(answer.json.request_id);
    assert.deepEqual(Object.keys(stored), [
      'id', 'team_id', 'source_id', 'method', 'path', 'query', 'rejection_cause', 'event_ids', 'events_count', 'ignored_count', 'ignored', 'created_at', 'headers', 'body',
    ]);
    assert.equal(stored.team_id, parts.team.id);
    assert.equal(stored.source_id, src.id);
    assert.equal(stored.method, 'POST');
    assert.equal(stored.path, '/orders/1');
    assert.equal(stored.query, 'a=1&b=two');
    assert.equal(stored.headers['x-custom'], 'Yes');
    assert.equal(stored.headers['content-type'], 'application/json');
    assert.deepEqual(stored.body, { order: 1, items: ['x'] });
    assert.equal(stored.body_encoding, undefined);
    assert.equal(stored.rejection_cause, null);
    assert.deepEqual([...stored.event_ids].sort(), [...answer.json.event_ids].sort());
    assert.equal(stored.events_count, 2);

    const events = await parts.team.call('GET', `/events?request_id=${answer.json.request_id}`);
    assert.equal(events.json.count, 2);
    assert.deepEqual(new Set(events.json.models.map((e: { webhook_id: string }) => e.webhook_id)), new Set(src.connections));
    for (const event of events.json.models) {
      assert.equal(event.status, 'QUEUED');
      assert.equal(event.source_id, src.id);
      assert.equal(event.destination_id, parts.destinationId);
    }
  });

  test('form, text, no content type, an unparsable content type and binary bodies are kept exactly', async () => {
    const src = await source(1);
    const form = await parts.gw.call('POST', src.url, { raw: 'a=1&b=%20x', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    assert.equal(form.status, 200, form.text);
    assert.equal((await storedRequest(form.json.request_id)).body, 'a=1&b=%20x');

    const text = await parts.gw.call('POST', src.url, { raw: 'héllo wörld', headers: { 'content-type': 'text/plain; charset=utf-8' } });
    assert.equal((await storedRequest(text.json.request_id)).body, 'héllo wörld');

    const noType = await rawRequest(src.url, { chunks: [Buffer.from('{"untyped":true}')], headers: { 'content-length': '16' } });
    assert.equal(noType.status, 200);
    const untyped = await storedRequest(JSON.parse(noType.body.toString()).request_id);
    assert.deepEqual(untyped.body, { untyped: true }, 'a body that starts like JSON and parses is JSON');
    assert.equal(untyped.headers['content-type'], undefined);

    const odd = await parts.gw.call('POST', src.url, { raw: 'payload', headers: { 'content-type': 'not a media type' } });
    assert.equal(odd.status, 200, odd.text);
    const oddStored = await storedRequest(odd.json.request_id);
    assert.equal(oddStored.headers['content-type'], 'not a media type');
    assert.equal(oddStored.body, 'payload');

    const badJson = await parts.gw.call('POST', src.url, { raw: '{"truncated": ', headers: { 'content-type': 'application/json' } });
    assert.equal(badJson.status, 200, 'a body that is not the JSON it claims is still stored (as text)');
    assert.equal((await storedRequest(badJson.json.request_id)).body, '{"truncated": ');

    const bytes = Buffer.concat([Buffer.from([0xff, 0xfe, 0x00, 0x80]), randomBytes(4096)]);
    const binary = await parts.gw.call('POST', src.url, { raw: bytes, headers: { 'content-type': 'application/octet-stream' } });
    assert.equal(binary.status, 200);
    const storedBinary = await storedRequest(binary.json.request_id);
    assert.equal(storedBinary.body_encoding, 'base64');
    assert.ok(Buffer.from(storedBinary.body, 'base64').equals(bytes), 'binary body byte for byte');

    const empty = await parts.gw.call('DELETE', src.url);
    assert.equal(empty.status, 200);
    const storedEmpty = await storedRequest(empty.json.request_id);
    assert.equal(storedEmpty.method, 'DELETE');
    assert.equal(storedEmpty.body, null);
  });

  test('repeated headers are joined with ", " and names are lower-cased', async () => {
    const src = await source(1);
    const answer = await rawRequest(src.url, {
      headers: { 'X-Multi': ['one', 'two'], 'Content-Type': 'text/plain', 'Content-Length': '2' },
      chunks: [Buffer.from('hi')],
    });
    assert.equal(answer.status, 200);
    const stored = await storedRequest(JSON.parse(answer.body.toString()).request_id);
    assert.equal(stored.headers['x-multi'], 'one, two');
    assert.equal(stored.headers['content-type'], 'text/plain');
  });

  test('a body at the limit is accepted; over it is 413 with Content-Length and when chunked, recorded without the body', async () => {
    const src = await source(1);
    const atLimit = await parts.gw.call('POST', src.url, { raw: Buffer.alloc(LIMIT, 0x61), headers: { 'content-type': 'text/plain' } });
    assert.equal(atLimit.status, 200);
    assert.equal((await storedRequest(atLimit.json.request_id)).body.length, LIMIT);
    const before = await requestCount(src.id);

    const withLength = await rawRequest(src.url, {
      headers: { 'content-type': 'application/json', 'content-length': String(LIMIT + 1) },
      chunks: [Buffer.alloc(LIMIT + 1, 0x20)],
    });
    assert.equal(withLength.status, 413);
    const error = JSON.parse(withLength.body.toString());
    assert.equal(error.code, 'PAYLOAD_TOO_LARGE');
    assert.equal(error.status, 413);
    assert.match(error.message, new RegExp(`${LIMIT} bytes`));

    const chunks = Array.from({ length: 6 }, () => Buffer.alloc(16 * 1024, 0x62)); // 96 KiB, no Content-Length
    const chunked = await rawRequest(src.url, { headers: { 'content-type': 'text/plain', 'transfer-encoding': 'chunked' }, chunks });
    assert.equal(chunked.status, 413);
    assert.equal(JSON.parse(chunked.body.toString()).code, 'PAYLOAD_TOO_LARGE');

    // Recorded without their bodies (never truncated), with cause PAYLOAD_TOO_LARGE, and no event.
    assert.equal(await requestCount(src.id), before + 2);
    for (const answer of [withLength, chunked]) {
      const id = JSON.parse(answer.body.toString()).data.request_id;
      assert.equal(answer.headers['x-sluice-request-id'], id);
      const stored = await storedRequest(id);
      assert.equal(stored.rejection_cause, 'PAYLOAD_TOO_LARGE');
      assert.equal(stored.body, null, 'no part of the body is kept');
      assert.deepEqual(stored.event_ids, []);
    }
    assert.equal((await storedRequest(JSON.parse(chunked.body.toString()).data.request_id)).headers['transfer-encoding'], 'chunked');
    assert.equal((await parts.team.call('GET', `/events?source_id=${src.id}`)).json.total_count, 1, 'only the request at the limit made an event');
  });

  test('a method the source does not allow is 405 with Allow, and recorded', async () => {
    const src = await source(1);
    const answer = await parts.gw.call('GET', `${src.url}?probe=1`);
    assert.equal(answer.status, 405);
    assert.equal(answer.json.code, 'UNSUPPORTED_HTTP_METHOD');
    assert.equal(answer.headers.get('allow'), 'POST, PUT, PATCH, DELETE');
    assert.match(answer.json.message, /allowed_http_methods/);
    const stored = await storedRequest(answer.json.data.request_id);
    assert.equal(stored.rejection_cause, 'UNSUPPORTED_HTTP_METHOD');
    assert.deepEqual(stored.event_ids, []);
    const listed = await parts.team.call('GET', `/requests?source_id=${src.id}&rejection_cause=UNSUPPORTED_HTTP_METHOD`);
    assert.equal(listed.json.total_count, 1);

    const getSource = await source(1, { allowed_http_methods: ['GET'] });
    const allowed = await parts.gw.call('GET', `${getSource.url}?challenge=abc`);
    assert.equal(allowed.status, 200);
    assert.equal((await storedRequest(allowed.json.request_id)).query, 'challenge=abc');
    assert.equal((await parts.gw.call('POST', getSource.url, { body: {} })).status, 405);
  });

  test('a disabled source answers 403 SOURCE_DISABLED at once and records the request without events', async () => {
    const src = await source(1);
    await parts.team.call('PUT', `/sources/${src.id}/disable`);
    const answer = await parts.gw.call('POST', src.url, { body: { a: 1 } });
    assert.equal(answer.status, 403);
    assert.equal(answer.json.code, 'SOURCE_DISABLED');
    assert.match(answer.json.message, /enable/);
    const stored = await storedRequest(answer.json.data.request_id);
    assert.equal(stored.rejection_cause, 'SOURCE_DISABLED');
    assert.deepEqual(stored.event_ids, []);
    assert.equal((await parts.team.call('GET', `/events?source_id=${src.id}`)).json.total_count, 0);

    await parts.team.call('PUT', `/sources/${src.id}/enable`);
    assert.equal((await parts.gw.call('POST', src.url, { body: { a: 2 } })).status, 200);
  });

  test('a source without an active connection: 200 NO_CONNECTION, recorded with that cause', async () => {
    const src = await source(0);
    const answer = await parts.gw.call('POST', src.url, { body: { a: 1 } });
    assert.equal(answer.status, 200);
    assert.equal(answer.json.status, 'NO_CONNECTION');
    assert.deepEqual(answer.json.event_ids, []);
    assert.match(answer.json.message, new RegExp(`source ${src.name} has no active connection`));
    assert.equal((await storedRequest(answer.json.request_id)).rejection_cause, 'NO_CONNECTION');

    // A disabled connection, or one whose destination is disabled, is not active either.
    const withDisabled = await source(1);
    await parts.team.call('PUT', `/connections/${withDisabled.connections[0]}/disable`);
    assert.equal((await parts.gw.call('POST', withDisabled.url, { body: {} })).json.status, 'NO_CONNECTION');
  });

  test('a paused connection gets its event with status HOLD', async () => {
    const src = await source(2);
    await parts.team.call('PUT', `/connections/${src.connections[0]}/pause`);
    const answer = await parts.gw.call('POST', src.url, { body: { a: 1 } });
    assert.equal(answer.json.status, 'SUCCESS');
    const events = (await parts.team.call('GET', `/events?request_id=${answer.json.request_id}`)).json.models;
    const byConnection = Object.fromEntries(events.map((e: { webhook_id: string; status: string }) => [e.webhook_id, e.status]));
    assert.deepEqual(byConnection, { [src.connections[0] as string]: 'HOLD', [src.connections[1] as string]: 'QUEUED' });
  });

  test('a connection id in the URL delivers to that connection only', async () => {
    const src = await source(2);
    const target = src.connections[1] as string;
    const answer = await parts.gw.call('POST', `${parts.gw.base}/e/${target}/sub?x=1`, { body: { only: true } });
    assert.equal(answer.status, 200);
    assert.equal(answer.json.event_ids.length, 1);
    const event = (await parts.team.call('GET', `/events/${answer.json.event_ids[0]}`)).json;
    assert.equal(event.webhook_id, target);
    assert.equal(event.source_id, src.id);
    const stored = await storedRequest(answer.json.request_id);
    assert.equal(stored.source_id, src.id);
    assert.equal(stored.path, '/sub');

    await parts.team.call('PUT', `/connections/${target}/disable`);
    const disabled = await parts.gw.call('POST', `${parts.gw.base}/e/${target}`, { body: {} });
    assert.equal(disabled.json.status, 'NO_CONNECTION');
    assert.match(disabled.json.message, /connection conn-1 is not active/);
  });

  test('custom_response answers with its body and content type', async () => {
    const src = await source(1, { custom_response: { content_type: 'xml', body: '<ok/>' } });
    const answer = await parts.gw.call('POST', src.url, { body: { a: 1 } });
    assert.equal(answer.status, 200);
    assert.match(answer.headers.get('content-type') ?? '', /^application\/xml/);
    assert.equal(answer.text, '<ok/>');
    const requestId = answer.headers.get('x-sluice-request-id') ?? '';
    assert.match(requestId, /^req_/);
    assert.equal((await storedRequest(requestId)).source_id, src.id);

    const text = await source(0, { custom_response: { content_type: 'text', body: 'thanks' } });
    const noConnection = await parts.gw.call('POST', text.url, { raw: 'x', headers: { 'content-type': 'text/plain' } });
    assert.equal(noConnection.text, 'thanks', 'the sender gets the answer it expects even without a connection');
  });

  test('unknown and malformed ids are 404 and store nothing; ingest needs no API key', async () => {
    for (const id of ['src_0000000000000000', 'web_0000000000000000', 'evt_0000000000000000', 'garbage']) {
      const answer = await parts.gw.call('POST', `${parts.gw.base}/e/${id}`, { body: { a: 1 } });
      assert.equal(answer.status, 404, id);
      assert.equal(answer.json.code, 'NOT_FOUND');
      assert.match(answer.json.message, /nothing was stored/);
    }
  });

  // The store caches ingest's lookups (src/store/sqlite/ingestLookups.ts): each step first ingests (so the answer
  // is cached), then changes the route through the API, and the very next request must see the change.
  test('a change made through the API is seen by the very next ingest', async () => {
    const post = async (url: string) => parts.gw.call('POST', url, { body: { a: 1 } });
    const statusesOf = async (requestId: string) =>
      Object.fromEntries(
        (await parts.team.call('GET', `/events?request_id=${requestId}`)).json.models.map((e: { webhook_id: string; status: string }) => [e.webhook_id, e.status]),
      );
    const src = await source(1);
    const [first] = src.connections as [string];
    assert.equal((await post(src.url)).status, 200);

    await parts.team.call('PUT', `/sources/${src.id}/disable`);
    assert.equal((await post(src.url)).json.code, 'SOURCE_DISABLED');
    await parts.team.call('PUT', `/sources/${src.id}/enable`);
    assert.equal((await post(src.url)).status, 200);

    await parts.team.call('PUT', `/sources/${src.id}`, { body: { config: { allowed_http_methods: ['PUT'] } } });
    assert.equal((await post(src.url)).status, 405);
    await parts.team.call('PUT', `/sources/${src.id}`, { body: { config: { allowed_http_methods: ['POST'] } } });

    const paused = await post(src.url);
    assert.deepEqual(await statusesOf(paused.json.request_id), { [first]: 'QUEUED' });
    await parts.team.call('PUT', `/connections/${first}/pause`);
    assert.deepEqual(await statusesOf((await post(src.url)).json.request_id), { [first]: 'HOLD' });
    await parts.team.call('PUT', `/connections/${first}/unpause`);

    const added = await parts.team.call('POST', '/connections', { body: { name: 'added', source_id: src.id, destination_id: parts.destinationId } });
    assert.equal((await post(src.url)).json.event_ids.length, 2);
    assert.equal((await post(`${parts.gw.base}/e/${added.json.id}`)).json.event_ids.length, 1);
    await parts.team.call('PUT', `/connections/${added.json.id}/disable`);
    assert.equal((await post(src.url)).json.event_ids.length, 1);
    assert.equal((await post(`${parts.gw.base}/e/${added.json.id}`)).json.status, 'NO_CONNECTION');
    await parts.team.call('DELETE', `/connections/${added.json.id}`);
    assert.equal((await post(`${parts.gw.base}/e/${added.json.id}`)).status, 404);

    const own = await parts.team.call('POST', '/destinations', { body: { name: `own-${++counter}`, config: { url: 'https://receiver.example/own' } } });
    const other = await source(0);
    await parts.team.call('POST', '/connections', { body: { name: 'own', source_id: other.id, destination_id: own.json.id } });
    assert.equal((await post(other.url)).json.status, 'SUCCESS');
    await parts.team.call('PUT', `/destinations/${own.json.id}/disable`);
    assert.equal((await post(other.url)).json.status, 'NO_CONNECTION');
    await parts.team.call('PUT', `/destinations/${own.json.id}/enable`);
    assert.equal((await post(other.url)).json.status, 'SUCCESS');

    await parts.team.call('DELETE', `/sources/${other.id}`);
    assert.equal((await post(other.url)).status, 404);
  });
});
