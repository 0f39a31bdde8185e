/** Configuration: defaults, parsing, and a clear error naming the variable for every bad value. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from '../../src/config/loadConfig.js';

test('defaults match the documented table', () => {
  const config = loadConfig({}, '/srv');
  assert.equal(config.port, 8080);
  assert.equal(config.dataDir, '/srv/data');
  assert.equal(config.publicUrl, 'http://localhost:8080');
  assert.equal(config.apiKey, null);
  assert.equal(config.maxBodyBytes, 10 * 1024 * 1024);
  assert.equal(config.retentionDays, 30);
  assert.equal(config.defaultTimeoutMs, 5000);
  assert.deepEqual(config.retry, { intervalMs: 30_000, count: 10 });
  assert.deepEqual(config.outboundAllowlist, []);
  assert.equal(config.autoDisableAfter, 100);
  assert.equal(config.role, 'all');
  assert.equal(config.maxHeaderBytes, 16 * 1024);
  assert.equal(config.requestTimeoutMs, 60_000);
  assert.equal(config.apiRateLimit, null, 'the per-key API limit is off unless configured');
  assert.deepEqual(config.authFailureLimit, { limit: 60, period: 'minute' }, 'failed authentications are limited by default');
  assert.equal(config.trustProxy, false, 'X-Forwarded-For is not believed unless configured');
});

test('SLUICE_AUTH_FAILURE_LIMIT and SLUICE_TRUST_PROXY', () => {
  assert.deepEqual(loadConfig({ SLUICE_AUTH_FAILURE_LIMIT: '10/hour' }).authFailureLimit, { limit: 10, period: 'hour' });
  assert.equal(loadConfig({ SLUICE_AUTH_FAILURE_LIMIT: 'off' }).authFailureLimit, null);
  assert.throws(() => loadConfig({ SLUICE_AUTH_FAILURE_LIMIT: '10' }), /SLUICE_AUTH_FAILURE_LIMIT/);
  assert.equal(loadConfig({ SLUICE_TRUST_PROXY: 'true' }).trustProxy, true);
  assert.equal(loadConfig({ SLUICE_TRUST_PROXY: 'off' }).trustProxy, false);
  assert.equal(loadConfig({ SLUICE_TRUST_PROXY: '2' }).trustProxy, 2);
  assert.equal(loadConfig({ SLUICE_TRUST_PROXY: '10.0.0.0/8, 127.0.0.1,::1' }).trustProxy, '10.0.0.0/8, 127.0.0.1,::1');
  for (const bad of ['0', '101', 'yes', 'proxy.example', '10.0.0.0/8,*']) {
    assert.throws(() => loadConfig({ SLUICE_TRUST_PROXY: bad }), (error: unknown) => error instanceof ConfigError && /SLUICE_TRUST_PROXY/.test(error.message), bad);
  }
});

test('SLUICE_API_RATE_LIMIT: <requests>/<period>, or off', () => {
  assert.deepEqual(loadConfig({ SLUICE_API_RATE_LIMIT: '600/minute' }).apiRateLimit, { limit: 600, period: 'minute' });
  assert.deepEqual(loadConfig({ SLUICE_API_RATE_LIMIT: '20 / second' }).apiRateLimit, { limit: 20, period: 'second' });
  assert.equal(loadConfig({ SLUICE_API_RATE_LIMIT: 'off' }).apiRateLimit, null);
  for (const bad of ['600', '0/minute', '10/day', 'x/second', '-1/hour', '1.5/second']) {
    assert.throws(() => loadConfig({ SLUICE_API_RATE_LIMIT: bad }), (error: unknown) => error instanceof ConfigError && /SLUICE_API_RATE_LIMIT/.test(error.message), bad);
  }
});

test('SLUICE_MAX_HEADER_BYTES and SLUICE_REQUEST_TIMEOUT_MS are bounded', () => {
  assert.equal(loadConfig({ SLUICE_MAX_HEADER_BYTES: '8192', SLUICE_REQUEST_TIMEOUT_MS: '500' }).maxHeaderBytes, 8192);
  assert.throws(() => loadConfig({ SLUICE_MAX_HEADER_BYTES: '100' }), /SLUICE_MAX_HEADER_BYTES/);
  assert.throws(() => loadConfig({ SLUICE_REQUEST_TIMEOUT_MS: '0' }), /SLUICE_REQUEST_TIMEOUT_MS/);
});

test('SLUICE_HTTP_THREAD: HTTP attempts on their own thread only when on', () => {
  assert.equal(loadConfig({}).httpThread, false);
  assert.equal(loadConfig({ SLUICE_HTTP_THREAD: 'off' }).httpThread, false);
  assert.equal(loadConfig({ SLUICE_HTTP_THREAD: 'false' }).httpThread, false);
  assert.equal(loadConfig({ SLUICE_HTTP_THREAD: 'on' }).httpThread, true);
  assert.throws(() => loadConfig({ SLUICE_HTTP_THREAD: '2' }), (error: unknown) => error instanceof ConfigError && /SLUICE_HTTP_THREAD must be on or off/.test(error.message));
});

test('SLUICE_AUTO_DISABLE_AFTER: 0 turns auto-disable off', () => {
  assert.equal(loadConfig({ SLUICE_AUTO_DISABLE_AFTER: '0' }).autoDisableAfter, 0);
  assert.equal(loadConfig({ SLUICE_AUTO_DISABLE_AFTER: '5' }).autoDisableAfter, 5);
});

test('reads and normalises values', () => {
  const key = Buffer.alloc(32, 7).toString('base64');
  const config = loadConfig(
    { PORT: '9000', SLUICE_DATA_DIR: '/var/sluice', SLUICE_PUBLIC_URL: 'https://hooks.example.com/', SLUICE_ENCRYPTION_KEY: key, SLUICE_OUTBOUND_ALLOWLIST: '127.0.0.1, ::1/128,10.0.0.0/8' },
    '/srv',
  );
  assert.equal(config.port, 9000);
  assert.equal(config.dataDir, '/var/sluice');
  assert.equal(config.publicUrl, 'https://hooks.example.com');
  assert.equal(config.encryptionKey?.length, 32);
  assert.deepEqual(config.outboundAllowlist, ['127.0.0.1/32', '::1/128', '10.0.0.0/8']);
});

for (const [name, value] of [
  ['PORT', 'eighty'],
  ['PORT', '70000'],
  ['SLUICE_ENCRYPTION_KEY', 'c2hvcnQ='],
  ['SLUICE_API_KEY', 'short'],
  ['SLUICE_OUTBOUND_ALLOWLIST', '127.0.0.1/33'],
  ['SLUICE_OUTBOUND_ALLOWLIST', 'localhost'],
  ['SLUICE_PUBLIC_URL', 'ftp://x'],
  ['LOG_LEVEL', 'loud'],
  ['SLUICE_RETRY_COUNT', '-1'],
  ['SLUICE_AUTO_DISABLE_AFTER', '-3'],
  ['SLUICE_AUTO_DISABLE_AFTER', 'never'],
] as const) {
  test(`rejects ${name}=${value} with a message naming it`, () => {
    assert.throws(() => loadConfig({ [name]: value }), (error: unknown) => error instanceof ConfigError && error.message.includes(name));
  });
}

const SHARED_KEY = Buffer.alloc(32, 9).toString('base64');

test('DATABASE_URL selects PostgreSQL with a pool of SLUICE_DB_POOL_SIZE; unset, the embedded store', () => {
  const embedded = loadConfig({}, '/srv');
  assert.equal(embedded.databaseUrl, null);
  assert.equal(embedded.dbPoolSize, 10);
  const shared = loadConfig({ DATABASE_URL: ' postgres://sluice:pw@db:5432/sluice ', SLUICE_DB_POOL_SIZE: '25', SLUICE_ENCRYPTION_KEY: SHARED_KEY }, '/srv');
  assert.equal(shared.databaseUrl, 'postgres://sluice:pw@db:5432/sluice');
  assert.equal(shared.dbPoolSize, 25);
  assert.equal(loadConfig({ DATABASE_URL: 'postgresql://localhost/x', SLUICE_ENCRYPTION_KEY: SHARED_KEY }).databaseUrl, 'postgresql://localhost/x');
  for (const [name, value] of [
    ['DATABASE_URL', 'mysql://db/sluice'],
    ['DATABASE_URL', 'not a url'],
    ['SLUICE_DB_POOL_SIZE', '0'],
  ] as const) {
    assert.throws(() => loadConfig({ [name]: value, SLUICE_ENCRYPTION_KEY: SHARED_KEY }), (error: unknown) => error instanceof ConfigError && error.message.includes(name), `${name}=${value}`);
  }
});

test('DATABASE_URL without SLUICE_ENCRYPTION_KEY is refused: every process must share the key', () => {
  assert.throws(
    () => loadConfig({ DATABASE_URL: 'postgres://db/sluice' }),
    (error: unknown) => error instanceof ConfigError && /SLUICE_ENCRYPTION_KEY is required with DATABASE_URL/.test(error.message) && error.message.includes('openssl rand -base64 32'),
  );
  assert.equal(loadConfig({}).encryptionKey, null, 'the embedded store may generate its own');
});

test('SLUICE_ROLE: all by default; api and worker need DATABASE_URL; anything else is refused', () => {
  assert.equal(loadConfig({}).role, 'all');
  assert.equal(loadConfig({ SLUICE_ROLE: 'all' }).role, 'all');
  const pg = { DATABASE_URL: 'postgres://db/sluice', SLUICE_ENCRYPTION_KEY: SHARED_KEY };
  assert.equal(loadConfig({ ...pg, SLUICE_ROLE: 'api' }).role, 'api');
  assert.equal(loadConfig({ ...pg, SLUICE_ROLE: ' worker ' }).role, 'worker');
  assert.equal(loadConfig(pg).role, 'all');
  for (const role of ['api', 'worker']) {
    assert.throws(
      () => loadConfig({ SLUICE_ROLE: role }),
      (error: unknown) => error instanceof ConfigError && error.message.includes(`SLUICE_ROLE=${role} needs DATABASE_URL`),
    );
  }
  for (const role of ['API', 'workers', 'both']) {
    assert.throws(() => loadConfig({ ...pg, SLUICE_ROLE: role }), (error: unknown) => error instanceof ConfigError && error.message.includes('SLUICE_ROLE must be one of api, worker, all'));
  }
});

test('SLUICE_DB_LISTEN_URL: where workers LISTEN, DATABASE_URL unless given; only with DATABASE_URL', () => {
  const pg = { DATABASE_URL: 'postgres://pgbouncer:6432/sluice', SLUICE_ENCRYPTION_KEY: SHARED_KEY };
  assert.equal(loadConfig({}).listenUrl, null);
  assert.equal(loadConfig(pg).listenUrl, 'postgres://pgbouncer:6432/sluice');
  assert.equal(loadConfig({ ...pg, SLUICE_DB_LISTEN_URL: 'postgres://db:5432/sluice' }).listenUrl, 'postgres://db:5432/sluice');
  assert.throws(() => loadConfig({ ...pg, SLUICE_DB_LISTEN_URL: 'http://db' }), (error: unknown) => error instanceof ConfigError && error.message.includes('SLUICE_DB_LISTEN_URL'));
  assert.throws(() => loadConfig({ SLUICE_DB_LISTEN_URL: 'postgres://db:5432/sluice' }), (error: unknown) => error instanceof ConfigError && error.message.includes('only applies with DATABASE_URL'));
});

test('SLUICE_ENCRYPTION_KEY_PREVIOUS: a comma-separated list of 32-byte keys, only beside a current key', () => {
  const current = Buffer.alloc(32, 1).toString('base64');
  const older = [Buffer.alloc(32, 2), Buffer.alloc(32, 3)];
  const config = loadConfig({ SLUICE_ENCRYPTION_KEY: current, SLUICE_ENCRYPTION_KEY_PREVIOUS: ` ${older[0]?.toString('base64')}, ${older[1]?.toString('base64')}` });
  assert.deepEqual(config.previousEncryptionKeys, older);
  assert.deepEqual(loadConfig({}).previousEncryptionKeys, []);
  assert.throws(
    () => loadConfig({ SLUICE_ENCRYPTION_KEY_PREVIOUS: current }),
    (error: unknown) => error instanceof ConfigError && /needs SLUICE_ENCRYPTION_KEY/.test(error.message),
  );
  assert.throws(
    () => loadConfig({ SLUICE_ENCRYPTION_KEY: current, SLUICE_ENCRYPTION_KEY_PREVIOUS: `${current},c2hvcnQ=` }),
    (error: unknown) => error instanceof ConfigError && /SLUICE_ENCRYPTION_KEY_PREVIOUS must be 32 bytes/.test(error.message),
  );
});
