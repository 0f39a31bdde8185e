/**
 * Retention: requests (with their events and attempts) older than the window are purged in batches; newer ones
 * stay; so are finished bulk retries and expired deduplication keys. Runs on a real SQLite file (the store conformance suite checks
 * purgeBulkRetries and purgeDedupKeys on PostgreSQL as well).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newId } from '../../src/domain/ids.js';
import { purgeExpired } from '../../src/retention/retentionJob.js';
import { openSqliteStore } from '../../src/store/sqlite/openSqliteStore.js';
import { newPublishedEvent } from '../../src/domain/publishedEvent.js';
import type { GatewayStore } from '../../src/store/port.js';

const DAY = 86_400_000;

describe('retention', () => {
  let dir: string;
  let store: GatewayStore;
  const now = Date.now();
  const teamId = newId('team', now);
  const sourceId = newId('source', now);
  const destinationId = newId('destination', now);
  const connectionId = newId('connection', now);

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sluice-retention-'));
    store = openSqliteStore(join(dir, 'sluice.db'));
    await store.migrate();
    await store.createTeam({ id: teamId, name: 'team', signingSecretEncrypted: 'sealed' }, now);
    await store.createSource({
      id: sourceId, teamId, name: 'src', description: null, config: { allowed_http_methods: ['POST'], custom_response: null },
      disabledAt: null, createdAt: now, updatedAt: now,
    });
    await store.createDestination({
      id: destinationId, teamId, name: 'dst', description: null, type: 'HTTP',
      config: { url: 'http://127.0.0.1:9/', http_method: null, timeout: 5000, headers: {}, rate_limit: null, rate_limit_period: null },
      disabledAt: null, createdAt: now, updatedAt: now,
    });
    await store.createConnection({
      id: connectionId, teamId, name: 'conn', description: null, sourceId, destinationId, rules: [],
      pausedAt: null, disabledAt: null, createdAt: now, updatedAt: now,
    });
  });
  after(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function accept(createdAt: number): Promise<{ requestId: string; eventId: string }> {
    const requestId = newId('request', createdAt);
    const eventId = newId('event', createdAt);
    await store.acceptRequest(
      {
        id: requestId, teamId, sourceId, method: 'POST', path: '', query: '', headers: {}, body: Buffer.from('{}'),
        bodyIsJson: true, rejectionCause: null, eventIds: [eventId], createdAt,
      },
      [{ id: eventId, connectionId, destinationId, status: 'HOLD' }],
    );
    return { requestId, eventId };
  }

  test('purges only what is older than the window, in batches', async () => {
    const old = await Promise.all(Array.from({ length: 7 }, (_, i) => accept(now - 40 * DAY + i)));
    const fresh = await Promise.all(Array.from({ length: 3 }, (_, i) => accept(now - 29 * DAY + i)));
    const deleted = await purgeExpired(store, { retentionDays: 30, intervalMs: 60_000, batch: 2 }, now);
    assert.equal(deleted, 7);
    for (const { requestId, eventId } of old) {
      assert.equal(await store.getRequest(teamId, requestId), null);
      assert.equal(await store.getEvent(teamId, eventId), null);
    }
    for (const { requestId, eventId } of fresh) {
      assert.ok(await store.getRequest(teamId, requestId));
      assert.ok(await store.getEvent(teamId, eventId));
    }
    assert.equal(await purgeExpired(store, { retentionDays: 30, intervalMs: 60_000, batch: 2 }, now), 0);
  });

  test('purges published events with the rest, and Idempotency-Key records after 24 h', async () => {
    const old = newPublishedEvent(teamId, { type: 'a.b', data: {}, id: 'old-event' }, 'api', now - 31 * DAY);
    const fresh = newPublishedEvent(teamId, { type: 'a.b', data: {}, id: 'fresh-event' }, 'api', now - DAY);
    await store.acceptEvent({ event: old, deliveries: [] });
    await store.acceptEvent({ event: fresh, deliveries: [] });
    const windows = { expiredBefore: 0, abandonedBefore: 0 };
    await store.claimIdempotencyKey(teamId, 'yesterday', 'f', now - DAY - 1, windows);
    await store.claimIdempotencyKey(teamId, 'today', 'f', now - 1000, windows);
    assert.equal(await purgeExpired(store, { retentionDays: 30, intervalMs: 60_000, batch: 2 }, now), 1);
    assert.equal(await store.getPublishedEvent(teamId, 'old-event'), null);
    assert.ok(await store.getPublishedEvent(teamId, 'fresh-event'));
    const live = { expiredBefore: now - DAY, abandonedBefore: now - DAY };
    assert.deepEqual(await store.claimIdempotencyKey(teamId, 'today', 'f', now, live), { state: 'in_progress' }, 'kept');
    assert.deepEqual(await store.claimIdempotencyKey(teamId, 'yesterday', 'g', now, { expiredBefore: 0, abandonedBefore: 0 }), { state: 'new' }, 'purged');
  });

  test('purges expired deduplication keys in batches; live keys keep deduplicating', async () => {
    const acceptKeyed = (at: number, key: string, windowMs: number) => {
      const eventId = newId('event', at);
      return store.acceptRequest(
        {
          id: newId('request', at), teamId, sourceId, method: 'POST', path: '', query: '', headers: {}, body: Buffer.from('{}'),
          bodyIsJson: true, rejectionCause: null, eventIds: [eventId], createdAt: at,
        },
        [{ id: eventId, connectionId, destinationId, status: 'HOLD', dedup: { key, expiresAt: at + windowMs } }],
      );
    };
    for (let i = 0; i < 5; i += 1) await acceptKeyed(now - 2 * DAY + i, `expired-${i}`, DAY);
    await acceptKeyed(now - 1000, 'live', DAY);
    await purgeExpired(store, { retentionDays: 30, intervalMs: 60_000, batch: 2 }, now);
    assert.equal(await store.purgeDedupKeys(now, 100), 0, 'every expired key was purged, over three batches');
    assert.equal((await acceptKeyed(now, 'live', DAY)).ignored[0]?.cause, 'DEDUPLICATED', 'the live key was kept');
  });

  test('purges finished bulk retries that finished before the window; keeps newer and unfinished ones', async () => {
    const job = (createdAt: number, over: { completedAt?: number; cancelledAt?: number } = {}) => ({
      id: newId('bulkRetry', createdAt), teamId, query: { status: ['FAILED'] }, filter: {}, cursor: null, estimatedCount: 0,
      processedCount: 0, retriedCount: 0, skippedCount: 0, cancelledAt: over.cancelledAt ?? null, completedAt: over.completedAt ?? null,
      createdAt, updatedAt: createdAt,
    });
    const old = [job(now - 40 * DAY, { completedAt: now - 39 * DAY }), job(now - 40 * DAY + 1, { cancelledAt: now - 35 * DAY }), job(now - 33 * DAY, { completedAt: now - 31 * DAY })];
    const recent = job(now - 40 * DAY + 2, { completedAt: now - 10 * DAY });
    const unfinished = job(now - 45 * DAY);
    for (const j of [...old, recent, unfinished]) await store.createBulkRetry(j);
    await purgeExpired(store, { retentionDays: 30, intervalMs: 60_000, batch: 2 }, now);
    for (const j of old) assert.equal(await store.getBulkRetry(teamId, j.id), null, 'finished more than 30 days ago: purged');
    assert.ok(await store.getBulkRetry(teamId, recent.id), 'finished 10 days ago: kept, however old its creation');
    assert.ok(await store.getBulkRetry(teamId, unfinished.id), 'unfinished: kept');
  });
});
