/**
 * Authentication and team administration over real HTTP: team keys as Bearer or Basic, 401 with a challenge,
 * the admin key, administration turned off, keys shown once and stopping at once when deleted, and the team's
 * signing secret (encrypted at rest, bound to the team, rotated).
 */
/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-call --
   The API's JSON answers are `any` (harness.ts) and read field by field: the assertions are the type checks. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { teamSecretBinding } from '../../src/domain/model.js';
import { decryptSecret } from '../../src/domain/secretBox.js';
import { ADMIN_KEY, startGateway, type Gateway } from './harness.js';

describe('auth', () => {
  let gw: Gateway;
  before(async () => {
    gw = await startGateway();
  });
  after(async () => {
    await gw.close();
  });

  test('no key: 401 UNAUTHORIZED with WWW-Authenticate and a message saying how to send the key', async () => {
    const answer = await gw.call('GET', '/sources');
    assert.equal(answer.status, 401);
    assert.equal(answer.json.code, 'UNAUTHORIZED');
    assert.equal(answer.json.status, 401);
    assert.match(answer.json.message, /Authorization: Bearer/);
    assert.match(answer.headers.get('www-authenticate') ?? '', /Bearer/);
  });

  test('a wrong key, a malformed header and an unknown scheme are 401', async () => {
    for (const auth of ['Bearer sk_not_a_real_key', 'Bearer', 'Token abc', `Basic ${Buffer.from(':').toString('base64')}`]) {
      const answer = await gw.call('GET', '/sources', { auth });
      assert.equal(answer.status, 401, auth);
      assert.equal(answer.json.code, 'UNAUTHORIZED');
      assert.ok(answer.headers.get('www-authenticate'));
    }
  });

  test('the team key works as Bearer and as Basic (key as user name, empty password)', async () => {
    const team = await gw.team('auth-ok');
    const bearer = await gw.call('GET', '/team', { auth: `Bearer ${team.key}` });
    assert.equal(bearer.status, 200);
    assert.equal(bearer.json.id, team.id);
    const basic = await gw.call('GET', '/team', { auth: `Basic ${Buffer.from(`${team.key}:`).toString('base64')}` });
    assert.equal(basic.status, 200);
    assert.equal(basic.json.id, team.id);
    assert.deepEqual(Object.keys(basic.json), ['id', 'name', 'created_at', 'updated_at']);
  });

  test('the admin key does not open team routes, and a team key does not open admin routes', async () => {
    const team = await gw.team('cross');
    assert.equal((await gw.call('GET', '/sources', { auth: `Bearer ${ADMIN_KEY}` })).status, 401);
    const asTeam = await gw.call('GET', '/teams', { auth: `Bearer ${team.key}` });
    assert.equal(asTeam.status, 401);
    assert.equal(asTeam.json.code, 'UNAUTHORIZED');
    assert.match(asTeam.json.message, /SLUICE_ADMIN_KEY/);
  });

  test('admin: create a team (signing secret once), list teams, create/list/delete keys', async () => {
    const created = await gw.admin('POST', '/teams', { name: 'Acme Inc.' });
    assert.equal(created.status, 201);
    assert.match(created.json.id, /^tm_/);
    assert.equal(created.json.name, 'Acme Inc.');
    assert.match(created.json.signing_secret, /^shsec_/);

    // Stored encrypted, bound to the team id.
    const sealed = await gw.store.getTeamSigningSecret(created.json.id);
    assert.ok(sealed !== null && !sealed.includes(created.json.signing_secret));
    assert.equal(decryptSecret(gw.keyring, sealed, teamSecretBinding(created.json.id)), created.json.signing_secret);
    assert.throws(() => decryptSecret(gw.keyring, sealed, teamSecretBinding('tm_someoneelse00000')));

    const list = await gw.admin('GET', '/teams');
    assert.equal(list.status, 200);
    assert.equal(list.json.count, list.json.models.length);
    const listed = list.json.models.find((team: { id: string }) => team.id === created.json.id);
    assert.deepEqual(Object.keys(listed), ['id', 'name', 'created_at', 'updated_at']);

    const key = await gw.admin('POST', `/teams/${created.json.id}/api-keys`);
    assert.equal(key.status, 201);
    assert.deepEqual(Object.keys(key.json), ['id', 'team_id', 'key', 'hint', 'created_at']);
    assert.match(key.json.key, /^sk_/);
    assert.ok(key.json.key.startsWith(key.json.hint.replace('…', '')));

    const keys = await gw.admin('GET', `/teams/${created.json.id}/api-keys`);
    assert.equal(keys.json.count, 1);
    assert.equal(keys.json.models[0].id, key.json.id);
    assert.equal(keys.json.models[0].key, undefined, 'a listed key never shows the key itself');

    const auth = `Bearer ${key.json.key}`;
    assert.equal((await gw.call('GET', '/sources', { auth })).status, 200);
    const deleted = await gw.admin('DELETE', `/teams/${created.json.id}/api-keys/${key.json.id}`);
    assert.equal(deleted.status, 200);
    assert.deepEqual(deleted.json, { id: key.json.id });
    // The key was cached by the call above; deleting must still stop it at once.
    assert.equal((await gw.call('GET', '/sources', { auth })).status, 401);
    assert.equal((await gw.admin('DELETE', `/teams/${created.json.id}/api-keys/${key.json.id}`)).status, 404);
  });

  test('admin: unknown team and key ids are 404; bad bodies are 422', async () => {
    const team = await gw.team('admin-404');
    assert.equal((await gw.admin('POST', '/teams/tm_00000000000000000/api-keys')).status, 404);
    assert.equal((await gw.admin('POST', '/teams/nope/api-keys')).status, 404);
    assert.equal((await gw.admin('DELETE', `/teams/${team.id}/api-keys/key_0000000000000000`)).status, 404);
    const other = await gw.team('admin-404-other');
    const otherKeys = await gw.admin('GET', `/teams/${other.id}/api-keys`);
    // A key of another team cannot be deleted through this team's URL.
    assert.equal((await gw.admin('DELETE', `/teams/${team.id}/api-keys/${otherKeys.json.models[0].id}`)).status, 404);
    for (const body of [{}, { name: '' }, { name: 5 }, { name: 'x', extra: true }]) {
      const answer = await gw.admin('POST', '/teams', body);
      assert.equal(answer.status, 422, JSON.stringify(body));
      assert.equal(answer.json.code, 'VALIDATION_ERROR');
    }
  });

  test('admin: a wrong admin key is 401 with a challenge', async () => {
    const answer = await gw.call('GET', '/teams', { auth: 'Bearer wrong-admin-key-0000000' });
    assert.equal(answer.status, 401);
    assert.match(answer.headers.get('www-authenticate') ?? '', /Bearer/);
    assert.equal((await gw.call('GET', '/teams')).status, 401);
  });

  test('rotating the signing secret answers a new secret once and stores it encrypted', async () => {
    const team = await gw.team('rotate');
    const rotated = await team.call('POST', '/team/signing-secret/rotate');
    assert.equal(rotated.status, 200);
    assert.equal(rotated.json.id, team.id);
    assert.match(rotated.json.signing_secret, /^shsec_/);
    const sealed = await gw.store.getTeamSigningSecret(team.id);
    assert.ok(sealed !== null);
    assert.equal(decryptSecret(gw.keyring, sealed, teamSecretBinding(team.id)), rotated.json.signing_secret);
    const again = await team.call('POST', '/team/signing-secret/rotate', { headers: { 'content-type': 'application/json' } });
    assert.equal(again.status, 200, 'an empty JSON body on an action is accepted');
    assert.notEqual(again.json.signing_secret, rotated.json.signing_secret);
    assert.equal((await team.call('GET', '/team')).json.signing_secret, undefined);
  });
});

describe('auth without SLUICE_ADMIN_KEY', () => {
  let gw: Gateway;
  before(async () => {
    gw = await startGateway({ SLUICE_ADMIN_KEY: '' });
  });
  after(async () => {
    await gw.close();
  });

  test('admin routes answer 403 saying to set SLUICE_ADMIN_KEY', async () => {
    for (const [method, path] of [
      ['GET', '/teams'],
      ['POST', '/teams'],
      ['POST', '/teams/tm_00000000000000000/api-keys'],
      ['DELETE', '/teams/tm_00000000000000000/api-keys/key_0000000000000000'],
    ] as const) {
      const answer = await gw.call(method, path, { auth: `Bearer ${ADMIN_KEY}` });
      assert.equal(answer.status, 403, `${method} ${path}`);
      assert.equal(answer.json.code, 'FORBIDDEN');
      assert.match(answer.json.message, /SLUICE_ADMIN_KEY/);
    }
  });
});
