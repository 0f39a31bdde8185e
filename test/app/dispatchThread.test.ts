/**
 * The dispatch thread (SLUICE_DISPATCH_THREAD=on, embedded store): the dispatcher claims, attempts and records on
 * a worker thread with its own SQLite connection, while the API and ingest stay on the main thread. Real gateway,
 * real SQLite file, real receivers: delivery is woken at once (not at the next poll), manual retries are made
 * through the API, shutdown drains, a dead thread is replaced, and the data directory stays one process's.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { startGateway, type Gateway } from '../../src/app/gateway.js';
import { loadConfig } from '../../src/config/loadConfig.js';
import { createLogger } from '../../src/observability/logger.js';
import { StoreLockedError } from '../../src/store/sqlite/openSqliteStore.js';
import { apiClient, createPipeline, type ApiClient } from '../support/apiClient.js';
import { type AttemptModel, eventsApi, ingestOk as ingest } from '../support/eventsApi.js';
import { startReceiver, type Receiver } from '../support/receiver.js';
import { until } from '../support/until.js';

const KEY = 'sk_test_dispatch_thread_0000001';

interface Running {
  gateway: Gateway;
  api: ApiClient;
  dataDir: string;
}

async function start(dataDir: string, env: Record<string, string> = {}): Promise<Running> {
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    SLUICE_DATA_DIR: dataDir,
    SLUICE_API_KEY: KEY,
    SLUICE_OUTBOUND_ALLOWLIST: '127.0.0.1/32',
    // Long: a delivery within it was woken, not polled.
    SLUICE_POLL_INTERVAL_MS: '30000',
    SLUICE_DISPATCH_THREAD: 'on',
    LOG_LEVEL: 'silent',
    ...env,
  });
  const gateway = await startGateway(config, createLogger(config));
  return { gateway, api: apiClient(gateway.url, KEY), dataDir };
}

async function withGateway(run: (g: Running, receiver: Receiver) => Promise<void>, env: Record<string, string> = {}): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), 'sluice-dthread-'));
  const receiver = await startReceiver();
  const g = await start(dataDir, env);
  try {
    await run(g, receiver);
  } finally {
    await g.gateway.close();
    await receiver.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** The events table as the file holds it, read through a connection of the test's own. */
function storedEvents(dataDir: string): { id: string; status: string; lease_token: string | null }[] {
  const db = new Database(join(dataDir, 'sluice.db'), { readonly: true });
  try {
    return db.prepare('SELECT id, status, lease_token FROM events').all() as { id: string; status: string; lease_token: string | null }[];
  } finally {
    db.close();
  }
}

