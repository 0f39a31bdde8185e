/**
 * Nothing acknowledged is lost (issue 2, item 7): thousands of requests to a running gateway, SIGKILL mid-flight,
 * restart, then every request that got a 200 must be stored byte for byte and every one of its events delivered
 * at least once. Duplicates are counted and reported, not hidden. SIGTERM drains in-flight attempts and exits 0.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { connect } from 'node:net';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { apiClient, createPipeline } from '../support/apiClient.js';
import { freePort, startGatewayProcess, type GatewayProcess } from '../support/gatewayProcess.js';
import { startReceiver, type Receiver } from '../support/receiver.js';

const API_KEY = 'sk_test_crash_recovery_key_0001';

interface Ack {
  requestId: string;
  eventIds: string[];
  body: string;
}

/** Sends `total` requests with `concurrency` in flight; stops sending once `stop()` is true. */
async function sendLoad(ingestUrl: string, total: number, concurrency: number, stop: () => boolean, acks: Ack[]): Promise<number> {
  const agent = new Agent({ connections: concurrency, pipelining: 1 });
  let next = 0;
  let failures = 0;
  const worker = async () => {
    while (next < total && !stop()) {
      const n = next++;
      const body = JSON.stringify({ n, padding: 'x'.repeat(200), at: Date.now() });
      try {
        const res = await request(ingestUrl, { method: 'POST', body, headers: { 'content-type': 'application/json' }, dispatcher: agent });
        const text = await res.body.text();
        if (res.statusCode === 200) {
          const parsed = JSON.parse(text) as { request_id: string; event_ids: string[] };
          acks.push({ requestId: parsed.request_id, eventIds: parsed.event_ids, body });
        } else failures++;
      } catch {
        failures++; // the connection died with the gateway: not acknowledged, so not owed
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  await agent.close().catch(() => undefined);
  return failures;
}

// The three runs took 96 s together at a load average of 16 and over 120 s at 26 (each spawns gateway processes and
// loads them); the time bounds that matter are measured inside each test, so the suite's own budget is generous.
describe('crash recovery', { timeout: 240_000 }, () => {
  let dataDir: string;
  let receiver: Receiver;
  let gateway: GatewayProcess | null = null;
  let env: Record<string, string>;
  let port: number;

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'sluice-crash-'));
    receiver = await startReceiver();
    port = await freePort();
    env = {
      SLUICE_DATA_DIR: dataDir,
      SLUICE_API_KEY: API_KEY,
      SLUICE_OUTBOUND_ALLOWLIST: '127.0.0.1/32',
      SLUICE_POLL_INTERVAL_MS: '100',
      SLUICE_SHUTDOWN_TIMEOUT_MS: '5000',
    };
  });

  after(async () => {
    gateway?.child.kill('SIGKILL');
    await receiver.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  test('SIGKILL under load loses no acknowledged request or event', async (t) => {
    gateway = await startGatewayProcess(env, port);
    const api = apiClient(gateway.url, API_KEY);
    const pipeline = await createPipeline(api, { name: 'crash', url: `${receiver.url}/hook`, retry: { strategy: 'linear', interval: 200, count: 50 } });

    const acks: Ack[] = [];
    let killed = false;
    const load = sendLoad(pipeline.ingestUrl, 6000, 48, () => killed, acks);
    // Kill once a good share has been acknowledged, while requests and deliveries are in flight.
    while (acks.length < 2500) await new Promise((resolve) => setTimeout(resolve, 5));
    gateway.child.kill('SIGKILL');
    killed = true;
    assert.equal(await gateway.exited, 'SIGKILL');
    await load;
    const deliveredBeforeCrash = receiver.countsByEvent.size;

    gateway = await startGatewayProcess(env, port);
    const expected = acks.flatMap((ack) => ack.eventIds);
    assert.equal(expected.length, acks.length, 'one event per acknowledged request (one connection)');
    await receiver.waitFor(() => expected.every((id) => receiver.countsByEvent.has(id)), 60_000, `${expected.length} acknowledged events delivered`);

    // Every acknowledged request is stored byte for byte (sampled across the run: first, last, and every 50th).
    const api2 = apiClient(gateway.url, API_KEY);
    for (const [index, ack] of acks.entries()) {
      if (index % 50 !== 0 && index !== acks.length - 1) continue;
      const stored = await api2.get<{ body: unknown }>(`/requests/${ack.requestId}`);
      assert.equal(stored.status, 200, `request ${ack.requestId} is stored`);
      assert.deepEqual(stored.body.body, JSON.parse(ack.body));
    }
    const total = await api2.get<{ total_count: number }>(`/requests?source_id=${pipeline.sourceId}&limit=1`);
    assert.ok(total.body.total_count >= acks.length, `stored ${total.body.total_count} ≥ acknowledged ${acks.length}`);

    const duplicates = [...receiver.countsByEvent.values()].filter((count) => count > 1).length;
    t.diagnostic(`acknowledged ${acks.length}, stored ${total.body.total_count}, delivered before crash ${deliveredBeforeCrash}, duplicates ${duplicates}`);
  });

  test('SIGTERM drains in-flight attempts and exits cleanly', async (t) => {
    gateway ??= await startGatewayProcess(env, port);
    const api = apiClient(gateway.url, API_KEY);
    const slow = await startReceiver();
    slow.answerWith({ status: 200, delayMs: 300 });
    try {
      const pipeline = await createPipeline(api, { name: 'drain', url: `${slow.url}/hook` });
      const acks: Ack[] = [];
      await sendLoad(pipeline.ingestUrl, 100, 20, () => false, acks);
      assert.equal(acks.length, 100);
      await slow.waitFor(() => slow.received.length >= 5, 10_000, 'first deliveries');
      const started = Date.now();
      gateway.child.kill('SIGTERM');
      assert.equal(await gateway.exited, 0, `clean exit; output:\n${gateway.output()}`);
      const tookMs = Date.now() - started;
      assert.ok(tookMs < 5000 + 2000, `exited within the deadline (took ${tookMs} ms)`);

      gateway = await startGatewayProcess(env, port);
      const expected = acks.flatMap((ack) => ack.eventIds);
      await slow.waitFor(() => expected.every((id) => slow.countsByEvent.has(id)), 30_000, 'all events delivered after restart');
      const duplicates = [...slow.countsByEvent.values()].filter((count) => count > 1).length;
      t.diagnostic(`drain took ${tookMs} ms; duplicates ${duplicates}`);
      assert.equal(duplicates, 0, 'a graceful shutdown delivers nothing twice');
    } finally {
      await slow.close();
    }
  });

  test('SIGTERM under load exits within its deadline; attempts cut short are released, not failed', async (t) => {
    const deadlineMs = 1500;
    const drainEnv = { ...env, SLUICE_SHUTDOWN_TIMEOUT_MS: String(deadlineMs) };
    if (gateway !== null && gateway.child.exitCode === null) {
      gateway.child.kill('SIGTERM');
      await gateway.exited;
    }
    gateway = await startGatewayProcess(drainEnv, port);
    const api = apiClient(gateway.url, API_KEY);
    const target = await startReceiver();
    // '/stuck' answers long after the deadline (its destination allows 30 s) until the gateway is told to stop.
    let stuck = true;
    target.answerWith((req) => ({ status: 200, delayMs: req.url.startsWith('/stuck') && stuck ? 20_000 : 30 }));
    try {
      const quick = await createPipeline(api, { name: 'term-quick', url: `${target.url}/quick` });
      const slow = await createPipeline(api, { name: 'term-stuck', url: `${target.url}/stuck`, timeout: 30_000 });
      const acks: Ack[] = [];
      const stuckAcks: Ack[] = [];
      await sendLoad(slow.ingestUrl, 10, 5, () => false, stuckAcks);
      let terminated = false;
      const load = sendLoad(quick.ingestUrl, 100_000, 16, () => terminated, acks);
      await target.waitFor(() => target.concurrency.now >= 10 && target.received.length >= 50, 20_000, 'stuck attempts running and quick ones delivered');
      // A client that never finishes its upload must not hold the shutdown past its deadline.
      const dawdler = connect(port, '127.0.0.1');
      await new Promise<void>((resolve) => dawdler.once('connect', () => resolve()));
      dawdler.on('error', () => undefined);
      dawdler.write(`POST /e/${quick.sourceId} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/octet-stream\r\ncontent-length: 100000\r\n\r\npartial`);
      await new Promise((resolve) => setTimeout(resolve, 100));
      const started = Date.now();
      gateway.child.kill('SIGTERM');
      const exitCode = await gateway.exited;
      const tookMs = Date.now() - started;
      terminated = true;
      stuck = false;
      dawdler.destroy();
      await load;
      assert.equal(exitCode, 0, `clean exit; output:\n${gateway.output()}`);
      assert.ok(tookMs < deadlineMs + 1500, `exited ${tookMs} ms after SIGTERM (deadline ${deadlineMs} ms)`);

      gateway = await startGatewayProcess(drainEnv, port);
      const expected = [...acks, ...stuckAcks].flatMap((ack) => ack.eventIds);
      await target.waitFor(() => expected.every((id) => target.countsByEvent.has(id)), 30_000, 'every acknowledged event delivered after restart');
      const duplicates = [...target.countsByEvent.values()].filter((count) => count > 1).length;
      assert.equal(duplicates, 0, 'no event was answered twice');
      const api2 = apiClient(gateway.url, API_KEY);
      for (const ack of stuckAcks) {
        const read = () => api2.get<{ attempts: number; status: string }>(`/events/${ack.eventIds[0] ?? ''}`);
        let event = await read();
        // The receiver has answered; the gateway records the attempt a moment later.
        for (const until = Date.now() + 5000; event.body.status !== 'SUCCESSFUL' && Date.now() < until; event = await read()) {
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        assert.equal(event.body.status, 'SUCCESSFUL');
        assert.equal(event.body.attempts, 1, 'the attempt cut short by the deadline was released, not recorded as a failure');
      }
      const cutShort = stuckAcks.flatMap((ack) => ack.eventIds).filter((id) => (target.arrivalsByEvent.get(id) ?? 0) > 1).length;
      t.diagnostic(`exit ${tookMs} ms after SIGTERM (deadline ${deadlineMs} ms) with ${acks.length} requests acknowledged under load; ${cutShort} attempts cut short and sent again after restart; answered twice: ${duplicates}`);
    } finally {
      await target.close();
    }
  });
});
