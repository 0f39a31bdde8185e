/**
 * Key rotation of secrets at rest: `rotateStoredSecrets` on both stores (SQLite file, real PostgreSQL) with rows in
 * every state — v2 under the old key, v1 written before rotation existed, already under the new key, sealed under a
 * key nobody configured — and `sluice rotate-secrets` end to end on a real gateway's data directory.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createCipheriv, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { rotateStoredSecrets } from '../../src/app/rotateSecrets.js';
import { rotateSecretsCommand } from '../../src/cli/rotateSecrets.js';
import { newId } from '../../src/domain/ids.js';
import { EVENT_DESTINATION_ENGINE_CONFIG } from '../../src/domain/model.js';
import { decryptSecret, encryptSecret, isSealedWithCurrentKey, keyIdOf, makeKeyring, type SecretBinding } from '../../src/domain/secretBox.js';
import type { GatewayStore } from '../../src/store/port.js';
import { openPostgresStore } from '../../src/store/postgres/openPostgresStore.js';
import { openSqliteStore } from '../../src/store/sqlite/openSqliteStore.js';
import { freePort, startGatewayProcess } from '../support/gatewayProcess.js';
import { createDatabase, probePostgres, SERVER_URL } from '../support/postgresDatabase.js';

const IN_CI = process.env.CI === 'true';

/** What the code before key rotation wrote (format v1: no key id, the binding as one string). */
function sealV1(key: Buffer, plaintext: string, boundTo: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(boundTo, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return ['v1', iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), ciphertext.toString('base64url')].join('.');
}

interface Planted {
  binding: SecretBinding;
  plaintext: string;
  read: () => Promise<string | null>;
}

/** Teams and event destinations whose secrets are in every state a rotation meets. */
async function plant(store: GatewayStore, oldKey: Buffer, newKey: Buffer, strangerKey: Buffer): Promise<{ readable: Planted[]; stranger: Planted }> {
  const old = makeKeyring(oldKey);
  const readable: Planted[] = [];
  const now = Date.now();
  const teams: string[] = [];
  for (let i = 0; i < 3; i += 1) {
    const id = newId('team', now + i);
    const plaintext = `shsec_team_${i}_${randomBytes(8).toString('hex')}`;
    const binding = { teamId: id, rowId: id };
    const sealed = i === 0 ? sealV1(oldKey, plaintext, id) : encryptSecret(old, plaintext, binding);
    await store.createTeam({ id, name: `team ${i}`, signingSecretEncrypted: sealed }, now);
    teams.push(id);
    readable.push({ binding, plaintext, read: () => store.getTeamSigningSecret(id) });
  }
  const destination = async (teamId: string, sealFor: (binding: SecretBinding, plaintext: string) => string): Promise<Planted> => {
    const id = newId('eventDestination');
    const plaintext = JSON.stringify({ secret: `whsec_${randomBytes(24).toString('base64')}` });
    const binding = { teamId, rowId: id };
    await store.createEventDestination(
      {
        id, teamId, name: id, description: null, type: 'webhook', config: EVENT_DESTINATION_ENGINE_CONFIG, disabledAt: null, createdAt: now, updatedAt: now,
        outbound: { displayName: 'd', config: { url: 'https://example.test/' }, credentials: sealFor(binding, plaintext), subscription: ['*'], consecutiveFailures: 0 },
      },
      { id: newId('subscription'), rules: [] },
    );
    return { binding, plaintext, read: async () => (await store.getEventDestination(teamId, id))?.outbound?.credentials ?? null };
  };
  const [a = '', b = ''] = teams;
  readable.push(await destination(a, (binding, text) => encryptSecret(old, text, binding)));
  readable.push(await destination(b, (binding, text) => sealV1(oldKey, text, `${binding.teamId}/${binding.rowId}`)));
  readable.push(await destination(b, (binding, text) => encryptSecret(makeKeyring(newKey), text, binding)));
  readable.push(await destination(a, (binding, text) => encryptSecret(old, text, binding)));
  const stranger = await destination(a, (binding, text) => encryptSecret(makeKeyring(strangerKey), text, binding));
  return { readable, stranger };
}

function rotationTests(name: string, open: () => Promise<{ store: GatewayStore; cleanup: () => Promise<void> }>): void {
  test(`${name}: re-encrypts every readable secret with the current key in batches, reports the unreadable, and is idempotent`, async () => {
    const { store, cleanup } = await open();
    try {
      const [oldKey, newKey, strangerKey] = [randomBytes(32), randomBytes(32), randomBytes(32)];
      const { readable, stranger } = await plant(store, oldKey, newKey, strangerKey);
      const strangerBefore = await stranger.read();
      const rotating = makeKeyring(newKey, [oldKey]);

      const report = await rotateStoredSecrets(store, rotating, { batchSize: 2 });
      assert.deepEqual(report.kinds.team_signing_secret, { examined: 3, resealed: 3, current: 0, changedMeanwhile: 0 });
      assert.deepEqual(report.kinds.event_destination_credentials, { examined: 5, resealed: 3, current: 1, changedMeanwhile: 0 });
      assert.deepEqual(report.unreadable, [{ kind: 'event_destination_credentials', rowId: stranger.binding.rowId, reason: 'unknown_key' }]);

      const newOnly = makeKeyring(newKey);
      for (const planted of readable) {
        const sealed = await planted.read();
        assert.ok(sealed !== null);
        assert.ok(isSealedWithCurrentKey(newOnly, sealed), `${planted.binding.rowId} is v2 under ${keyIdOf(newKey)}: ${sealed.slice(0, 20)}`);
        assert.equal(decryptSecret(newOnly, sealed, planted.binding), planted.plaintext, 'opens with the new key alone');
      }
      assert.equal(await stranger.read(), strangerBefore, 'an unreadable secret is left exactly as it was');

      const again = await rotateStoredSecrets(store, rotating, { batchSize: 100 });
      assert.deepEqual(again.kinds.team_signing_secret, { examined: 3, resealed: 0, current: 3, changedMeanwhile: 0 });
      assert.deepEqual(again.kinds.event_destination_credentials, { examined: 5, resealed: 0, current: 4, changedMeanwhile: 0 });
      assert.equal(again.unreadable.length, 1);
    } finally {
      await cleanup();
    }
  });
}

