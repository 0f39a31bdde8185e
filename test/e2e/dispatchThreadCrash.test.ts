/**
 * SIGKILL with the dispatch thread on (SLUICE_DISPATCH_THREAD=on), while both SQLite connections write: the main
 * thread commits ingested requests and the dispatch thread commits claims and attempt records, to the same WAL.
 * Each writer fsyncs the WAL before it answers; this checks that the answers still mean what they say when the
 * other connection's frames are interleaved: every acknowledged request is in the store after the kill, and every
 * one of its events is delivered (at least once) after the restart.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { apiClient, createPipeline } from '../support/apiClient.js';
import { crashTestParts, freePort, startGatewayProcess } from '../support/gatewayProcess.js';
import { runIngestLoad } from '../support/ingestClient.js';
import { readStore } from '../support/storedRequests.js';

const API_KEY = 'sk_test_dispatch_thread_crash_01';
const REQUESTS = 4000;
const KILL_AFTER_ARRIVALS = 600;

describe('SIGKILL with the dispatch thread on, ingest and delivery both writing', { timeout: 150_000 }, () => {
  const parts = crashTestParts('sluice-dthread-crash-');

  test('every acknowledged request is stored, and all its events are delivered after the restart', async (t) => {
    const env = {
      SLUICE_DATA_DIR: parts.dataDir,
      SLUICE_API_KEY: API_KEY,
      SLUICE_OUTBOUND_ALLOWLIST: '127.0.0.1/32',
      SLUICE_POLL_INTERVAL_MS: '100',
      SLUICE_DISPATCH_THREAD: 'on',
    };
    const port = await freePort();
    parts.gateway = await startGatewayProcess(env, port);
    const api = apiClient(parts.gateway.url, API_KEY);
    const pipeline = await createPipeline(api, { name: 'dthread-crash', url: `${parts.receiver.url}/hook`, retry: { strategy: 'linear', interval: 500, count: 20 } });
    parts.receiver.answerWith({ status: 200, delayMs: 5 });

    const acknowledged = new Map<string, string[]>(); // request id → its event ids
    let killed = false;
    const gateway = parts.gateway;
    const load = runIngestLoad({
      url: pipeline.ingestUrl,
      total: REQUESTS,
      workers: 16,
      bodyFor: (seq) => ({ contentType: 'application/json', bytes: Buffer.from(JSON.stringify({ seq, pad: 'x'.repeat(300) })), sha256: '' }),
      stop: () => killed,
      onOutcome: (outcome) => {
        if (outcome.status === 200 && outcome.requestId !== undefined) acknowledged.set(outcome.requestId, outcome.eventIds ?? []);
      },
    });
    await parts.receiver.waitFor(() => parts.receiver.arrivalsByEvent.size >= KILL_AFTER_ARRIVALS, 60_000, `${KILL_AFTER_ARRIVALS} deliveries`);
    gateway.child.kill('SIGKILL');
    killed = true;
    assert.equal(await gateway.exited, 'SIGKILL');
    await load;
    assert.ok(acknowledged.size > KILL_AFTER_ARRIVALS / 2, `ingest ran while delivering (${acknowledged.size} acknowledged)`);
    const deliveredBeforeKill = parts.receiver.arrivalsByEvent.size;

    const atKill = readStore(parts.dataDir);
    const missing = [...acknowledged.keys()].filter((id) => !atKill.requests.has(id));
    assert.deepEqual(missing, [], 'every acknowledged request survived the kill');

    parts.gateway = await startGatewayProcess(env, port);
    const eventIds = [...acknowledged.values()].flat();
    await parts.receiver.waitFor(() => eventIds.every((id) => parts.receiver.countsByEvent.has(id)), 90_000, 'every acknowledged event delivered');
    parts.gateway.child.kill('SIGTERM');
    assert.equal(await parts.gateway.exited, 0);
    parts.gateway = null;

    const final = readStore(parts.dataDir);
    const notSuccessful = eventIds.filter((id) => final.events.get(id)?.status !== 'SUCCESSFUL');
    assert.deepEqual(notSuccessful, [], 'every acknowledged event ends SUCCESSFUL');
    const duplicated = eventIds.filter((id) => (parts.receiver.arrivalsByEvent.get(id) ?? 0) > 1).length;
    t.diagnostic(`${acknowledged.size} requests acknowledged before the kill, ${deliveredBeforeKill} events delivered by then; ${duplicated} delivered twice (in flight at the kill)`);
  });
});
