/**
 * Storage taken away from a running gateway (issue 7, item 3): the embedded SQLite store on a disk that fills up
 * (a small tmpfs this test mounts; the CI runs as root), and PostgreSQL cut off behind a real TCP proxy (the
 * machine's server keeps running for the other tests). While storage is away, ingest answers 503
 * STORE_UNAVAILABLE with Retry-After and never a 2xx without a commit; the process and its dispatcher stay up; once
 * storage is back, ingest and delivery resume without a restart and every acknowledged request is stored byte for
 * byte and delivered. Under CI=true a missing PostgreSQL or an impossible mount fails these tests.
 */
import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, open, rm, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiClient, createPipeline } from '../support/apiClient.js';
import { freePort, startGatewayProcess, type GatewayProcess } from '../support/gatewayProcess.js';
import { postBody, type IngestOutcome } from '../support/ingestClient.js';
import { binaryBody, mixedBody, type TestBody } from '../support/mixedBodies.js';
import { createDatabase, probePostgres, query, SERVER_URL, withDatabase, type FreshDatabase } from '../support/postgresDatabase.js';
import { startReceiver, type Receiver } from '../support/receiver.js';
import { readStore, sha256 } from '../support/storedRequests.js';
import { startTcpProxy, type TcpProxy } from '../support/tcpProxy.js';

const IN_CI = process.env.CI === 'true';
const API_KEY = 'sk_test_storage_unavailable_01';

interface Acked {
  requestId: string;
  eventIds: string[];
  sha256: string;
}

/** What a phase of ingest got back, and the acknowledged requests (the only ones owed). */
class Ledger {
  readonly acked: Acked[] = [];
  readonly refused: IngestOutcome[] = [];
  readonly other: IngestOutcome[] = [];

  note(outcome: IngestOutcome, body: TestBody): void {
    if (outcome.status === 200 && outcome.requestId !== undefined) {
      this.acked.push({ requestId: outcome.requestId, eventIds: outcome.eventIds ?? [], sha256: body.sha256 });
    } else if (outcome.status === 503) this.refused.push(outcome);
    else this.other.push(outcome);
  }
}

async function expectHealthy(gateway: GatewayProcess): Promise<void> {
  const res = await fetch(`${gateway.url}/healthz`);
  assert.equal(res.status, 200, 'the process answers while storage is away');
  assert.equal(gateway.child.exitCode, null, 'the process is still running');
}

/** Every 503 says STORE_UNAVAILABLE and when to come back. */
function assertClearRefusals(ledger: Ledger, what: string, requireSome = true): void {
  if (requireSome) assert.ok(ledger.refused.length > 0, `${what}: some requests were refused`);
  for (const refusal of ledger.refused) {
    assert.equal(refusal.code, 'STORE_UNAVAILABLE', `${what}: 503 with a stable code`);
    assert.ok(refusal.retryAfter !== undefined && Number(refusal.retryAfter) > 0, `${what}: Retry-After on every 503`);
  }
  assert.deepEqual(ledger.other, [], `${what}: nothing but 200 or 503`);
}

