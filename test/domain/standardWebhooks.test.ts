import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  generateWebhookSecret,
  signWebhook,
  signingSecretsAt,
  webhookSecretKey,
  webhookSignatureHeader,
} from '../../src/domain/standardWebhooks.js';

// The spec's own test vector (FACTS.md).
const VECTOR = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1614265330,
  body: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
};

describe('Standard Webhooks signing', () => {
  it('matches the known-good vector, for a string and for bytes', () => {
    assert.equal(signWebhook(VECTOR.secret, VECTOR.id, VECTOR.timestamp, VECTOR.body), VECTOR.signature);
    assert.equal(signWebhook(VECTOR.secret, VECTOR.id, VECTOR.timestamp, Buffer.from(VECTOR.body)), VECTOR.signature);
  });

  it('changes with any part of the signed content', () => {
    assert.notEqual(signWebhook(VECTOR.secret, VECTOR.id, VECTOR.timestamp + 1, VECTOR.body), VECTOR.signature);
    assert.notEqual(signWebhook(VECTOR.secret, `${VECTOR.id}x`, VECTOR.timestamp, VECTOR.body), VECTOR.signature);
    assert.notEqual(signWebhook(VECTOR.secret, VECTOR.id, VECTOR.timestamp, `${VECTOR.body} `), VECTOR.signature);
  });

  it('lists one signature per secret, space-separated, current first', () => {
    const other = generateWebhookSecret();
    const header = webhookSignatureHeader([VECTOR.secret, other], VECTOR.id, VECTOR.timestamp, VECTOR.body);
    const [first, second, ...rest] = header.split(' ');
    assert.equal(first, VECTOR.signature);
    assert.equal(second, signWebhook(other, VECTOR.id, VECTOR.timestamp, VECTOR.body));
    assert.equal(rest.length, 0);
  });

  it('generates whsec_ secrets of 32 random bytes', () => {
    const a = generateWebhookSecret();
    assert.match(a, /^whsec_[A-Za-z0-9+/]{43}=$/);
    assert.equal(webhookSecretKey(a)?.length, 32);
    assert.notEqual(a, generateWebhookSecret());
  });

  it('refuses secrets without the prefix, with bad base64, or of the wrong size', () => {
    assert.equal(webhookSecretKey('MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'), null);
    assert.equal(webhookSecretKey('whsec_not base64!!'), null);
    assert.equal(webhookSecretKey(`whsec_${Buffer.alloc(16).toString('base64')}`), null);
    assert.equal(webhookSecretKey(`whsec_${Buffer.alloc(65).toString('base64')}`), null);
    assert.throws(() => signWebhook('nope', 'id', 1, 'body'), /Standard Webhooks secret/);
  });

  it('signs with the previous secret only until it expires', () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    const rotating = { secret: 'whsec_new', previous_secret: 'whsec_old', previous_secret_expires_at: '2025-01-02T00:00:00.000Z' };
    assert.deepEqual(signingSecretsAt(rotating, now), ['whsec_new', 'whsec_old']);
    assert.deepEqual(signingSecretsAt(rotating, Date.parse('2025-01-02T00:00:00Z')), ['whsec_new']);
    assert.deepEqual(signingSecretsAt({ secret: 'whsec_new' }, now), ['whsec_new']);
  });
});
