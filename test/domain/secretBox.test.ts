/**
 * Secrets at rest: round trip, tamper detection, binding to team and row, the v1 format written before key
 * rotation, and opening with previous keys of the keyring.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createCipheriv, randomBytes } from 'node:crypto';
import {
  decryptSecret,
  encryptSecret,
  isSealedWithCurrentKey,
  keyIdOf,
  makeKeyring,
  resealSecret,
  SecretBoxError,
  type SecretBinding,
} from '../../src/domain/secretBox.js';

const key = randomBytes(32);
const keyring = makeKeyring(key);
const row: SecretBinding = { teamId: 'tm_1', rowId: 'evtd_1' };

/** Exactly what the v1 code (before key rotation) wrote: no key id, associated data = the binding string. */
function sealV1(v1Key: Buffer, plaintext: string, boundTo: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', v1Key, iv);
  cipher.setAAD(Buffer.from(boundTo, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return ['v1', iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), ciphertext.toString('base64url')].join('.');
}

function reason(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof SecretBoxError, `a SecretBoxError, got ${String(error)}`);
    assert.ok(!error.message.includes('super_secret'));
    return error.reason;
  }
  assert.fail('expected a SecretBoxError');
}

test('round trips in the v2 format, names its key, and never contains the plaintext', () => {
  const sealed = encryptSecret(keyring, 'whsec_super_secret', row);
  assert.match(sealed, /^v2\.[0-9a-f]{16}\.[\w-]+\.[\w-]+\.[\w-]+$/);
  assert.equal(sealed.split('.')[1], keyIdOf(key));
  assert.ok(!sealed.includes('super_secret'));
  assert.equal(decryptSecret(keyring, sealed, row), 'whsec_super_secret');
  assert.notEqual(encryptSecret(keyring, 'same', row), encryptSecret(keyring, 'same', row), 'fresh IV each time');
});

test('a ciphertext moved to another row or another team does not open', () => {
  const sealed = encryptSecret(keyring, 'super_secret', row);
  assert.equal(reason(() => decryptSecret(keyring, sealed, { teamId: 'tm_1', rowId: 'evtd_2' })), 'not_authentic');
  assert.equal(reason(() => decryptSecret(keyring, sealed, { teamId: 'tm_2', rowId: 'evtd_1' })), 'not_authentic');
  // Team and row are separate fields of the associated data: no concatenation of one can pose as the other.
  const team = encryptSecret(keyring, 'super_secret', { teamId: 'tm_1', rowId: 'tm_1' });
  assert.equal(reason(() => decryptSecret(keyring, team, { teamId: 'tm_1/tm_1', rowId: '' })), 'not_authentic');
});

test('refuses another key, a tampered ciphertext, a swapped key id and garbage, with typed reasons', () => {
  const sealed = encryptSecret(keyring, 'super_secret', row);
  assert.equal(reason(() => decryptSecret(makeKeyring(randomBytes(32)), sealed, row)), 'unknown_key');
  const parts = sealed.split('.');
  const body = Buffer.from(parts[4] ?? '', 'base64url');
  body[0] = (body[0] ?? 0) ^ 1;
  assert.equal(reason(() => decryptSecret(keyring, [...parts.slice(0, 4), body.toString('base64url')].join('.'), row)), 'not_authentic');
  // The key id is authenticated too: relabelling a ciphertext with another known key's id does not open it.
  const other = randomBytes(32);
  const both = makeKeyring(key, [other]);
  assert.equal(reason(() => decryptSecret(both, ['v2', keyIdOf(other), ...parts.slice(2)].join('.'), row)), 'not_authentic');
  assert.equal(reason(() => decryptSecret(keyring, 'garbage', row)), 'format');
  assert.equal(reason(() => decryptSecret(keyring, 'v2.a.b.c', row)), 'format');
  assert.equal(reason(() => decryptSecret(keyring, `v2.${keyIdOf(key)}.AAAA.AAAA.AAAA`, row)), 'not_authentic');
});

test('rows written in the v1 format (before key rotation) still open, with their original bindings', () => {
  const destination = sealV1(key, '{"token":"super_secret"}', 'tm_1/evtd_1');
  assert.equal(decryptSecret(keyring, destination, row), '{"token":"super_secret"}');
  const teamSecret = sealV1(key, 'shsec_super_secret', 'tm_1');
  assert.equal(decryptSecret(keyring, teamSecret, { teamId: 'tm_1', rowId: 'tm_1' }), 'shsec_super_secret');
  assert.equal(reason(() => decryptSecret(keyring, destination, { teamId: 'tm_1', rowId: 'evtd_2' })), 'not_authentic');
  assert.equal(reason(() => decryptSecret(keyring, teamSecret, { teamId: 'tm_2', rowId: 'tm_2' })), 'not_authentic');
  // A v1 row sealed under a key that is now "previous" opens too (v1 names no key: each one is tried).
  const rotated = makeKeyring(randomBytes(32), [key]);
  assert.equal(decryptSecret(rotated, destination, row), '{"token":"super_secret"}');
  assert.equal(isSealedWithCurrentKey(rotated, destination), false);
});

test('rotation: previous keys open, only the current key seals, and resealing moves a secret to it', () => {
  const oldKeyring = makeKeyring(key);
  const sealedOld = encryptSecret(oldKeyring, 'super_secret', row);
  const newKey = randomBytes(32);
  const rotating = makeKeyring(newKey, [key, newKey]);
  assert.equal(rotating.previous.length, 1, 'the current key listed as previous too is ignored');
  assert.equal(decryptSecret(rotating, sealedOld, row), 'super_secret');
  assert.equal(isSealedWithCurrentKey(rotating, sealedOld), false);
  const resealed = resealSecret(rotating, sealedOld, row);
  assert.equal(isSealedWithCurrentKey(rotating, resealed), true);
  assert.equal(decryptSecret(makeKeyring(newKey), resealed, row), 'super_secret', 'opens without the old key');
  assert.equal(reason(() => decryptSecret(oldKeyring, resealed, row)), 'unknown_key');
  assert.throws(() => makeKeyring(randomBytes(16)), /32 bytes/);
});
