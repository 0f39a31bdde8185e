/**
 * SIGKILL during 10,000 in-flight deliveries (issue 7, item 3). 10,000 events (1,000 requests fanned out to ten
 * connections, held paused) are released at once to a receiver that takes 20 ms per request, with up to 512
 * attempts in flight; the gateway
 * is killed mid-way and restarted. Nothing may be lost, and duplicates are bounded by what was in flight:
 *
 *   in flight at the kill = events whose request had fully reached the receiver before the kill, but whose
 *   successful attempt was not committed in the store (read from the SQLite file between kill and restart).
 *
 * Only those may be delivered twice (after the restart releases their claims); every duplicated event must be one
 * of them, so duplicates ≤ in flight.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { apiClient, createPipeline } from '../support/apiClient.js';
import { crashTestParts, freePort, startGatewayProcess } from '../support/gatewayProcess.js';
import { runIngestLoad } from '../support/ingestClient.js';
import { readStore } from '../support/storedRequests.js';

const API_KEY = 'sk_test_delivery_crash_key_001';
const EVENTS = 10_000;
const IN_FLIGHT_CAP = 512;
const KILL_AFTER_ARRIVALS = 3000;
const FAN_OUT = 10;

describe('SIGKILL during 10,000 in-flight deliveries', { timeout: 150_000 }, () => {
  const parts = crashTestParts('sluice-delivery-crash-');

  test('nothing is lost, and only deliveries in flight at the kill are repeated', async (t) => {
    const env = {
      SLUICE_DATA_DIR: parts.dataDir,
      SLUICE_API_KEY: API_KEY,
      SLUICE_OUTBOUND_ALLOWLIST: '127.0.0.1/32',
      SLUICE_POLL_INTERVAL_MS: '100',
      SLUICE_DISPATCH_CONCURRENCY: String(IN_FLIGHT_CAP),
      SLUICE_DESTINATION_CONCURRENCY: String(IN_FLIGHT_CAP / 4),
    };
    const port = await freePort();
    parts.gateway = await startGatewayProcess(env, port);
    const api = apiClient(parts.gateway.url, API_KEY);
    const retry = { type: 'retry', strategy: 'linear', interval: 500, count: 20 };
    const pipeline = await createPipeline(api, { name: 'delivery-crash', url: `${parts.receiver.url}/hook/0`, retry });
    // Fan-out: one request makes an event per connection, so 10,000 events take 1,000 requests to ingest.
    const connectionIds = [pipeline.connectionId];
    for (let n = 1; n < FAN_OUT; n += 1) {
      const destination = await api.post<{ id: string }>('/destinations', { name: `delivery-crash-${n}`, type: 'HTTP', config: { url: `${parts.receiver.url}/hook/${n}` } });
      const connection = await api.post<{ id: string }>('/connections', { name: `delivery-crash-${n}`, source_id: pipeline.sourceId, destination_id: destination.body.id, rules: [retry] });
      assert.equal(connection.status, 201);
      connectionIds.push(connection.body.id);
    }
    for (const id of connectionIds) assert.equal((await api.put(`/connections/${id}/pause`)).status, 200);

    const eventIds: string[] = [];
    const ingestStarted = Date.now();
    await runIngestLoad({
      url: pipeline.ingestUrl,
      total: EVENTS / FAN_OUT,
      workers: 32,
      bodyFor: (seq) => {
        const bytes = Buffer.from(JSON.stringify({ seq, pad: 'x'.repeat(200) }));
        return { contentType: 'application/json', bytes, sha256: '' };
      },
      stop: () => false,
      onOutcome: (outcome) => {
        assert.equal(outcome.status, 200, 'ingest while the connection is paused');
        eventIds.push(...(outcome.eventIds ?? []));
      },
    });
    const ingestMs = Date.now() - ingestStarted;
    assert.equal(eventIds.length, EVENTS);

    parts.receiver.answerWith({ status: 200, delayMs: 20 });
    const arrivals = () => parts.receiver.arrivalsByEvent.size;
    const releasedAt = Date.now();
    await Promise.all(connectionIds.map(async (id) => assert.equal((await api.put(`/connections/${id}/unpause`)).status, 200)));
    await parts.receiver.waitFor(() => arrivals() >= KILL_AFTER_ARRIVALS, 60_000, `${KILL_AFTER_ARRIVALS} deliveries`);
    const openAtKill = parts.receiver.concurrency.now;
    parts.gateway.child.kill('SIGKILL');
    assert.equal(await parts.gateway.exited, 'SIGKILL');
    const killMs = Date.now() - releasedAt;
    // Let the receiver finish reading what the dead sockets had already carried.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const arrivedBeforeKill = new Set(parts.receiver.arrivalsByEvent.keys());
    // Answers the dead process never read count as nothing: each uncommitted event needs an answer after restart.
    const answeredAtKill = new Map(parts.receiver.countsByEvent);

    const atKill = readStore(parts.dataDir);
    const committed = new Set([...atKill.events.values()].filter((e) => e.status === 'SUCCESSFUL').map((e) => e.id));
    const inFlight = new Set([...arrivedBeforeKill].filter((id) => !committed.has(id)));
    const leasedAtKill = [...atKill.events.values()].filter((e) => e.leased).length;
    for (const id of committed) assert.ok(arrivedBeforeKill.has(id), `a committed success (${id}) was received`);

    const restartedAt = Date.now();
    parts.gateway = await startGatewayProcess(env, port);
    const owed = eventIds.filter((id) => !committed.has(id));
    const answeredSinceRestart = (id: string) => (parts.receiver.countsByEvent.get(id) ?? 0) > (answeredAtKill.get(id) ?? 0);
    await parts.receiver.waitFor(() => owed.every(answeredSinceRestart), 90_000, `the ${owed.length} uncommitted events answered 200 after the restart`);
    const drainMs = Date.now() - restartedAt;
    parts.gateway.child.kill('SIGTERM');
    assert.equal(await parts.gateway.exited, 0);
    parts.gateway = null;

    const final = readStore(parts.dataDir);
    const notSuccessful = eventIds.filter((id) => final.events.get(id)?.status !== 'SUCCESSFUL');
    assert.deepEqual(notSuccessful, [], 'every event ends SUCCESSFUL: nothing lost');
    const duplicated = eventIds.filter((id) => (parts.receiver.arrivalsByEvent.get(id) ?? 0) > 1);
    const outsideInFlight = duplicated.filter((id) => !inFlight.has(id));
    assert.deepEqual(outsideInFlight, [], 'only deliveries in flight at the kill were repeated');
    assert.ok(duplicated.length <= inFlight.size, `duplicates ${duplicated.length} ≤ in flight ${inFlight.size}`);
    assert.ok(parts.receiver.concurrency.max <= IN_FLIGHT_CAP, `never more than ${IN_FLIGHT_CAP} at once (saw ${parts.receiver.concurrency.max})`);

    t.diagnostic(
      `ingested ${EVENTS} in ${ingestMs} ms; killed ${killMs} ms after release with ${arrivedBeforeKill.size} received, ${committed.size} committed, ` +
        `in flight ${inFlight.size} (receiver holding ${openAtKill} open, ${leasedAtKill} claims unrecorded); ` +
        `after restart all delivered in ${drainMs} ms; duplicates ${duplicated.length}; peak concurrency ${parts.receiver.concurrency.max}`,
    );
  });
});
