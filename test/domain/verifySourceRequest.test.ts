/**
 * Source verification against vectors computed outside Node, and hostile inputs for every type: wrong secret,
 * missing header, tampered body, wrong encoding, stale or future timestamps, malformed headers.
 *
 * Vectors (OpenSSL):
 *   GitHub's published example: secret "It's a Secret to Everybody", body "Hello, World!" →
 *     sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17
 *   printf '1700000000.{"id":"evt_1","object":"event"}' | openssl dgst -sha256 -hmac 'whsec_stripe_test_secret_0123456789'
 *   printf '{"id":820982911946154508,"email":"jon@doe.ca"}' | openssl dgst -sha256 -hmac 'shpss_shopify_secret_0123' -binary | base64
 *   printf 'payload=1' | openssl dgst -sha512 -hmac 'hmac-secret' -binary | base64 -w0 (and | tr '+/' '-_' | tr -d '=')
 *   printf 'payload=1' | openssl dgst -sha1 -hmac 'hmac-secret'
 *   the 256 byte values, see the test that uses them
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SourceAuth } from '../../src/domain/sourceAuth.js';
import { STRIPE_TOLERANCE_SECONDS, safeEqual, verifySourceRequest, type Verdict } from '../../src/domain/verifySourceRequest.js';

const T = 1_700_000_000;
const NOW = T * 1000;

function check(auth: SourceAuth, headers: Record<string, string>, body: string | Buffer, now = NOW): Verdict {
  return verifySourceRequest(auth, { headers, body: Buffer.isBuffer(body) ? body : Buffer.from(body), now });
}

function assertFails(verdict: Verdict, reason: RegExp): void {
  assert.equal(verdict.ok, false);
  if (!verdict.ok) assert.match(verdict.reason, reason);
}

describe('GITHUB', () => {
  const auth: SourceAuth = { type: 'GITHUB', secret: "It's a Secret to Everybody" };
  const good = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';

  it("accepts GitHub's published example (hex in any case)", () => {
    assert.deepEqual(check(auth, { 'x-hub-signature-256': good }, 'Hello, World!'), { ok: true });
    assert.deepEqual(check(auth, { 'x-hub-signature-256': good.toUpperCase().replace('SHA256=', 'sha256=') }, 'Hello, World!'), { ok: true });
  });

  it('refuses a tampered body, a wrong secret, a missing header, a missing prefix and the sha1 header', () => {
    assertFails(check(auth, { 'x-hub-signature-256': good }, 'Hello, World?'), /does not match/);
    assertFails(check({ type: 'GITHUB', secret: 'another secret' }, { 'x-hub-signature-256': good }, 'Hello, World!'), /does not match/);
    assertFails(check(auth, {}, 'Hello, World!'), /X-Hub-Signature-256 header is missing/);
    assertFails(check(auth, { 'x-hub-signature-256': good.slice('sha256='.length) }, 'Hello, World!'), /sha256=<hex>/);
    assertFails(check(auth, { 'x-hub-signature': 'sha1=0123' }, 'Hello, World!'), /missing/);
    assertFails(check(auth, { 'x-hub-signature-256': 'sha256=' }, 'Hello, World!'), /does not match/);
  });
});

describe('STRIPE', () => {
  const auth: SourceAuth = { type: 'STRIPE', secret: 'whsec_stripe_test_secret_0123456789' };
  const body = '{"id":"evt_1","object":"event"}';
  const v1 = 'bae762c097bd914b71dfef766f94630f5688cda4dfb078b82b416fc39b2c5373';

  it('accepts a v1 signature of "<t>.<body>" within the tolerance, among several signatures', () => {
    assert.deepEqual(check(auth, { 'stripe-signature': `t=${T},v1=${v1}` }, body), { ok: true });
    assert.deepEqual(check(auth, { 'stripe-signature': `t=${T},v1=${'0'.repeat(64)},v1=${v1},v0=abc` }, body), { ok: true });
    assert.deepEqual(check(auth, { 'stripe-signature': `t=${T}, v1=${v1}` }, body, NOW + STRIPE_TOLERANCE_SECONDS * 1000), { ok: true });
  });

  it('refuses stale and future timestamps, a timestamp changed after signing, and a tampered body', () => {
    assertFails(check(auth, { 'stripe-signature': `t=${T},v1=${v1}` }, body, NOW + (STRIPE_TOLERANCE_SECONDS + 1) * 1000), /beyond the 300 s tolerance/);
    assertFails(check(auth, { 'stripe-signature': `t=${T},v1=${v1}` }, body, NOW - 3_600_000), /3600 s away/);
    assertFails(check(auth, { 'stripe-signature': `t=${T + 1},v1=${v1}` }, body), /no v1 signature .* matches/);
    assertFails(check(auth, { 'stripe-signature': `t=${T},v1=${v1}` }, `${body} `), /no v1 signature .* matches/);
  });

  it('refuses malformed headers', () => {
    assertFails(check(auth, {}, body), /Stripe-Signature header is missing/);
    assertFails(check(auth, { 'stripe-signature': `v1=${v1}` }, body), /no valid timestamp/);
    assertFails(check(auth, { 'stripe-signature': `t=abc,v1=${v1}` }, body), /no valid timestamp/);
    assertFails(check(auth, { 'stripe-signature': `t=${T},v0=${v1}` }, body), /no v1 signature/);
    assertFails(check(auth, { 'stripe-signature': 'garbage' }, body), /no valid timestamp/);
  });
});

describe('SHOPIFY', () => {
  const auth: SourceAuth = { type: 'SHOPIFY', secret: 'shpss_shopify_secret_0123' };
  const body = '{"id":820982911946154508,"email":"jon@doe.ca"}';
  const good = 'GkELt1Pd+i/h116aoRKIl8KfzVCkOWza0EChiX/JLTY=';

  it('accepts the base64 HMAC-SHA256 of the body', () => {
    assert.deepEqual(check(auth, { 'x-shopify-hmac-sha256': good }, body), { ok: true });
  });

  it('refuses the hex encoding, a tampered body, a wrong secret and a missing header', () => {
    assertFails(check(auth, { 'x-shopify-hmac-sha256': Buffer.from(good, 'base64').toString('hex') }, body), /does not match/);
    assertFails(check(auth, { 'x-shopify-hmac-sha256': good }, body.replace('jon', 'eve')), /does not match/);
    assertFails(check({ type: 'SHOPIFY', secret: 'x' }, { 'x-shopify-hmac-sha256': good }, body), /does not match/);
    assertFails(check(auth, {}, body), /X-Shopify-Hmac-Sha256 header is missing/);
  });
});

describe('HMAC', () => {
  const sha512 = '2rLkJMEyeC1KEtCi0O+KwGd0b8lRkpdKB5kFOy6cuEu3b4abvRmhWfzHt/gcobZIzt33RQYRl4c4pKBEknZUlg==';
  const sha512url = '2rLkJMEyeC1KEtCi0O-KwGd0b8lRkpdKB5kFOy6cuEu3b4abvRmhWfzHt_gcobZIzt33RQYRl4c4pKBEknZUlg';
  const sha1hex = 'd7988a556cea17e9d6a7163b494f53f2cc840511';
  const hmac = (algorithm: 'sha1' | 'sha256' | 'sha512', encoding: 'hex' | 'base64' | 'base64url'): SourceAuth => ({
    type: 'HMAC',
    algorithm,
    encoding,
    header_key: 'x-signature',
    secret: 'hmac-secret',
  });

  it('accepts each algorithm and encoding as configured, with or without an "<algorithm>=" prefix', () => {
    assert.deepEqual(check(hmac('sha512', 'base64'), { 'x-signature': sha512 }, 'payload=1'), { ok: true });
    assert.deepEqual(check(hmac('sha512', 'base64url'), { 'x-signature': sha512url }, 'payload=1'), { ok: true });
    assert.deepEqual(check(hmac('sha512', 'base64url'), { 'x-signature': `${sha512url}==` }, 'payload=1'), { ok: true });
    assert.deepEqual(check(hmac('sha1', 'hex'), { 'x-signature': sha1hex }, 'payload=1'), { ok: true });
    assert.deepEqual(check(hmac('sha1', 'hex'), { 'x-signature': `sha1=${sha1hex.toUpperCase()}` }, 'payload=1'), { ok: true });
  });

  it('refuses the wrong encoding, the wrong algorithm, a tampered body, a wrong header and an empty signature', () => {
    assertFails(check(hmac('sha512', 'base64'), { 'x-signature': sha512url }, 'payload=1'), /not the base64 HMAC-SHA512/);
    assertFails(check(hmac('sha512', 'base64url'), { 'x-signature': sha512 }, 'payload=1'), /base64url/);
    assertFails(check(hmac('sha512', 'hex'), { 'x-signature': sha512 }, 'payload=1'), /hex/);
    assertFails(check(hmac('sha256', 'hex'), { 'x-signature': sha1hex }, 'payload=1'), /HMAC-SHA256/);
    assertFails(check(hmac('sha1', 'hex'), { 'x-signature': sha1hex }, 'payload=2'), /not the hex/);
    assertFails(check(hmac('sha1', 'hex'), { 'x-other': sha1hex }, 'payload=1'), /x-signature header with the HMAC signature is missing/);
    assertFails(check(hmac('sha1', 'hex'), { 'x-signature': '   ' }, 'payload=1'), /missing/);
  });

  it('signs raw bytes, not text: a body that is not UTF-8 verifies when signed as sent', () => {
    const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const auth: SourceAuth = { type: 'HMAC', algorithm: 'sha256', encoding: 'hex', header_key: 'x-sig', secret: 's' };
    // python3 -c 'import sys; sys.stdout.buffer.write(bytes(range(256)))' | openssl dgst -sha256 -hmac s
    const good = '3a8fe5f97023ce256b28c977549c83d801f02041cf439981a76ff0b2fdbc7f55';
    assert.deepEqual(check(auth, { 'x-sig': good }, bytes), { ok: true });
    // The same bytes through a UTF-8 round trip (what a text-based verifier would sign) no longer verify.
    assertFails(check(auth, { 'x-sig': good }, Buffer.from(bytes.toString('utf8'))), /not the hex/);
  });
});

describe('BASIC_AUTH and API_KEY', () => {
  const basic: SourceAuth = { type: 'BASIC_AUTH', username: 'stripe', password: 'p4ss:word' };
  const header = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

  it('basic: accepts the exact pair (a colon in the password included), refuses anything else', () => {
    assert.deepEqual(check(basic, { authorization: header('stripe', 'p4ss:word') }, ''), { ok: true });
    assert.deepEqual(check(basic, { authorization: header('stripe', 'p4ss:word').replace('Basic', 'basic') }, ''), { ok: true });
    assertFails(check(basic, { authorization: header('stripe', 'p4ss:wor') }, ''), /not the source's user name and password/);
    assertFails(check(basic, { authorization: header('Stripe', 'p4ss:word') }, ''), /not the source's/);
    assertFails(check(basic, { authorization: 'Bearer p4ss:word' }, ''), /Basic credentials is missing/);
    assertFails(check(basic, {}, ''), /missing/);
    assertFails(check(basic, { authorization: 'Basic !!!not-base64' }, ''), /not the source's/);
  });

  it('API key: in its header (or as a Bearer token when the header is authorization), nothing else', () => {
    const apiKey: SourceAuth = { type: 'API_KEY', header_key: 'x-api-key', api_key: 'key_0123456789' };
    assert.deepEqual(check(apiKey, { 'x-api-key': 'key_0123456789' }, ''), { ok: true });
    assertFails(check(apiKey, { 'x-api-key': 'key_012345678' }, ''), /does not hold the source's API key/);
    assertFails(check(apiKey, { 'x-api-key': 'key_0123456789x' }, ''), /does not hold/);
    assertFails(check(apiKey, { authorization: 'Bearer key_0123456789' }, ''), /x-api-key header with the API key is missing/);
    const bearer: SourceAuth = { type: 'API_KEY', header_key: 'authorization', api_key: 'key_0123456789' };
    assert.deepEqual(check(bearer, { authorization: 'Bearer key_0123456789' }, ''), { ok: true });
    assert.deepEqual(check(bearer, { authorization: 'key_0123456789' }, ''), { ok: true });
    assertFails(check(bearer, { authorization: 'Bearer key_0123456789 ' + 'x' }, ''), /does not hold/);
  });
});

describe('safeEqual', () => {
  it('compares strings of any lengths', () => {
    assert.equal(safeEqual('abc', 'abc'), true);
    assert.equal(safeEqual('abc', 'abcd'), false);
    assert.equal(safeEqual('', ''), true);
    assert.equal(safeEqual('', 'a'), false);
  });
});
