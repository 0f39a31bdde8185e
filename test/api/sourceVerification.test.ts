/**
 * Source verification through the real API and ingest: each auth type is configured with POST /sources, shown
 * masked (the secret never appears in any answer, nor in clear in the store), refused with a 422 naming the field
 * when malformed, and enforced on ingest: proof → 200 and events; hostile requests (wrong secret, missing header,
 * stale timestamp, tampered body, wrong encoding) → 403 VERIFICATION_FAILED, recorded with that cause and no event.
 */
/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-call --
   The API's JSON answers are `any` (harness.ts) and read field by field: the assertions are the type checks. */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, test } from 'node:test';
import { gatewayWithDestination, type Answer, type Gateway } from './harness.js';

const STRIPE_SECRET = 'whsec_0123456789abcdefghijklmnopqrstuv';
const GITHUB_SECRET = 'github-webhook-secret-0123456789';
const SHOPIFY_SECRET = 'shpss_0123456789abcdef0123456789';
const HMAC_SECRET = 'generic-hmac-secret-0123456789';
const PASSWORD = 'basic-password-0123456789';
const API_KEY = 'source-api-key-0123456789';
const ALL_SECRETS = [STRIPE_SECRET, GITHUB_SECRET, SHOPIFY_SECRET, HMAC_SECRET, PASSWORD, API_KEY];

const sign = (algorithm: string, secret: string, data: string | Buffer) => createHmac(algorithm, secret).update(data);

