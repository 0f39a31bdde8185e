import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { webhook } from '../../src/destinations/webhook/index.js';
import type { WebhookConfig, WebhookCredentials } from '../../src/destinations/webhook/config.js';
import { signWebhook } from '../../src/domain/standardWebhooks.js';
import type { TypedPublisher } from '../../src/destinations/types.js';
import { assertInvalid, expectOutcome, options, outboundMessage } from './outbound.js';
import { ok, startReceiver, type Receiver } from './receiver.js';

const NOW = Date.parse('2025-03-01T12:00:00Z');
const DAY = 24 * 60 * 60 * 1000;

describe('webhook config', () => {
  it('takes a URL and custom headers, lower-casing header names', () => {
    const config = webhook.parseConfig({ url: 'https://example.com/hooks', custom_headers: { 'X-Api-Key': 'k1' } });
    assert.deepEqual(config, { url: 'https://example.com/hooks', custom_headers: { 'x-api-key': 'k1' } });
    assert.deepEqual(webhook.parseConfig({ url: 'http://example.com' }).custom_headers, {});
  });

  it('ignores credential keys (the API may pass the whole object) and refuses unknown ones', () => {
    assert.equal(webhook.parseConfig({ url: 'https://example.com', secret: 'whsec_x' }).url, 'https://example.com/');
    assertInvalid(() => webhook.parseConfig({ url: 'https://example.com', urll: 'x' }), 'webhook.urll');
    assertInvalid(() => webhook.parseConfig(JSON.parse('{"url":"https://example.com","__proto__":{"polluted":true}}')), 'webhook.__proto__');
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  it('refuses bad URLs and headers it would own, naming the field', () => {
    assertInvalid(() => webhook.parseConfig({}), 'webhook.url', /required/);
    assertInvalid(() => webhook.parseConfig('https://example.com'), 'webhook', /object/);
    assertInvalid(() => webhook.parseConfig([]), 'webhook');
    assertInvalid(() => webhook.parseConfig({ url: 42 }), 'webhook.url', /string/);
    assertInvalid(() => webhook.parseConfig({ url: 'ftp://example.com' }), 'webhook.url', /http/);
    assertInvalid(() => webhook.parseConfig({ url: 'not a url' }), 'webhook.url');
    assertInvalid(() => webhook.parseConfig({ url: 'https://user:pw@example.com' }), 'webhook.url', /password/);
    assertInvalid(() => webhook.parseConfig({ url: `https://example.com/${'a'.repeat(3000)}` }), 'webhook.url', /at most/);
    assertInvalid(() => webhook.parseConfig({ url: 'https://example.com/\nx' }), 'webhook.url', /control/);
    assertInvalid(() => webhook.parseConfig({ url: 'https://example.com', custom_headers: { 'bad name': 'v' } }), 'webhook.custom_headers.bad name');
    assertInvalid(() => webhook.parseConfig({ url: 'https://example.com', custom_headers: { 'Webhook-Signature': 'v1,forged' } }), 'webhook.custom_headers.Webhook-Signature');
    assertInvalid(() => webhook.parseConfig({ url: 'https://example.com', custom_headers: { 'x-sluice-event-id': 'x' } }), 'webhook.custom_headers.x-sluice-event-id');
    assertInvalid(() => webhook.parseConfig({ url: 'https://example.com', custom_headers: { host: 'evil' } }), 'webhook.custom_headers.host');
    assertInvalid(() => webhook.parseConfig({ url: 'https://example.com', custom_headers: { 'x-a': 'line\r\nbreak' } }), 'webhook.custom_headers.x-a');
    assertInvalid(() => webhook.parseConfig({ url: 'https://example.com', custom_headers: { 'x-a': 1 } }), 'webhook.custom_headers.x-a');
    assertInvalid(() => webhook.parseConfig({ url: 'https://example.com', custom_headers: { 'X-A': '1', 'x-a': '2' } }), 'webhook.custom_headers.x-a');
  });
});

describe('webhook credentials', () => {
  it('generates a whsec_ secret of 32 random bytes when none is given', () => {
    const credentials = webhook.parseCredentials({}, null, NOW);
    assert.match(credentials.secret, /^whsec_[A-Za-z0-9+/]{43}=$/);
    assert.equal(Buffer.from(credentials.secret.slice(6), 'base64').length, 32);
    assert.notEqual(webhook.parseCredentials(undefined, null, NOW).secret, credentials.secret);
  });

  it('keeps a given secret, and refuses one that is not a Standard Webhooks secret', () => {
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    assert.deepEqual(webhook.parseCredentials({ secret }, null, NOW), { secret });
    assertInvalid(() => webhook.parseCredentials({ secret: 'MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' }, null, NOW), 'webhook.secret', /whsec_/);
    assertInvalid(() => webhook.parseCredentials({ secret: 'whsec_c2hvcnQ=' }, null, NOW), 'webhook.secret');
    assertInvalid(() => webhook.parseCredentials({ secret: 12 }, null, NOW), 'webhook.secret');
    assertInvalid(() => webhook.parseCredentials({ rotate_secret: 'yes' }, null, NOW), 'webhook.rotate_secret');
  });

  it('keeps the stored secret on an update that does not touch it', () => {
    const stored = webhook.parseCredentials({}, null, NOW);
    assert.deepEqual(webhook.parseCredentials({}, stored, NOW + 1000), stored);
    assert.deepEqual(webhook.parseCredentials({ secret: stored.secret }, stored, NOW + 1000), stored);
  });

  it('rotates on rotate_secret: the previous secret keeps signing for 24 hours', () => {
    const stored = webhook.parseCredentials({}, null, NOW);
    const rotated = webhook.parseCredentials({ rotate_secret: true }, stored, NOW);
    assert.notEqual(rotated.secret, stored.secret);
    assert.equal(rotated.previous_secret, stored.secret);
    assert.equal(rotated.previous_secret_expires_at, new Date(NOW + DAY).toISOString());
    // Still within the window: kept; echoed back by a read-modify-write client: fine.
    assert.deepEqual(webhook.parseCredentials({ ...rotated }, rotated, NOW + DAY - 1), rotated);
    // After the window: dropped.
    assert.deepEqual(webhook.parseCredentials({}, rotated, NOW + DAY), { secret: rotated.secret });
  });

  it('rotates to a new secret given explicitly, and refuses forged rotation state', () => {
    const stored = webhook.parseCredentials({}, null, NOW);
    const next = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const rotated = webhook.parseCredentials({ secret: next }, stored, NOW);
    assert.equal(rotated.secret, next);
    assert.equal(rotated.previous_secret, stored.secret);
    assertInvalid(() => webhook.parseCredentials({ secret: stored.secret, rotate_secret: true }, stored, NOW), 'webhook.secret', /differ/);
    assertInvalid(() => webhook.parseCredentials({ previous_secret: next }, stored, NOW), 'webhook.previous_secret', /rotate_secret/);
    assertInvalid(() => webhook.parseCredentials({ previous_secret_expires_at: '2999-01-01T00:00:00Z' }, rotated, NOW), 'webhook.previous_secret_expires_at');
  });

  it('masks every secret', () => {
    const stored = webhook.parseCredentials({}, null, NOW);
    const rotated = webhook.parseCredentials({ rotate_secret: true }, stored, NOW);
    const masked = webhook.maskCredentials(rotated);
    assert.equal(masked.secret, `whsec_…${rotated.secret.slice(-4)}`);
    assert.equal(masked.previous_secret, `whsec_…${stored.secret.slice(-4)}`);
    assert.equal(masked.previous_secret_expires_at, rotated.previous_secret_expires_at);
    const text = JSON.stringify(masked);
    assert.ok(!text.includes(rotated.secret.slice(6, 20)) && !text.includes(stored.secret.slice(6, 20)));
  });
});

describe('webhook deliveries against a real receiver', () => {
  let receiver: Receiver;
  let publisher: TypedPublisher<WebhookConfig, WebhookCredentials>;
  const config = (url: string, custom_headers: Record<string, string> = {}): WebhookConfig => webhook.parseConfig({ url, custom_headers });

  before(async () => {
    receiver = await startReceiver();
    publisher = webhook.createPublisher({ outboundAllowlist: ['127.0.0.1/32'], responseBodyLimit: 1000 });
  });
  after(async () => {
    await publisher.close();
    await receiver.close();
  });
  beforeEach(() => {
    receiver.handler = ok;
    receiver.received.length = 0;
  });

  it('POSTs the body byte for byte with metadata, custom headers and a signature the standardwebhooks package verifies', async () => {
    const credentials = webhook.parseCredentials({}, null, Date.now());
    const message = outboundMessage();
    const now = Date.now();
    const outcome = expectOutcome(
      await publisher.publish(message, { destinationId: 'evtd_1', config: config(`${receiver.url}/hooks?x=1`, { 'x-tenant': 't1' }), credentials }, options({ now })),
      'success',
    );
    assert.equal(outcome.status, 200);
    assert.equal(outcome.requestedUrl, `${receiver.url}/hooks?x=1`);
    assert.equal(outcome.httpMethod, 'POST');
    const [got] = receiver.received;
    assert.ok(got);
    assert.equal(got.method, 'POST');
    assert.equal(got.url, '/hooks?x=1');
    assert.ok(got.body.equals(message.body), 'body byte-identical');
    assert.equal(got.headers['content-type'], 'application/json');
    assert.equal(got.headers['webhook-id'], message.eventId);
    assert.equal(got.headers['webhook-timestamp'], String(Math.floor(now / 1000)));
    assert.equal(got.headers['x-sluice-event-id'], message.eventId);
    assert.equal(got.headers['x-sluice-event-type'], 'task_run.completed');
    assert.equal(got.headers['x-sluice-timestamp'], message.metadata.timestamp);
    assert.equal(got.headers['x-sluice-attempt-count'], '1');
    assert.equal(got.headers['x-tenant'], 't1');
    const verified = new Webhook(credentials.secret).verify(got.body, got.headers as Record<string, string>);
    assert.deepEqual(verified, JSON.parse(message.body.toString()));
    // Tampering with the body breaks it: the check above can fail.
    assert.throws(() => new Webhook(credentials.secret).verify(Buffer.concat([got.body, Buffer.from(' ')]), got.headers as Record<string, string>));
  });

  it('signs with both secrets during a rotation: receivers on the old or the new one verify; after 24 h only the new', async () => {
    const old = webhook.parseCredentials({}, null, Date.now());
    const rotated = webhook.parseCredentials({ rotate_secret: true }, old, Date.now());
    const target = { destinationId: 'evtd_2', config: config(receiver.url), credentials: rotated };
    expectOutcome(await publisher.publish(outboundMessage(), target, options()), 'success');
    const [during] = receiver.received;
    assert.ok(during);
    const headers = during.headers as Record<string, string>;
    assert.equal(headers['webhook-signature']?.split(' ').length, 2);
    assert.doesNotThrow(() => new Webhook(rotated.secret).verify(during.body, headers));
    assert.doesNotThrow(() => new Webhook(old.secret).verify(during.body, headers));

    // A day later (the clock the dispatcher passes): the previous secret no longer signs.
    const later = Date.now() + DAY + 1000;
    expectOutcome(await publisher.publish(outboundMessage(), target, options({ now: later })), 'success');
    const afterWindow = receiver.received[1];
    assert.ok(afterWindow);
    const signature = afterWindow.headers['webhook-signature'] as string;
    assert.equal(signature.split(' ').length, 1);
    const ts = Number(afterWindow.headers['webhook-timestamp']);
    assert.equal(signature, signWebhook(rotated.secret, afterWindow.headers['webhook-id'] as string, ts, afterWindow.body));
  });

  it('reports a non-2xx answer as rejected and reuses one connection across deliveries', async (t) => {
    const credentials = webhook.parseCredentials({}, null, NOW);
    const target = { destinationId: 'evtd_3', config: config(receiver.url), credentials };
    const fresh = webhook.createPublisher({ outboundAllowlist: ['127.0.0.1/32'], responseBodyLimit: 1000 });
    t.after(() => fresh.close());
    const before = receiver.connections();
    receiver.handler = (_req, res) => res.writeHead(503, { 'retry-after': '5' }).end('busy');
    const refused = expectOutcome(await fresh.publish(outboundMessage(), target, options()), 'rejected');
    assert.equal(refused.status, 503);
    assert.equal(refused.retryAfterMs, 5000);
    assert.equal(refused.body, 'busy');
    receiver.handler = ok;
    for (let i = 0; i < 5; i += 1) expectOutcome(await fresh.publish(outboundMessage(), target, options()), 'success');
    // undici hands a socket back to the pool a tick after the body ends, so a request sent at once may open a
    // second one; what matters is that six deliveries do not open six.
    assert.ok(receiver.connections() - before <= 2, `keep-alive: ${receiver.connections() - before} connections for six deliveries`);
  });
});