/** Sends until one is acknowledged again (storage is back); returns how long that took. */
async function untilAccepted(url: string, ledger: Ledger, timeoutMs: number): Promise<number> {
  const started = Date.now();
  for (let seq = 100_000; Date.now() - started < timeoutMs; seq += 1) {
    const body = mixedBody(seq);
    const outcome = await postBody(url, body, seq);
    ledger.note(outcome, body);
    if (outcome.status === 200) return Date.now() - started;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.fail(`ingest did not recover within ${timeoutMs} ms of storage coming back`);
}

/** Waits for `promise`, at most `ms` (clean-up steps that must not hang a run). */
async function within(ms: number, promise: Promise<unknown>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise.catch(() => undefined), new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

async function until(probe: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !(await probe()); ) {
    if (Date.now() > deadline) assert.fail(`not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Fills the file system holding `dir` until it refuses to grow; returns the filler's path. */
/** Bounded: a file system that never reports ENOSPC fails the test instead of writing forever. */
const FILL_LIMIT_BYTES = 256 * 1024 * 1024;

async function fillDisk(dir: string): Promise<string> {
  const path = join(dir, 'filler');
  const handle = await open(path, 'w');
  let written = 0;
  try {
    for (const size of [1 << 20, 1 << 12]) {
      const chunk = Buffer.alloc(size, 1);
      for (;;) {
        if (written > FILL_LIMIT_BYTES) throw new Error(`wrote ${written} bytes to ${dir} without ENOSPC: is it the 24 MiB tmpfs?`);
        try {
          const { bytesWritten } = await handle.write(chunk);
          if (bytesWritten === 0) break; // full, said without an error
          written += bytesWritten;
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'ENOSPC') break;
          throw error;
        }
      }
    }
  } finally {
    await handle.close().catch(() => undefined);
  }
  return path;
}

function mountTmpfs(dir: string, size: string): string | null {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'pipe' });
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

describe('storage unavailable', { timeout: 120_000 }, () => {
  let receiver: Receiver;
  before(async () => {
    receiver = await startReceiver();
  });
  after(async () => {
    await within(5000, receiver.close());
  });

  test('SQLite disk full: 503 STORE_UNAVAILABLE, no 2xx without a commit, recovery without restart', async (t: TestContext) => {
    const dataDir = await mkdtemp(join(tmpdir(), 'sluice-diskfull-'));
    const mountError = mountTmpfs(dataDir, '24m');
    if (mountError !== null) {
      await rm(dataDir, { recursive: true, force: true });
      const reason = `cannot mount a tmpfs to fill (${mountError}); run as root`;
      if (IN_CI) assert.fail(reason);
      t.skip(reason);
      return;
    }
    let gateway: GatewayProcess | null = null;
    try {
      const port = await freePort();
      const env = { SLUICE_DATA_DIR: dataDir, SLUICE_API_KEY: API_KEY, SLUICE_OUTBOUND_ALLOWLIST: '127.0.0.1/32', SLUICE_POLL_INTERVAL_MS: '100' };
      gateway = await startGatewayProcess(env, port);
      const api = apiClient(gateway.url, API_KEY);
      const pipeline = await createPipeline(api, { name: 'diskfull', url: `${receiver.url}/full`, retry: { strategy: 'linear', interval: 200, count: 100 } });
      const ledger = new Ledger();
      for (let seq = 0; seq < 20; seq += 1) {
        const body = mixedBody(seq);
        ledger.note(await postBody(pipeline.ingestUrl, body, seq), body);
      }
      assert.equal(ledger.acked.length, 20, 'accepted while there is room');

      const filler = await fillDisk(dataDir);
      // The WAL may still have room of its own; bodies of 64 KiB use it up within a few requests.
      const during = new Ledger();
      let consecutiveRefusals = 0;
      for (let seq = 1000; seq < 1400 && consecutiveRefusals < 15; seq += 1) {
        const body = binaryBody(64 * 1024);
        const outcome = await postBody(pipeline.ingestUrl, body, seq);
        during.note(outcome, body);
        consecutiveRefusals = outcome.status === 503 ? consecutiveRefusals + 1 : 0;
      }
      assert.ok(consecutiveRefusals >= 15, `ingest refuses while the disk is full (${during.acked.length} accepted into the WAL's room first)`);
      assertClearRefusals(during, 'disk full');
      await expectHealthy(gateway);

      const outageStarted = Date.now();
      await unlink(filler);
      const recovered = new Ledger();
      const recoveryMs = await untilAccepted(pipeline.ingestUrl, recovered, 15_000);
      const after = new Ledger();
      for (let seq = 2000; seq < 2050; seq += 1) {
        const body = mixedBody(seq);
        after.note(await postBody(pipeline.ingestUrl, body, seq), body);
      }
      assert.equal(after.acked.length, 50, 'ingest works again without a restart');

      assertClearRefusals(recovered, 'disk full, until space came back', false);
      const owed = [...ledger.acked, ...during.acked, ...recovered.acked, ...after.acked];
      const expected = owed.flatMap((a) => a.eventIds);
      await receiver.waitFor(() => expected.every((id) => receiver.countsByEvent.has(id)), 30_000, 'every acknowledged event delivered after the disk has room');
      const deliveredMs = Date.now() - outageStarted;

      gateway.child.kill('SIGTERM');
      assert.equal(await gateway.exited, 0, `clean exit; output:\n${gateway.output()}`);
      gateway = null;
      const stored = readStore(dataDir);
      const refusedSeqs = new Set([...during.refused, ...recovered.refused].map((o) => String(o.seq)));
      for (const ack of owed) {
        const row = stored.requests.get(ack.requestId);
        assert.ok(row !== undefined, `acknowledged request ${ack.requestId} is stored`);
        assert.equal(row.sha256, ack.sha256, `request ${ack.requestId} is stored byte for byte`);
        assert.deepEqual(row.eventIds, ack.eventIds);
      }
      const refusedButStored = [...stored.requests.values()].filter((r) => r.seq !== undefined && refusedSeqs.has(r.seq)).length;
      t.diagnostic(
        `disk full: accepted into the WAL's room ${during.acked.length}, refused 503 ${during.refused.length + recovered.refused.length}, refused but stored ${refusedButStored}; ` +
          `ingest recovered ${recoveryMs} ms after space came back; all ${expected.length} owed events delivered ${deliveredMs} ms after`,
      );
    } finally {
      if (gateway !== null) {
        gateway.child.kill('SIGKILL');
        await gateway.exited;
      }
      try {
        execFileSync('umount', ['-l', dataDir], { stdio: 'pipe' });
      } finally {
        await rm(dataDir, { recursive: true, force: true });
      }
    }
  });

  describe('PostgreSQL', async () => {
    const unreachable = await probePostgres();
    if (unreachable !== null) {
      const reason = `PostgreSQL is not reachable at ${SERVER_URL} (${unreachable}); set DATABASE_URL_TEST or start it`;
      if (IN_CI) test('PostgreSQL is reachable (required in CI)', () => assert.fail(reason));
      else test('PostgreSQL down', { skip: reason }, () => undefined);
      return;
    }

    let database: FreshDatabase;
    let proxy: TcpProxy;
    let gateway: GatewayProcess | null = null;
    before(async () => {
      database = await createDatabase('sluice_fault');
      const server = new URL(SERVER_URL);
      proxy = await startTcpProxy(server.hostname, Number(server.port || 5432));
    });
    after(async () => {
      if (gateway !== null) {
        gateway.child.kill('SIGKILL');
        await gateway.exited;
      }
      // Bounded, so a failed test's leftovers cannot keep the file from finishing.
      await within(5000, proxy.close());
      await within(10_000, database.drop());
    });

    test('PostgreSQL down: 503 STORE_UNAVAILABLE, no 2xx without a commit, recovery without restart', async (t) => {
      const proxied = new URL(database.url);
      proxied.hostname = '127.0.0.1';
      proxied.port = String(proxy.port);
      const port = await freePort();
      gateway = await startGatewayProcess(
        {
          LOG_LEVEL: 'info',
          DATABASE_URL: proxied.toString(),
          SLUICE_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
          SLUICE_API_KEY: API_KEY,
          SLUICE_OUTBOUND_ALLOWLIST: '127.0.0.1/32',
          SLUICE_POLL_INTERVAL_MS: '100',
          SLUICE_DB_POOL_SIZE: '4',
        },
        port,
      );
      const api = apiClient(gateway.url, API_KEY);
      const pipeline = await createPipeline(api, { name: 'pgdown', url: `${receiver.url}/pg`, retry: { strategy: 'linear', interval: 200, count: 100 } });
      // Attempts made before the cut are still running when it comes: their records must wait out the outage.
      receiver.answerWith((req) => ({ status: 200, delayMs: req.url.startsWith('/pg') ? 500 : 0 }));
      const before = new Ledger();
      for (let seq = 0; seq < 20; seq += 1) {
        const body = mixedBody(seq);
        before.note(await postBody(pipeline.ingestUrl, body, seq), body);
      }
      assert.equal(before.acked.length, 20);

      await proxy.cut();
      const during = new Ledger();
      const cutAt = Date.now();
      await Promise.all(
        Array.from({ length: 4 }, async (_, worker) => {
          for (let i = 0; i < 10; i += 1) {
            const seq = 1000 + worker * 100 + i;
            const body = mixedBody(seq);
            during.note(await postBody(pipeline.ingestUrl, body, seq), body);
          }
        }),
      );
      const refusalMs = Date.now() - cutAt;
      assert.equal(during.acked.length, 0, 'nothing can be acknowledged while the database is unreachable');
      assertClearRefusals(during, 'database down');
      assert.equal(during.refused.length, 40);
      await expectHealthy(gateway);

      const restoredAt = Date.now();
      await proxy.restore();
      const recovered = new Ledger();
      const recoveryMs = await untilAccepted(pipeline.ingestUrl, recovered, 15_000);
      const after = new Ledger();
      for (let seq = 2000; seq < 2030; seq += 1) {
        const body = mixedBody(seq);
        after.note(await postBody(pipeline.ingestUrl, body, seq), body);
      }
      assert.equal(after.acked.length, 30, 'ingest works again without a restart');

      const owed = [...before.acked, ...recovered.acked, ...after.acked];
      const expected = owed.flatMap((a) => a.eventIds);
      await receiver
        .waitFor(() => expected.every((id) => receiver.countsByEvent.has(id)), 30_000, 'every acknowledged event delivered after the database is back')
        .catch((error: unknown) => assert.fail(`${String(error)}; gateway output:\n${gateway?.output() ?? ''}`));
      // Recorded too: attempts answered during the outage were written once it was back, not left to their leases.
      await until(async () => (await api.get<{ total_count: number }>(`/events?webhook_id=${pipeline.connectionId}&status=SUCCESSFUL&limit=1`)).body.total_count === expected.length, 10_000);
      const deliveredMs = Date.now() - restoredAt;

      // Read the database directly (not through the proxy): every acknowledged request, byte for byte.
      const rows = await query<{ id: string; body: Buffer }>(withDatabase(SERVER_URL, new URL(database.url).pathname.slice(1)), 'SELECT id, body FROM requests WHERE id = ANY($1)', [
        owed.map((a) => a.requestId),
      ]);
      const hashes = new Map(rows.map((row) => [row.id, sha256(row.body)]));
      for (const ack of owed) assert.equal(hashes.get(ack.requestId), ack.sha256, `request ${ack.requestId} is stored byte for byte`);
      t.diagnostic(
        `database down: ${during.refused.length} requests refused 503 in ${refusalMs} ms; ingest recovered ${recoveryMs} ms after the database came back; ` +
          `all ${expected.length} owed events delivered ${deliveredMs} ms after`,
      );
    });
  });
});
