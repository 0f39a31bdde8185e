/**
 * buildServer as the composition root uses it: with the process's pino logger instance (Fastify 5 takes it only
 * as `loggerInstance`), not yet listening, so the caller can still add routes before it listens.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { makeKeyring } from '../../src/domain/secretBox.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { pino } from 'pino';
import { buildServer } from '../../src/api/server.js';
import { loadConfig } from '../../src/config/loadConfig.js';
import { openSqliteStore } from '../../src/store/sqlite/openSqliteStore.js';
import { RecordingEngine } from './harness.js';

test('buildServer takes a pino instance and leaves the server open to more routes', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-server-'));
  const store = openSqliteStore(join(dir, 'sluice.db'));
  try {
    await store.migrate();
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(line) });
    const app = await buildServer({ config: loadConfig({}, dir), store, engine: new RecordingEngine(), keyring: makeKeyring(randomBytes(32)), logger });
    app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
    await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
      assert.deepEqual(await (await fetch(`${base}/healthz`)).json(), { status: 'ok' });
      assert.equal((await fetch(`${base}/sources`)).status, 401);
      assert.ok(lines.some((line) => line.includes('request completed')), 'requests are logged through the given logger');
    } finally {
      await app.close();
    }
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