const unreachable = await probePostgres();

describe('rotateStoredSecrets', () => {
  rotationTests('sqlite', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sluice-rotate-'));
    const store = openSqliteStore(join(dir, 'sluice.db'));
    await store.migrate();
    return { store, cleanup: async () => { await store.close(); await rm(dir, { recursive: true, force: true }); } };
  });

  if (unreachable === null) {
    rotationTests('postgres', async () => {
      const db = await createDatabase('sluice_rot');
      const store = await openPostgresStore(db.url, { poolSize: 2 });
      await store.migrate();
      return { store, cleanup: async () => { await store.close(); await db.drop(); } };
    });
  } else if (IN_CI) {
    test('PostgreSQL is reachable (required in CI)', () => assert.fail(`PostgreSQL is not reachable at ${SERVER_URL}: ${unreachable}`));
  } else {
    test('postgres: rotation', { skip: `PostgreSQL is not reachable at ${SERVER_URL}: ${unreachable}` }, () => undefined);
  }
});

/** Runs `sluice rotate-secrets` as an operator would. */
function runCli(args: string[], env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('exit', (code) => resolve({ code, output }));
  });
}

/** The same command without a process start (main.ts passes argv after the command name, the environment and stdout). */
async function runInProcess(args: string[], env: Record<string, string>): Promise<{ code: number; output: string }> {
  let output = '';
  const code = await rotateSecretsCommand(args.slice(1), env, (line) => (output += `${line}\n`));
  return { code, output };
}

describe('sluice rotate-secrets', () => {
  test('rotates a real gateway data directory: refused while the gateway runs; afterwards the new key alone reads every secret', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sluice-rotate-cli-'));
    const [oldKey, newKey] = [randomBytes(32).toString('base64'), randomBytes(32).toString('base64')];
    const apiKey = `sk_test_${randomBytes(12).toString('hex')}`;
    const base = { SLUICE_DATA_DIR: dir, SLUICE_API_KEY: apiKey, LOG_LEVEL: 'warn' };
    const webhookSecret = `whsec_${randomBytes(32).toString('base64')}`;
    let gateway = await startGatewayProcess({ ...base, SLUICE_ENCRYPTION_KEY: oldKey }, await freePort());
    try {
      const auth = { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' };
      const created = await fetch(`${gateway.url}/v2/event-destinations`, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({ name: 'hook', type: 'webhook', events: ['*'], webhook: { url: 'https://example.test/hook', secret: webhookSecret } }),
      });
      assert.equal(created.status, 201);
      const id = ((await created.json()) as { id: string }).id;

      const busy = await runInProcess(['rotate-secrets'], { ...base, SLUICE_ENCRYPTION_KEY: newKey, SLUICE_ENCRYPTION_KEY_PREVIOUS: oldKey });
      assert.equal(busy.code, 2, 'refused while the gateway holds the store');
      assert.match(busy.output, /in use by another Sluice process/);

      gateway.child.kill('SIGTERM');
      await gateway.exited;
      const bad = await runInProcess(['rotate-secrets', '--batch-size', 'lots'], { ...base, SLUICE_ENCRYPTION_KEY: newKey });
      assert.equal(bad.code, 2);
      assert.match(bad.output, /usage: sluice rotate-secrets/);
      const missingOld = await runInProcess(['rotate-secrets'], { ...base, SLUICE_ENCRYPTION_KEY: newKey });
      assert.equal(missingOld.code, 1, missingOld.output);
      assert.match(missingOld.output, new RegExp(`event_destination_credentials ${id} \\(unknown_key\\)`));
      assert.ok(!missingOld.output.includes(webhookSecret.slice(6)) && !missingOld.output.includes(oldKey) && !missingOld.output.includes(newKey), 'no secret printed');

      const rotated = await runCli(['rotate-secrets', '--batch-size', '1'], { ...base, SLUICE_ENCRYPTION_KEY: newKey, SLUICE_ENCRYPTION_KEY_PREVIOUS: oldKey });
      assert.equal(rotated.code, 0, rotated.output);
      assert.match(rotated.output, /team_signing_secret: 1 stored, 1 re-encrypted/);
      assert.match(rotated.output, /event_destination_credentials: 1 stored, 1 re-encrypted/);
      assert.ok(!rotated.output.includes(webhookSecret.slice(6)) && !rotated.output.includes(oldKey) && !rotated.output.includes(newKey), 'no secret printed');

      // The old key is gone: the gateway still reads the credentials (answered masked, with their last characters).
      gateway = await startGatewayProcess({ ...base, SLUICE_ENCRYPTION_KEY: newKey }, await freePort());
      const read = await fetch(`${gateway.url}/v2/event-destinations/${id}`, { headers: auth });
      assert.equal(read.status, 200);
      assert.equal(((await read.json()) as { webhook: { secret: string } }).webhook.secret, `whsec_…${webhookSecret.slice(-4)}`);
    } finally {
      if (gateway.child.exitCode === null) {
        gateway.child.kill('SIGTERM');
        await gateway.exited;
      }
      await rm(dir, { recursive: true, force: true });
    }
  });
});
