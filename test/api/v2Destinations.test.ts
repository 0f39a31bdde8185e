/**
 * `/v2/event-destinations` and `/v2/destination-types` over real HTTP: the object's shape, create/list/get/PATCH/
 * DELETE, validation of many bad bodies (naming `<type>.<field>` and `events[i]`), credentials masked in every
 * answer and absent from every log line, the delivery log with filters and cursors, manual retry through the
 * engine, and the inbound face not showing any of it.
 */
/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-call --
   The API's JSON answers are `any` (harness.ts) and read field by field: the assertions are the type checks. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { newId } from '../../src/domain/ids.js';
import { startGateway, type Answer, type Gateway, type Team } from './harness.js';
import { v2Error } from './v2Support.js';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const SECRET_BODY = SECRET.slice('whsec_'.length);
const HOOK = { url: 'https://example.com/webhooks/deck' };

describe('/v2/event-destinations', () => {
  let gw: Gateway;
  let team: Team;
  const answers: Answer[] = [];
  const call = async (method: string, path: string, body?: unknown, headers?: Record<string, string>) => {
    const answer = await team.call(method, path, { ...(body === undefined ? {} : { body }), ...(headers === undefined ? {} : { headers }) });
    answers.push(answer);
    return answer;
  };

  before(async () => {
    gw = await startGateway({}, { captureLogs: true });
    team = await gw.team('dest');
  });
  after(async () => {
    await gw.close();
  });

  test('destination types: each type with its config and credential fields, for building forms', async () => {
    const answer = await call('GET', '/v2/destination-types');
    assert.equal(answer.status, 200);
    const webhook = answer.json.data.find((t: { type: string }) => t.type === 'webhook');
    assert.ok(webhook);
    assert.deepEqual(Object.keys(webhook), ['type', 'label', 'description', 'config_fields', 'credential_fields']);
    const url = webhook.config_fields.find((f: { key: string }) => f.key === 'url');
    assert.deepEqual({ ...url, description: undefined }, { key: 'url', label: 'URL', type: 'url', required: true, sensitive: false, description: undefined });
    assert.ok(webhook.credential_fields.some((f: { key: string; sensitive: boolean }) => f.key === 'secret' && f.sensitive));
  });

  test('create answers 201 with the seed shape, credentials masked; get and list agree', async () => {
    const created = await call('POST', '/v2/event-destinations', {
      name: 'Production Webhook',
      type: 'webhook',
      webhook: { ...HOOK, secret: SECRET },
      events: ['credential.verified', 'task_run.completed', 'task_run.failed'],
    });
    assert.equal(created.status, 201, created.text);
    const d = created.json;
    assert.deepEqual(Object.keys(d).sort(), ['created_at', 'events', 'id', 'name', 'object', 'status', 'timeout', 'type', 'updated_at', 'webhook']);
    assert.equal(d.timeout, null, 'the gateway default unless set');
    assert.match(d.id, /^evtd_[0-9a-z]{16}$/);
    assert.equal(d.object, 'event_destination');
    assert.equal(d.name, 'Production Webhook');
    assert.equal(d.type, 'webhook');
    assert.deepEqual(d.events, ['credential.verified', 'task_run.completed', 'task_run.failed']);
    assert.equal(d.status, 'active');
    assert.equal(d.webhook.url, HOOK.url);
    assert.equal(d.webhook.secret, 'whsec_…LaSw');
    assert.equal((await call('GET', `/v2/event-destinations/${d.id}`)).text, created.text);
    const list = await call('GET', '/v2/event-destinations');
    assert.deepEqual(list.json.data[0], d);

    const generated = await call('POST', '/v2/event-destinations', { name: 'Generated', type: 'webhook', webhook: HOOK, events: ['*'] });
    assert.equal(generated.status, 201);
    assert.match(generated.json.webhook.secret, /^whsec_….{4}$/, 'a secret is generated when absent, and masked');
    const inactive = await call('POST', '/v2/event-destinations', { name: 'Later', type: 'webhook', webhook: HOOK, events: ['*'], status: 'inactive' });
    assert.equal(inactive.json.status, 'inactive');
  });

  test('bad bodies: 422 naming the field', async () => {
    const valid = { name: 'x', type: 'webhook', events: ['*'], webhook: HOOK };
    const cases: [Record<string, unknown>, string][] = [
      [{ ...valid, name: undefined }, 'name'],
      [{ ...valid, name: '' }, 'name'],
      [{ ...valid, name: 'n'.repeat(256) }, 'name'],
      [{ ...valid, type: undefined }, 'type'],
      [{ ...valid, type: 'carrier_pigeon' }, 'type'],
      [{ ...valid, type: 'WEBHOOK' }, 'type'],
      [{ ...valid, events: undefined }, 'events'],
      [{ ...valid, events: [] }, 'events'],
      [{ ...valid, events: '*' }, 'events'],
      [{ ...valid, events: ['*', 'task_run.completed'] }, 'events'],
      [{ ...valid, events: ['task_run.completed', 'Bad'] }, 'events[1]'],
      [{ ...valid, events: ['task_run.*', '*.completed'] }, 'events[1]'],
      [{ ...valid, events: [5] }, 'events[0]'],
      [{ ...valid, webhook: undefined }, 'webhook.url'],
      [{ ...valid, webhook: {} }, 'webhook.url'],
      [{ ...valid, webhook: { url: 'ftp://example.com' } }, 'webhook.url'],
      [{ ...valid, webhook: { url: 'not a url' } }, 'webhook.url'],
      [{ ...valid, webhook: { ...HOOK, colour: 'blue' } }, 'webhook.colour'],
      [{ ...valid, webhook: { ...HOOK, secret: 'not-a-secret' } }, 'webhook.secret'],
      [{ ...valid, webhook: { ...HOOK, custom_headers: { 'webhook-signature': 'forged' } } }, 'webhook.custom_headers.webhook-signature'],
      [{ ...valid, webhook: 'https://example.com' }, 'webhook'],
      [{ ...valid, status: 'paused' }, 'status'],
      [{ ...valid, timeout: 99 }, 'timeout'],
      [{ ...valid, timeout: 300_001 }, 'timeout'],
      [{ ...valid, timeout: 1.5 }, 'timeout'],
      [{ ...valid, timeout: '5000' }, 'timeout'],
      [{ ...valid, colour: 'blue' }, 'colour'],
    ];
    for (const [body, field] of cases) {
      const errors = v2Error(await call('POST', '/v2/event-destinations', body), 422, 'validation_error');
      assert.ok(errors.some((e) => e.field === field), `${JSON.stringify(body)} → ${JSON.stringify(errors)}`);
    }
    assert.equal((await call('GET', '/v2/event-destinations?limit=100')).json.data.filter((d: { name: string }) => d.name === 'x').length, 0, 'nothing was created');
  });

  test('every catalog type: its <type> object splits into config and credentials, answered masked', async () => {
    const types = (await call('GET', '/v2/destination-types')).json.data.map((t: { type: string }) => t.type).sort();
    assert.deepEqual(types, ['aws_kinesis', 'aws_s3', 'aws_sqs', 'azure_servicebus', 'gcp_pubsub', 'hookdeck', 'rabbitmq', 'webhook']);
    const AWS_SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
    const sqs = await call('POST', '/v2/event-destinations', {
      name: 'Queue', type: 'aws_sqs', events: ['*'],
      aws_sqs: { queue_url: 'https://sqs.eu-west-1.amazonaws.com/123456789012/events', key: 'AKIAIOSFODNN7EXAMPLE', secret: AWS_SECRET },
    });
    assert.equal(sqs.status, 201, sqs.text);
    assert.equal(sqs.json.aws_sqs.queue_url, 'https://sqs.eu-west-1.amazonaws.com/123456789012/events');
    assert.ok(!sqs.text.includes(AWS_SECRET), 'the AWS secret is masked');
    const moved = await call('PATCH', `/v2/event-destinations/${sqs.json.id}`, { aws_sqs: { queue_url: 'https://sqs.eu-west-1.amazonaws.com/123456789012/other' } });
    assert.equal(moved.status, 200, moved.text);
    assert.equal(moved.json.aws_sqs.queue_url, 'https://sqs.eu-west-1.amazonaws.com/123456789012/other');
    assert.deepEqual({ ...moved.json.aws_sqs, queue_url: undefined, region: undefined }, { ...sqs.json.aws_sqs, queue_url: undefined, region: undefined }, 'credentials kept');
    const rabbit = await call('POST', '/v2/event-destinations', {
      name: 'Rabbit', type: 'rabbitmq', events: ['task_run.*'],
      rabbitmq: { server_url: 'amqp://127.0.0.1:5672', exchange: 'events', username: 'guest', password: 'guest-password-long' },
    });
    assert.equal(rabbit.status, 201, rabbit.text);
    assert.ok(!rabbit.text.includes('guest-password-long'));

    const wrongKey = v2Error(await call('POST', '/v2/event-destinations', { name: 'x', type: 'webhook', events: ['*'], webhook: HOOK, aws_sqs: { queue_url: 'x' } }), 422, 'validation_error');
    assert.equal(wrongKey[0]?.field, 'aws_sqs', 'settings under another type are named');
    const missing = v2Error(await call('POST', '/v2/event-destinations', { name: 'x', type: 'aws_sqs', events: ['*'], aws_sqs: { queue_url: 'https://sqs.eu-west-1.amazonaws.com/1/q' } }), 422, 'validation_error');
    assert.equal(missing[0]?.field, 'aws_sqs.key');
  });

  test('PATCH is partial: name, events, config, status, secret rotation; type cannot change', async () => {
    const created = (await call('POST', '/v2/event-destinations', { name: 'Patchable', type: 'webhook', webhook: { ...HOOK, secret: SECRET }, events: ['a.b'] })).json;
    const path = `/v2/event-destinations/${created.id}`;
    const renamed = await call('PATCH', path, { name: 'Renamed' });
    assert.equal(renamed.status, 200);
    assert.equal(renamed.json.name, 'Renamed');
    assert.deepEqual(renamed.json.events, ['a.b']);
    assert.deepEqual(renamed.json.webhook, created.webhook);
    assert.ok(renamed.json.updated_at > created.updated_at || renamed.json.updated_at === created.updated_at);
    assert.equal(gw.engine.forgotten.includes(created.id), false, 'nothing the dispatcher derived changed');

    const moved = await call('PATCH', path, { webhook: { url: 'https://example.com/v2' }, events: ['task_run.*'] });
    assert.equal(moved.json.webhook.url, 'https://example.com/v2');
    assert.equal(moved.json.webhook.secret, 'whsec_…LaSw', 'credentials not sent are kept');
    assert.deepEqual(moved.json.events, ['task_run.*']);
    assert.ok(gw.engine.forgotten.includes(created.id), 'a config change makes the dispatcher forget its clients');

    const rotated = await call('PATCH', path, { webhook: { rotate_secret: true } });
    assert.notEqual(rotated.json.webhook.secret, 'whsec_…LaSw');
    assert.equal(rotated.json.webhook.previous_secret, 'whsec_…LaSw');

    const wakes = gw.engine.wakes;
    assert.equal((await call('PATCH', path, { status: 'inactive' })).json.status, 'inactive');
    assert.equal((await call('PATCH', path, { status: 'active' })).json.status, 'active');
    assert.equal(gw.engine.wakes, wakes + 1, 're-enabling wakes the dispatcher for the held deliveries');

    assert.equal(v2Error(await call('PATCH', path, { type: 'aws_sqs' }), 422, 'validation_error')[0]?.field, 'type');
    assert.equal(v2Error(await call('PATCH', path, { events: [] }), 422, 'validation_error')[0]?.field, 'events');
    assert.equal(v2Error(await call('PATCH', path, { webhook: { url: 'nope' } }), 422, 'validation_error')[0]?.field, 'webhook.url');
    assert.equal(v2Error(await call('PATCH', path, { webhook: { secret: 'whsec_short' } }), 422, 'validation_error')[0]?.field, 'webhook.secret');
    v2Error(await call('PATCH', `/v2/event-destinations/${newId('eventDestination')}`, { name: 'ghost' }), 404, 'not_found');
  });

  test('timeout: set at create, changed and reset to the default (null) by PATCH, validated on PATCH too', async () => {
    const created = await call('POST', '/v2/event-destinations', { name: 'quick', type: 'webhook', webhook: HOOK, events: ['*'], timeout: 1500 });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.json.timeout, 1500);
    const id = created.json.id;
    assert.equal((await call('GET', `/v2/event-destinations/${id}`)).json.timeout, 1500);
    assert.equal((await call('PATCH', `/v2/event-destinations/${id}`, { name: 'renamed' })).json.timeout, 1500, 'kept when not sent');
    assert.equal((await call('PATCH', `/v2/event-destinations/${id}`, { timeout: 30_000 })).json.timeout, 30_000);
    const errors = v2Error(await call('PATCH', `/v2/event-destinations/${id}`, { timeout: 0 }), 422, 'validation_error');
    assert.ok(errors.some((e) => e.field === 'timeout' && /100 to 300000/.test(e.message)), JSON.stringify(errors));
    assert.equal((await call('PATCH', `/v2/event-destinations/${id}`, { timeout: null })).json.timeout, null);
    assert.equal((await call('GET', `/v2/event-destinations/${id}`)).json.timeout, null);
  });

  test('list: filters by type and status, pages with cursor', async () => {
    const other = await gw.team('lists');
    for (let i = 0; i < 5; i++) {
      await other.call('POST', '/v2/event-destinations', { body: { name: `d${i}`, type: 'webhook', webhook: HOOK, events: ['*'], status: i % 2 === 0 ? 'active' : 'inactive' } });
    }
    const page = await other.call('GET', '/v2/event-destinations?limit=2');
    assert.deepEqual(page.json.data.map((d: { name: string }) => d.name), ['d4', 'd3']);
    assert.equal(page.json.has_more, true);
    const rest = await other.call('GET', `/v2/event-destinations?limit=10&cursor=${page.json.next_cursor}`);
    assert.deepEqual(rest.json.data.map((d: { name: string }) => d.name), ['d2', 'd1', 'd0']);
    assert.equal(rest.json.next_cursor, null);
    assert.deepEqual((await other.call('GET', '/v2/event-destinations?status=inactive')).json.data.map((d: { name: string }) => d.name), ['d3', 'd1']);
    assert.equal((await other.call('GET', '/v2/event-destinations?type=webhook')).json.data.length, 5);
    assert.equal((await other.call('GET', '/v2/event-destinations?type=aws_sqs')).json.data.length, 0);
    v2Error(await other.call('GET', '/v2/event-destinations?status=paused'), 422, 'validation_error');
    v2Error(await other.call('GET', '/v2/event-destinations?cursor=evt_0000000000000000'), 422, 'validation_error');
  });

  test('delete: 200, then 404; the dispatcher forgets it', async () => {
    const created = (await call('POST', '/v2/event-destinations', { name: 'Doomed', type: 'webhook', webhook: HOOK, events: ['*'] })).json;
    const deleted = await call('DELETE', `/v2/event-destinations/${created.id}`);
    assert.equal(deleted.status, 200);
    assert.deepEqual(deleted.json, { id: created.id, object: 'event_destination', deleted: true });
    assert.ok(gw.engine.forgotten.includes(created.id));
    v2Error(await call('GET', `/v2/event-destinations/${created.id}`), 404, 'not_found');
    v2Error(await call('DELETE', `/v2/event-destinations/${created.id}`), 404, 'not_found');
    v2Error(await call('GET', '/v2/event-destinations/des_0000000000000000'), 404, 'not_found');
  });

  test('the delivery log: deliveries with attempts, status and type filters, cursor; manual retry goes through the engine', async () => {
    const other = await gw.team('log');
    const d = (await other.call('POST', '/v2/event-destinations', { body: { name: 'Log', type: 'webhook', webhook: HOOK, events: ['*'] } })).json;
    for (let i = 0; i < 4; i++) await other.call('POST', '/v2/events', { body: { type: i < 3 ? 'task_run.completed' : 'credential.verified', data: { i }, id: `e-${i}` } });
    const base = `/v2/event-destinations/${d.id}/event-deliveries`;
    const log = await other.call('GET', base);
    assert.equal(log.status, 200);
    assert.equal(log.json.data.length, 4);
    const delivery = log.json.data[0];
    assert.deepEqual(Object.keys(delivery), [
      'id', 'object', 'status', 'event_type', 'event_id', 'event_destination_id', 'attempts', 'next_attempt_at', 'response_status', 'error_code', 'created_at', 'delivered_at',
    ]);
    assert.match(delivery.id, /^dlv_[0-9a-z]{16}$/);
    assert.equal(delivery.object, 'event_delivery');
    assert.equal(delivery.status, 'pending');
    assert.equal(delivery.event_type, 'credential.verified');
    assert.equal(delivery.event_id, 'e-3');
    assert.equal(delivery.event_destination_id, d.id);
    assert.deepEqual(delivery.attempts, []);
    assert.equal(delivery.delivered_at, null);

    assert.equal((await other.call('GET', `${base}?type=task_run.completed`)).json.data.length, 3);
    assert.equal((await other.call('GET', `${base}?status=pending&status=failure`)).json.data.length, 4);
    assert.equal((await other.call('GET', `${base}?status=success`)).json.data.length, 0);
    const page = await other.call('GET', `${base}?limit=3`);
    assert.equal(page.json.has_more, true);
    assert.equal((await other.call('GET', `${base}?cursor=${page.json.next_cursor}`)).json.data[0].event_id, 'e-0');
    v2Error(await other.call('GET', `${base}?status=SUCCESSFUL`), 422, 'validation_error');
    v2Error(await other.call('GET', `${base}?type=nope`), 422, 'validation_error');
    v2Error(await other.call('GET', `${base}?cursor=${d.id}`), 422, 'validation_error');
    v2Error(await other.call('GET', `/v2/event-destinations/${newId('eventDestination')}/event-deliveries`), 404, 'not_found');
    assert.deepEqual((await other.call('GET', `${base}/${delivery.id}`)).json, delivery);

    // Manual retry: the engine makes the attempt (here a stand-in that reports none: 404).
    v2Error(await other.call('POST', `${base}/${delivery.id}/retry`), 404, 'not_found');
    assert.deepEqual(gw.engine.retries.at(-1), { teamId: other.id, eventId: delivery.id });
    v2Error(await other.call('POST', `${base}/${newId('delivery')}/retry`), 404, 'not_found');
    v2Error(await other.call('POST', `${base}/evt_0000000000000000/retry`), 404, 'not_found');
  });

  test("the inbound face shows none of the outbound face's objects", async () => {
    const other = await gw.team('inbound-view');
    const d = (await other.call('POST', '/v2/event-destinations', { body: { name: 'Hidden', type: 'webhook', webhook: HOOK, events: ['*'] } })).json;
    await other.call('POST', '/v2/events', { body: { type: 'a.b', data: {} } });
    for (const path of ['/sources', '/destinations', '/connections']) assert.equal((await other.call('GET', path)).json.count, 0, path);
    for (const path of ['/events', '/requests', '/attempts']) assert.equal((await other.call('GET', path)).json.total_count, 0, path);
    assert.equal((await other.call('GET', `/destinations/${d.id}`)).status, 404);
    const delivery = (await other.call('GET', `/v2/event-destinations/${d.id}/event-deliveries`)).json.data[0];
    assert.equal((await other.call('GET', `/events/${delivery.id}`)).status, 404);
    assert.equal((await other.call('POST', `/events/${delivery.id}/retry`)).status, 404);
  });

  test('credentials never appear in full in any answer nor in any log line', async () => {
    const created = await call('POST', '/v2/event-destinations', { name: 'Secretive', type: 'webhook', webhook: { ...HOOK, secret: SECRET }, events: ['*'] });
    await call('PATCH', `/v2/event-destinations/${created.json.id}`, { webhook: { secret: 'whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' } });
    await call('POST', '/v2/event-destinations', { name: 'Bad', type: 'webhook', webhook: { url: 'nope', secret: SECRET }, events: ['*'] });
    assert.ok(answers.length > 20);
    for (const answer of answers) {
      assert.ok(!answer.text.includes(SECRET_BODY), `an answer shows the secret: ${answer.text}`);
      assert.ok(!answer.text.includes('AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'), `an answer shows the secret: ${answer.text}`);
    }
    assert.ok(gw.logLines.length > 20, 'the server logged (at trace level)');
    for (const line of gw.logLines) {
      assert.ok(!line.includes(SECRET_BODY), `a log line shows the secret: ${line}`);
      assert.ok(!line.includes('AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'), `a log line shows the secret: ${line}`);
    }
    // At rest: the row holds ciphertext only.
    const row = JSON.stringify(await gw.store.getEventDestination(team.id, created.json.id));
    assert.ok(!row.includes(SECRET_BODY) && !row.includes('AAAAAAAAAAAAAAAAAAAA'), 'encrypted at rest');
  });
});
