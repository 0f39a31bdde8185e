import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { generateSigningSecret, signBody } from '../../src/domain/signing.js';

/*
 * The expected signatures were computed once outside Node, with OpenSSL, and pasted here:
 *   printf '{"id":"evt_1","amount":42}' | openssl dgst -sha256 -hmac 'shsec_0123456789abcdefABCDEF0123456789' -binary | base64
 *   printf '' | openssl dgst -sha256 -hmac 'shsec_0123456789abcdefABCDEF0123456789' -binary | base64
 *   printf 'h\xc3\xa9llo' | openssl dgst -sha256 -hmac 'clé' -binary | base64     (UTF-8 terminal: key bytes 63 6c c3 a9)
 */
const SECRET = 'shsec_0123456789abcdefABCDEF0123456789';

describe('signBody', () => {
  it('matches HMAC-SHA256 vectors computed with openssl', () => {
    assert.equal(signBody(SECRET, Buffer.from('{"id":"evt_1","amount":42}')), 'TpkDD5savhBUgCo/2WyPFQidUdcOIDYy36MFA3gkNa4=');
    assert.equal(signBody(SECRET, Buffer.alloc(0)), '9zwSd805sPNPIVdeqtcMlkExpjuWUTkk+7hSsZrllqY=');
  });

  it('keys by the secret string as UTF-8 and signs raw bytes', () => {
    assert.equal(signBody('clé', Buffer.from([0x68, 0xc3, 0xa9, 0x6c, 0x6c, 0x6f])), 'kdnvUNeYFVAR34OF6PdycHps6TfYEUrBRW8FIx8ra60=');
  });
});

describe('generateSigningSecret', () => {
  it('is shsec_ + 32 base62 characters, different every time', () => {
    const secrets = new Set(Array.from({ length: 200 }, () => generateSigningSecret()));
    assert.equal(secrets.size, 200);
    for (const secret of secrets) assert.match(secret, /^shsec_[0-9A-Za-z]{32}$/);
  });
});
