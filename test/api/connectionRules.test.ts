/**
 * Connection rules over the API (real HTTP, real SQLite): filter and delay rules are accepted, stored and shown;
 * malformed filters are 400 INVALID_FILTER naming the bad path; at ingest a connection whose filter does not match
 * makes no event and is recorded on the request as ignored (FILTERED), a request every connection ignored is
 * stored, not rejected; a delay rule makes the event SCHEDULED at received time + delay.
 */
/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-argument --
   The API's JSON answers are `any` (harness.ts) and read field by field: the assertions are the type checks. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { gatewayWithDestination } from './harness.js';

describe('connection rules', () => {
  const parts = gatewayWithDestination('rules');

  let counter = 0;
  async function newSource() {
    const created = await parts.team.call('POST', '/sources', { body: { name: `rules-src-${++counter}` } });
    assert.equal(created.status, 201, created.text);
    return created.json as { id: string; url: string };
  }

  async function connect(sourceId: string, rules: unknown[]) {
    const created = await parts.team.call('POST', '/connections', { body: { name: `c-${++counter}`, source_id: sourceId, destination_id: parts.destinationId, rules } });
    assert.equal(created.status, 201, created.text);
    return created.json as { id: string; rules: unknown[] };
  }

  async function expectInvalidFilter(rules: unknown[] | string, field: string, message: RegExp) {
    const source = await newSource();
    const body = { name: 'bad', source_id: source.id, destination_id: parts.destinationId };
    const answer =
      typeof rules === 'string'
        ? await parts.team.call('POST', '/connections', { raw: JSON.stringify(body).replace(/}$/, `,"rules":${rules}}`), headers: { 'content-type': 'application/json' } })
        : await parts.team.call('POST', '/connections', { body: { ...body, rules } });
    assert.equal(answer.status, 400, answer.text);
    assert.equal(answer.json.code, 'INVALID_FILTER');
    assert.match(answer.json.message, message);
    assert.equal(answer.json.data[0].field, field);
  }

  test('filter and delay rules are stored as given and shown; updating replaces them', async () => {
    const source = await newSource();
    const rules = [
      { type: 'filter', body: { data: { amount: { $gte: 1000 } } }, headers: { 'x-kind': { $in: ['a', 'b'] } }, query: { mode: 'live' }, path: { $startsWith: '/orders' } },
      { type: 'delay', delay: 5000 },
      { type: 'retry', strategy: 'linear', interval: 1000, count: 2 },
    ];
    const connection = await connect(source.id, rules);
    assert.deepEqual(connection.rules, rules);
    assert.deepEqual((await parts.team.call('GET', `/connections/${connection.id}`)).json.rules, rules);
    const updated = await parts.team.call('PUT', `/connections/${connection.id}`, { body: { rules: [{ type: 'filter', body: 'ping' }] } });
    assert.equal(updated.status, 200, updated.text);
    assert.deepEqual(updated.json.rules, [{ type: 'filter', body: 'ping' }]);
  });

  test('a malformed filter is 400 INVALID_FILTER naming the bad path, on create and on update; other rule mistakes are 422', async () => {
    await expectInvalidFilter([{ type: 'filter', body: { amount: { $gte: 'x', $lt: [] } } }], 'rules[0].body.amount.$lt', /rules\[0\]\.body\.amount\.\$lt must be a number or a string/);
    await expectInvalidFilter([{ type: 'delay', delay: 1 }, { type: 'filter', headers: { a: { $regex: '.*' } } }], 'rules[1].headers.a.$regex', /not a filter operator/);
    await expectInvalidFilter([{ type: 'filter', query: { $or: [] } }], 'rules[0].query.$or', /non-empty array/);
    const deep = `${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`; // too deep for JSON.stringify's stack here, not for the API
    await expectInvalidFilter(`[{"type":"filter","body":${deep}}]`, `rules[0].body${'.a'.repeat(17)}`, /deeper than 16 levels/);

    const source = await newSource();
    const connection = await connect(source.id, []);
    const update = await parts.team.call('PUT', `/connections/${connection.id}`, { body: { rules: [{ type: 'filter', path: { $endsWith: 3 } }] } });
    assert.equal(update.status, 400);
    assert.equal(update.json.code, 'INVALID_FILTER');
    assert.equal(update.json.data[0].field, 'rules[0].path.$endsWith');
    assert.deepEqual((await parts.team.call('GET', `/connections/${connection.id}`)).json.rules, [], 'a refused update changes nothing');

    const base = { name: 'bad', source_id: source.id, destination_id: parts.destinationId };
    const cases: [unknown[], string, RegExp][] = [
      [[{ type: 'filter' }], 'rules[0]', /without a filter/],
      [[{ type: 'filter', body: {}, code: 'x' }], 'rules[0].code', /not a field/],
      [[{ type: 'delay', delay: 0 }], 'rules[0].delay', /./],
      [[{ type: 'delay', delay: 86_400_001 }], 'rules[0].delay', /./],
      [[{ type: 'delay', delay: 10 }, { type: 'delay', delay: 20 }], 'rules', /more than one delay rule/],
      [[{ type: 'transform', code: 'return request' }], 'rules[0].type', /transform rules .* are not offered/],
      [[{ type: 'deduplicate', window: 999 }], 'rules[0].window', /./],
      [[{ type: 'deduplicate', window: 3_600_001 }], 'rules[0].window', /./],
      [[{ type: 'deduplicate', window: 5000, include_fields: ['body.id'], exclude_fields: ['body.at'] }], 'rules[0]', /both include_fields and exclude_fields/],
      [[{ type: 'deduplicate', window: 5000, exclude_fields: ['headers.date'] }], 'rules[0].exclude_fields[0]', /field of the body/],
      [[{ type: 'deduplicate', window: 5000, include_fields: ['bodies.id'] }], 'rules[0].include_fields[0]', /must be a field path/],
    ];
    for (const [rules, field, message] of cases) {
      const answer = await parts.team.call('POST', '/connections', { body: { ...base, rules } });
      assert.equal(answer.status, 422, `${JSON.stringify(rules)}: ${answer.text}`);
      assert.equal(answer.json.data[0].field, field, answer.text);
      assert.match(answer.json.data[0].message, message);
    }
  });

  test('ingest: only connections whose filter matches get an event; the others are recorded as ignored (FILTERED)', async () => {
    const source = await newSource();
    const big = await connect(source.id, [{ type: 'filter', body: { data: { amount: { $gte: 1000 } } } }]);
    const eur = await connect(source.id, [{ type: 'filter', body: { data: { currency: 'EUR' } }, headers: { 'x-env': 'live' } }]);
    const all = await connect(source.id, []);

    const send = (body: unknown, headers: Record<string, string> = {}) => parts.gw.call('POST', source.url, { body, headers });
    const first = await send({ data: { amount: 1500, currency: 'USD' } }, { 'X-Env': 'live' });
    assert.equal(first.status, 200);
    const request = (await parts.team.call('GET', `/requests/${first.json.request_id}`)).json;
    assert.equal(request.events_count, 2);
    assert.equal(request.ignored_count, 1);
    assert.deepEqual(request.ignored, [{ webhook_id: eur.id, cause: 'FILTERED' }]);
    assert.match(first.json.message, /1 connection\(s\) ignored it/);
    const events = (await parts.team.call('GET', `/events?request_id=${first.json.request_id}`)).json.models as { webhook_id: string }[];
    assert.deepEqual(events.map((e) => e.webhook_id).sort(), [big.id, all.id].sort());

    const second = await send({ data: { amount: 10, currency: 'EUR' } }, { 'x-env': 'live' });
    const secondRequest = (await parts.team.call('GET', `/requests/${second.json.request_id}`)).json;
    assert.deepEqual((secondRequest.ignored as { webhook_id: string }[]).map((i) => i.webhook_id), [big.id]);
    assert.equal(secondRequest.events_count, 2);

    const text = await parts.gw.call('POST', source.url, { body: 'not json', headers: { 'content-type': 'text/plain' } });
    assert.equal((await parts.team.call('GET', `/requests/${text.json.request_id}`)).json.ignored_count, 2, 'a text body matches no object filter');
  });

  test('a request every connection filtered out is stored, not rejected, with no events', async () => {
    const source = await newSource();
    const only = await connect(source.id, [{ type: 'filter', query: { mode: 'live' }, path: { $startsWith: '/orders' } }]);
    const answer = await parts.gw.call('POST', `${source.url}/orders/1?mode=test`, { body: { a: 1 } });
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.json.status, 'SUCCESS');
    assert.deepEqual(answer.json.event_ids, []);
    const request = (await parts.team.call('GET', `/requests/${answer.json.request_id}`)).json;
    assert.equal(request.rejection_cause, null);
    assert.equal(request.events_count, 0);
    assert.deepEqual(request.ignored, [{ webhook_id: only.id, cause: 'FILTERED' }]);
    const live = await parts.gw.call('POST', `${source.url}/orders/1?mode=test&mode=live`, { body: { a: 1 } });
    assert.equal(live.json.event_ids.length, 1, 'a repeated query name is an array that contains the value');
    const elsewhere = await parts.gw.call('POST', `${source.url}/refunds/1?mode=live`, { body: { a: 1 } });
    assert.equal(elsewhere.json.event_ids.length, 0, 'the path filter applies too');
  });

  test('a deduplicate rule: a repeat within the window makes no event and names the event it repeats', async () => {
    const source = await newSource();
    const byId = await connect(source.id, [{ type: 'deduplicate', window: 3_600_000, include_fields: ['body.id', 'headers.x-shop'] }]);
    const exact = await connect(source.id, [{ type: 'deduplicate', window: 3_600_000 }]);
    const butTime = await connect(source.id, [{ type: 'deduplicate', window: 3_600_000, exclude_fields: ['body.sent_at'] }]);
    const send = async (body: unknown, shop = 'a') => {
      const answer = await parts.gw.call('POST', source.url, { body, headers: { 'x-shop': shop } });
      assert.equal(answer.status, 200, answer.text);
      const request = (await parts.team.call('GET', `/requests/${answer.json.request_id}`)).json;
      const events = (await parts.team.call('GET', `/events?request_id=${answer.json.request_id}`)).json.models as { id: string; webhook_id: string }[];
      return { request, byConnection: new Map(events.map((e) => [e.webhook_id, e.id])) };
    };
    const first = await send({ id: 1, sent_at: 't1', n: 1 });
    assert.equal(first.request.events_count, 3);
    const sameButTime = await send({ id: 1, sent_at: 't2', n: 1 });
    assert.deepEqual(
      new Map((sameButTime.request.ignored as { webhook_id: string; cause: string; duplicate_event_id: string }[]).map((i) => [i.webhook_id, [i.cause, i.duplicate_event_id]])),
      new Map([
        [byId.id, ['DEDUPLICATED', first.byConnection.get(byId.id)]],
        [butTime.id, ['DEDUPLICATED', first.byConnection.get(butTime.id)]],
      ]),
    );
    assert.deepEqual([...sameButTime.byConnection.keys()], [exact.id], 'the body differs in bytes: not an exact repeat');
    const otherShop = await send({ id: 1, sent_at: 't1', n: 1 }, 'b');
    assert.deepEqual([...otherShop.byConnection.keys()].sort(), [byId.id].sort(), 'a different included header is no repeat; the same body is, for the others');
    const reordered = await parts.gw.call('POST', source.url, { raw: '{"sent_at":"t9","n":1,"id":1}', headers: { 'content-type': 'application/json', 'x-shop': 'a' } });
    const reorderedRequest = (await parts.team.call('GET', `/requests/${reordered.json.request_id}`)).json;
    assert.deepEqual(
      (reorderedRequest.ignored as { webhook_id: string }[]).map((i) => i.webhook_id).sort(),
      [byId.id, butTime.id].sort(),
      'the same fields in another order, another sent_at: a repeat for the exclude rule',
    );
  });

  test('a delay rule makes the event SCHEDULED at received time + delay', async () => {
    const source = await newSource();
    await connect(source.id, [{ type: 'delay', delay: 3_600_000 }]);
    const before = Date.now();
    const answer = await parts.gw.call('POST', source.url, { body: { a: 1 } });
    const after = Date.now();
    const event = (await parts.team.call('GET', `/events/${answer.json.event_ids[0]}`)).json;
    assert.equal(event.status, 'SCHEDULED');
    const due = Date.parse(event.next_attempt_at);
    const received = Date.parse(event.created_at);
    assert.equal(due - received, 3_600_000);
    assert.ok(received >= before && received <= after);
  });
});