describe('source verification', () => {
  const parts = gatewayWithDestination('verification');

  let counter = 0;
  async function source(config: unknown): Promise<{ id: string; url: string; answer: Answer }> {
    const answer = await parts.team.call('POST', '/sources', { body: { name: `verified-${++counter}`, config } });
    assert.equal(answer.status, 201, answer.text);
    await parts.team.call('POST', '/connections', { body: { name: 'c', source_id: answer.json.id, destination_id: parts.destinationId } });
    return { id: answer.json.id, url: `${parts.gw.base}/e/${answer.json.id}`, answer };
  }

  function assertNoSecret(text: string): void {
    for (const secret of ALL_SECRETS) assert.ok(!text.includes(secret), `a secret leaked: ${text}`);
  }

  /** Refused and recorded; `sentElsewhere`: the test put a secret in a header the source does not read (kept). */
  async function expectRejected(url: string, options: Parameters<Gateway['call']>[2], reason: RegExp, sentElsewhere = false): Promise<void> {
    const answer = await parts.gw.call('POST', url, options);
    assert.equal(answer.status, 403, answer.text);
    assert.equal(answer.json.code, 'VERIFICATION_FAILED');
    assert.match(answer.json.message, reason);
    assertNoSecret(answer.text);
    const stored = (await parts.team.call('GET', `/requests/${answer.json.data.request_id}`)).json;
    assert.equal(stored.rejection_cause, 'VERIFICATION_FAILED');
    assert.deepEqual(stored.event_ids, []);
    // Even a wrong credential is not kept: it may be the real one mistyped.
    if (!sentElsewhere) assertNoSecret(JSON.stringify(stored));
  }

  /** Accepted; returns the request as stored (what destinations are sent). */
  async function expectAccepted(url: string, options: Parameters<Gateway['call']>[2]): Promise<{ headers: Record<string, string> }> {
    const answer = await parts.gw.call('POST', url, options);
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.json.status, 'SUCCESS');
    assert.equal(answer.json.event_ids.length, 1);
    return (await parts.team.call('GET', `/requests/${answer.json.request_id}`)).json as { headers: Record<string, string> };
  }

  test('the config is shown with its secrets masked, never in clear in answers or in the store', async () => {
    const created = await source({ auth_type: 'STRIPE', auth: { webhook_secret_key: STRIPE_SECRET } });
    assert.equal(created.answer.json.config.auth_type, 'STRIPE');
    assert.deepEqual(created.answer.json.config.auth, { secret: `whsec_…${STRIPE_SECRET.slice(-4)}` });
    const hmac = await source({ auth_type: 'HMAC', auth: { algorithm: 'sha512', encoding: 'base64', header_key: 'X-Signature', secret: HMAC_SECRET } });
    assert.deepEqual(hmac.answer.json.config.auth, { algorithm: 'sha512', encoding: 'base64', header_key: 'x-signature', secret: `…${HMAC_SECRET.slice(-4)}` });
    const basic = await source({ auth_type: 'BASIC_AUTH', auth: { username: 'sender', password: 'short' } });
    assert.deepEqual(basic.answer.json.config.auth, { username: 'sender', password: '********' });

    for (const answer of [
      created.answer,
      hmac.answer,
      await parts.team.call('GET', `/sources/${created.id}`),
      await parts.team.call('GET', '/sources'),
      await parts.team.call('GET', `/connections?source_id=${hmac.id}`),
    ]) {
      assertNoSecret(answer.text);
    }
    const stored = await parts.gw.store.getSource(parts.team.id, hmac.id);
    assert.ok(stored !== null);
    assertNoSecret(JSON.stringify(stored));
    assert.match(stored.config.auth?.sealed ?? '', /^v2\./, 'sealed in the current format, under the current key');
  });

  test('malformed verification configs are 422 naming the field', async () => {
    const cases: [unknown, string, RegExp][] = [
      [{ auth_type: 'HMAC', auth: { secret: 's' } }, 'config.auth.header_key', /required with auth_type HMAC/],
      [{ auth_type: 'HMAC', auth: { header_key: 'x-sig' } }, 'config.auth.secret', /required/],
      [{ auth_type: 'HMAC', auth: { header_key: 'x sig', secret: 's' } }, 'config.auth.header_key', /not a valid header name/],
      [{ auth_type: 'HMAC', auth: { header_key: 'x', secret: 's', algorithm: 'md5' } }, 'config.auth.algorithm', /./],
      [{ auth_type: 'HMAC', auth: { header_key: 'x', secret: 's', encoding: 'base32' } }, 'config.auth.encoding', /./],
      [{ auth_type: 'HMAC', auth: { header_key: 'x', secret: 's', username: 'u' } }, 'config.auth.username', /does not apply to auth_type HMAC/],
      [{ auth_type: 'STRIPE', auth: { secret: 'a', webhook_secret_key: 'b' } }, 'config.auth.webhook_secret_key', /only one/],
      [{ auth_type: 'GITHUB' }, 'config.auth.secret', /required/],
      [{ auth_type: 'BASIC_AUTH', auth: { username: 'a:b', password: 'p' } }, 'config.auth.username', /must not contain ":"/],
      [{ auth_type: 'API_KEY', auth: {} }, 'config.auth.api_key', /required/],
      [{ auth: { secret: 's' } }, 'config.auth_type', /required with config.auth/],
      [{ auth_type: 'JWT', auth: { secret: 's' } }, 'config.auth_type', /must be one of HMAC/],
      [{ auth_type: null, auth: { secret: 's' } }, 'config.auth', /must be null/],
      [{ auth_type: 'HMAC', auth: { header_key: 'x', secret: '' } }, 'config.auth.secret', /./],
      [{ auth_type: 'HMAC', auth: { header_key: 'x', secret: 's', extra: 1 } }, 'config.auth', /./],
      [{ rate_limit: 0 }, 'config.rate_limit', /whole number from 1/],
      [{ rate_limit_period: 'day', rate_limit: 1 }, 'config.rate_limit_period', /second, minute, hour/],
      [{ rate_limit_period: 'minute' }, 'config.rate_limit', /required with rate_limit_period/],
    ];
    for (const [config, field, message] of cases) {
      const answer = await parts.team.call('POST', '/sources', { body: { name: 'bad', config } });
      assert.equal(answer.status, 422, `${JSON.stringify(config)}: ${answer.text}`);
      assert.equal(answer.json.code, 'VALIDATION_ERROR');
      const problem = answer.json.data.find((item: { field: string }) => item.field === field || item.field.startsWith(`${field}`));
      assert.ok(problem !== undefined, `${JSON.stringify(config)} should name ${field}: ${answer.text}`);
      assert.match(problem.message, message, JSON.stringify(config));
    }
    assert.equal((await parts.team.call('GET', '/sources?name=bad')).json.count, 0, 'nothing was created');
  });

  test('STRIPE: a fresh signature passes; stale, tampered, wrong-secret and missing ones are refused and recorded', async () => {
    const src = await source({ auth_type: 'STRIPE', auth: { secret: STRIPE_SECRET } });
    const body = '{"id":"evt_1","type":"invoice.paid"}';
    const header = (t: number, secret = STRIPE_SECRET, signed = body) => `t=${t},v1=${sign('sha256', secret, `${t}.${signed}`).digest('hex')}`;
    const now = Math.floor(Date.now() / 1000);
    const json = { 'content-type': 'application/json' };
    await expectAccepted(src.url, { raw: body, headers: { ...json, 'stripe-signature': header(now) } });
    await expectRejected(src.url, { raw: body, headers: { ...json, 'stripe-signature': header(now - 600) } }, /beyond the 300 s tolerance/);
    await expectRejected(src.url, { raw: body, headers: { ...json, 'stripe-signature': header(now + 600) } }, /tolerance/);
    await expectRejected(src.url, { raw: body.replace('paid', 'void'), headers: { ...json, 'stripe-signature': header(now) } }, /no v1 signature/);
    await expectRejected(src.url, { raw: body, headers: { ...json, 'stripe-signature': header(now, 'whsec_wrong') } }, /no v1 signature/);
    await expectRejected(src.url, { raw: body, headers: json }, /Stripe-Signature header is missing/);
    const rejected = await parts.team.call('GET', `/requests?source_id=${src.id}&rejection_cause=VERIFICATION_FAILED`);
    assert.equal(rejected.json.total_count, 5);
    assert.equal((await parts.team.call('GET', `/events?source_id=${src.id}`)).json.total_count, 1, 'only the verified request made an event');
  });

  test('GITHUB and SHOPIFY: the body signed with the secret passes; any change or another encoding is refused', async () => {
    const github = await source({ auth_type: 'GITHUB', auth: { secret: GITHUB_SECRET } });
    const body = '{"action":"opened","number":1}';
    const hubSignature = `sha256=${sign('sha256', GITHUB_SECRET, body).digest('hex')}`;
    await expectAccepted(github.url, { raw: body, headers: { 'content-type': 'application/json', 'x-hub-signature-256': hubSignature } });
    await expectRejected(github.url, { raw: `${body}\n`, headers: { 'x-hub-signature-256': hubSignature } }, /does not match/);
    await expectRejected(github.url, { raw: body, headers: { 'x-hub-signature': `sha1=${sign('sha1', GITHUB_SECRET, body).digest('hex')}` } }, /missing/);

    const shopify = await source({ auth_type: 'SHOPIFY', auth: { secret: SHOPIFY_SECRET } });
    const digest = sign('sha256', SHOPIFY_SECRET, body);
    const bytes = digest.digest();
    await expectAccepted(shopify.url, { raw: body, headers: { 'x-shopify-hmac-sha256': bytes.toString('base64') } });
    await expectRejected(shopify.url, { raw: body, headers: { 'x-shopify-hmac-sha256': bytes.toString('hex') } }, /does not match/);
    await expectRejected(shopify.url, { raw: body, headers: { 'x-shopify-hmac-sha256': sign('sha256', 'wrong', body).digest('base64') } }, /does not match/);
  });

  test('HMAC over binary bodies, BASIC_AUTH and API_KEY', async () => {
    const hmac = await source({ auth_type: 'HMAC', auth: { algorithm: 'sha1', encoding: 'base64url', header_key: 'X-Sig', secret: HMAC_SECRET } });
    const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const signature = sign('sha1', HMAC_SECRET, bytes).digest('base64url');
    await expectAccepted(hmac.url, { raw: bytes, headers: { 'content-type': 'application/octet-stream', 'x-sig': signature } });
    await expectRejected(hmac.url, { raw: bytes, headers: { 'x-sig': sign('sha1', HMAC_SECRET, bytes).digest('hex') } }, /not the base64url HMAC-SHA1/);
    await expectRejected(hmac.url, { raw: bytes, headers: { 'x-sig': sign('sha256', HMAC_SECRET, bytes).digest('base64url') } }, /HMAC-SHA1/);
    await expectRejected(hmac.url, { raw: bytes.subarray(1), headers: { 'x-sig': signature } }, /not the base64url/);

    const basic = await source({ auth_type: 'BASIC_AUTH', auth: { username: 'sender', password: PASSWORD } });
    const credentials = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    const basicStored = await expectAccepted(basic.url, { body: { a: 1 }, headers: { authorization: credentials('sender', PASSWORD), 'x-other': 'kept' } });
    assert.equal(basicStored.headers.authorization, undefined, "the source's credential is neither stored nor forwarded");
    assert.equal(basicStored.headers['x-other'], 'kept');
    await expectRejected(basic.url, { body: { a: 1 }, headers: { authorization: credentials('sender', 'guess') } }, /not the source's user name and password/);
    await expectRejected(basic.url, { body: { a: 1 } }, /Authorization header with Basic credentials is missing/);

    const apiKey = await source({ auth_type: 'API_KEY', auth: { api_key: API_KEY } });
    assert.equal(apiKey.answer.json.config.auth.header_key, 'x-api-key', 'the default header');
    const keyStored = await expectAccepted(apiKey.url, { body: {}, headers: { 'x-api-key': API_KEY } });
    assert.equal(keyStored.headers['x-api-key'], undefined, "the source's API key is neither stored nor forwarded");
    assertNoSecret(JSON.stringify(keyStored));
    await expectRejected(apiKey.url, { body: {}, headers: { 'x-api-key': `${API_KEY}0` } }, /does not hold the source's API key/);
    await expectRejected(apiKey.url, { body: {}, headers: { authorization: `Bearer ${API_KEY}` } }, /x-api-key header with the API key is missing/, true);
  });

  test('update: changing a non-secret field keeps the secret; changing the type needs the new fields; null removes it', async () => {
    const src = await source({ auth_type: 'HMAC', auth: { header_key: 'x-one', secret: HMAC_SECRET } });
    const body = 'payload';
    const hex = sign('sha256', HMAC_SECRET, body).digest('hex');
    const moved = await parts.team.call('PUT', `/sources/${src.id}`, { body: { config: { auth: { header_key: 'x-two' } } } });
    assert.equal(moved.status, 200, moved.text);
    assert.equal(moved.json.config.auth.header_key, 'x-two');
    await expectAccepted(src.url, { raw: body, headers: { 'content-type': 'text/plain', 'x-two': hex } });
    await expectRejected(src.url, { raw: body, headers: { 'content-type': 'text/plain', 'x-one': hex } }, /x-two header/);

    // Other config changes leave verification alone.
    await parts.team.call('PUT', `/sources/${src.id}`, { body: { config: { allowed_http_methods: ['POST', 'PUT'] } } });
    await expectRejected(src.url, { raw: body, headers: { 'content-type': 'text/plain' } }, /x-two header/);

    const retyped = await parts.team.call('PUT', `/sources/${src.id}`, { body: { config: { auth_type: 'GITHUB' } } });
    assert.equal(retyped.status, 422, 'a new type does not inherit the old secret');
    const removed = await parts.team.call('PUT', `/sources/${src.id}`, { body: { config: { auth_type: null } } });
    assert.equal(removed.json.config.auth_type, null);
    assert.equal(removed.json.config.auth, null);
    await expectAccepted(src.url, { raw: body, headers: { 'content-type': 'text/plain' } });
  });

  test('a disabled source answers SOURCE_DISABLED before verification; a bad method 405 before verification', async () => {
    const src = await source({ auth_type: 'API_KEY', auth: { api_key: API_KEY } });
    assert.equal((await parts.gw.call('GET', src.url)).status, 405);
    await parts.team.call('PUT', `/sources/${src.id}/disable`);
    assert.equal((await parts.gw.call('POST', src.url, { body: {} })).json.code, 'SOURCE_DISABLED');
  });
});