describe('the dispatch thread', { timeout: 120_000 }, () => {
  test('delivers ingested events from the thread, woken at once rather than at the next poll', async () => {
    await withGateway(async (g, receiver) => {
      assert.ok(g.gateway.dispatchThread, 'the thread runs');
      const p = await createPipeline(g.api, { name: 'fast', url: receiver.url });
      const ids: string[] = [];
      for (let i = 0; i < 20; i += 1) ids.push(...(await ingest(p.ingestUrl, JSON.stringify({ i }))).event_ids);
      await receiver.waitFor(() => ids.every((id) => receiver.countsByEvent.has(id)), 10_000, 'every event delivered before the 30 s poll');
      await until(() => eventsApi(g.api).event(ids[19] ?? ''), (e) => e.status === 'SUCCESSFUL', 5000, 'recorded SUCCESSFUL');
    });
  });

  test('a manual retry through the API is made by the main thread and cancels the retry the thread scheduled', async () => {
    await withGateway(async (g, receiver) => {
      receiver.answerWith({ status: 503 });
      const p = await createPipeline(g.api, { name: 'manual', url: receiver.url, retry: { strategy: 'linear', interval: 60_000, count: 3 } });
      const id = (await ingest(p.ingestUrl, '{"m":1}')).event_ids[0] ?? '';
      await until(() => eventsApi(g.api).event(id), (e) => e.status === 'SCHEDULED', 5000, 'SCHEDULED by the thread');
      receiver.answerWith({ status: 200, body: 'thanks' });
      const retry = await g.api.post<AttemptModel>(`/events/${id}/retry`);
      assert.equal(retry.status, 200);
      assert.equal(retry.body.trigger, 'MANUAL');
      assert.equal(retry.body.response_status, 200);
      const after = await eventsApi(g.api).event(id);
      assert.equal(after.status, 'SUCCESSFUL');
      assert.equal(after.next_attempt_at, null);
    });
  });

  test('a second gateway on the same data directory is refused while the first runs, and starts once it stopped', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'sluice-dthread-'));
    try {
      const first = await start(dataDir);
      try {
        await assert.rejects(start(dataDir), StoreLockedError);
        await assert.rejects(start(dataDir, { SLUICE_DISPATCH_THREAD: 'off' }), StoreLockedError);
      } finally {
        await first.gateway.close();
      }
      const second = await start(dataDir);
      await second.gateway.close();
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  test('shutdown drains the attempts in flight, writes their records and releases the claims it did not attempt', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'sluice-dthread-'));
    const receiver = await startReceiver();
    try {
      receiver.answerWith({ status: 200, delayMs: 400 });
      const g = await start(dataDir, { SLUICE_DESTINATION_CONCURRENCY: '4' });
      const p = await createPipeline(g.api, { name: 'slow', url: receiver.url });
      const ids: string[] = [];
      for (let i = 0; i < 12; i += 1) ids.push(...(await ingest(p.ingestUrl, JSON.stringify({ i }))).event_ids);
      await until(async () => receiver.concurrency.now, (n) => n > 0, 5000, 'attempts in flight');
      await g.gateway.close();
      const events = storedEvents(dataDir);
      assert.equal(events.length, 12);
      const arrived = ids.filter((id) => receiver.arrivalsByEvent.has(id));
      assert.ok(arrived.length > 0);
      for (const e of events) {
        assert.equal(e.lease_token, null, `no claim is left leased (${e.id})`);
        if (arrived.includes(e.id)) assert.equal(e.status, 'SUCCESSFUL', `an attempt in flight finished and was recorded (${e.id})`);
      }
    } finally {
      await receiver.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  test('a thread that dies is replaced, and events (those it held included) are still delivered', async () => {
    await withGateway(
      async (g, receiver) => {
        const thread = g.gateway.dispatchThread;
        assert.ok(thread);
        receiver.answerWith({ status: 200, delayMs: 200 });
        const p = await createPipeline(g.api, { name: 'dies', url: receiver.url });
        const ids: string[] = [];
        for (let i = 0; i < 10; i += 1) ids.push(...(await ingest(p.ingestUrl, JSON.stringify({ i }))).event_ids);
        await until(async () => receiver.concurrency.now, (n) => n > 0, 5000, 'attempts in flight');
        await thread.kill(); // mid-flight: its leases (1 s here) run out and their events are attempted again
        receiver.answerWith({ status: 200 });
        for (let i = 0; i < 10; i += 1) ids.push(...(await ingest(p.ingestUrl, JSON.stringify({ after: i }))).event_ids);
        await until(async () => thread.starts, (n) => n === 2, 10_000, 'a new thread started');
        await receiver.waitFor(() => ids.every((id) => receiver.countsByEvent.has(id)), 20_000, 'every event delivered');
        for (const id of ids) await until(() => eventsApi(g.api).event(id), (e) => e.status === 'SUCCESSFUL', 10_000, `${id} SUCCESSFUL`);
      },
      // Short leases and polls: the dead thread's claims come back within the test.
      { SLUICE_DEFAULT_TIMEOUT_MS: '1000', SLUICE_POLL_INTERVAL_MS: '200' },
    );
  });
});
