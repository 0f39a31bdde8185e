/** API keys: shape, randomness, and a stable hash. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { apiKeyHint, generateApiKey, hashApiKey } from '../../src/domain/apiKeys.js';

test('keys are sk_ + 32 base62 characters and do not repeat', () => {
  const keys = new Set(Array.from({ length: 1000 }, generateApiKey));
  assert.equal(keys.size, 1000);
  for (const key of keys) assert.match(key, /^sk_[0-9A-Za-z]{32}$/);
});

test('the hash is hex SHA-256 and the hint reveals only the start', () => {
  const key = generateApiKey();
  assert.equal(hashApiKey(key), createHash('sha256').update(key).digest('hex'));
  assert.equal(apiKeyHint(key), `${key.slice(0, 7)}…`);
});
