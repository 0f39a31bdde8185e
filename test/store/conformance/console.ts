/**
 * Conformance: what the console adds to the port — the bounded search in bodies (`EventFilter.bodyContains`), the
 * overview's counts (`eventMetrics`) and bulk retries (create, batches that queue again what can be, cancel,
 * retention) —
 * each scoped by team and blind to the outbound face's rows.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { newId } from '../../../src/domain/ids.js';
import type { BulkRetry, Store } from '../../../src/store/port.js';
import { addRoute, anAttempt, ingest, mustGetEvent, newWorld, type OpenStore, pageOf, T0, withStore, type World } from '../fixtures.js';
import { claim } from './dispatch.js';

const MINUTE = 60_000;

/** Ingests `bodies` one ms apart from `at`; returns the event ids, in order. */
async function ingestBodies(store: Store, world: World, at: number, bodies: string[]): Promise<string[]> {
  const ids: string[] = [];
  for (const [i, body] of bodies.entries()) ids.push(...(await ingest(store, world, at + i, { body: Buffer.from(body) })).eventIds);
  return ids;
}

/** Claims every due event of the store and records `status` for each. */
async function attemptAll(store: Store, now: number, status: 'SUCCESSFUL' | 'FAILED', nextAttemptAt: number | null = null): Promise<void> {
  const claimed = await claim(store, now);
  await store.recordAttempts(
    claimed.map((c) => ({ attempt: anAttempt(c.event, now, { status }), leaseToken: c.leaseToken, nextAttemptAt })),
    now,
  );
}

function aBulkRetry(teamId: string, at: number, over: Partial<BulkRetry> = {}): BulkRetry {
  return {
    id: newId('bulkRetry', at),
    teamId,
    query: { status: ['FAILED'] },
    filter: {},
    cursor: null,
    estimatedCount: 0,
    processedCount: 0,
    retriedCount: 0,
    skippedCount: 0,
    cancelledAt: null,
    completedAt: null,
    createdAt: at,
    updatedAt: at,
    ...over,
  };
}

export function consoleTests(open: OpenStore): void {
  describe('search in bodies', () => {
    test('finds the bytes in the stored body, with the other filters, and only in the team', async () => {
      await withStore(open, async (store) => {
        const world = await newWorld(store);
        const other = await newWorld(store);
        const ids = await ingestBodies(store, world, T0, ['{"order":"A-17"}', '{"order":"B-2"}', 'plain A-17 text', '{"Order":"a-17"}']);
        await ingestBodies(store, other, T0, ['{"order":"A-17"}']);
        const search = (text: string, extra = {}) =>
          store.listEvents(world.teamId, { bodyContains: { text, scanLimit: 1000 }, ...extra }, pageOf(10, 'asc'));
        const found = await search('A-17');
        assert.deepEqual(found.models.map((e) => e.id), [ids[0], ids[2]]);
        assert.equal(found.totalCount, 2);
        assert.equal(found.searchedFrom, undefined, 'the window held every event');
        assert.deepEqual((await search('a-17')).models.map((e) => e.id), [ids[3]], 'case-sensitive');
        assert.deepEqual((await search('A-17', { createdAfter: T0 + 1 })).models.map((e) => e.id), [ids[2]]);
        assert.deepEqual((await search('nowhere')).models, []);
        assert.deepEqual((await search('"order":"')).models.map((e) => e.id), [ids[0], ids[1]], 'quotes and punctuation are plain bytes');
        assert.deepEqual((await search('%')).models, [], 'no LIKE wildcards');
      });
    });

    test('searches only the newest scanLimit events of the filter, and says from when', async () => {
      await withStore(open, async (store) => {
        const world = await newWorld(store);
        const ids = await ingestBodies(store, world, T0, ['hit 0', 'miss 1', 'hit 2', 'miss 3', 'hit 4']);
        const page = await store.listEvents(world.teamId, { bodyContains: { text: 'hit', scanLimit: 3 } }, pageOf(10, 'desc'));
        assert.deepEqual(page.models.map((e) => e.id), [ids[4], ids[2]], 'the window is the 3 newest events');
        assert.equal(page.totalCount, 2);
        assert.equal(page.searchedFrom, T0 + 2);
        const next = await store.listEvents(world.teamId, { bodyContains: { text: 'hit', scanLimit: 3 } }, { orderDirection: 'desc', limit: 1, after: ids[4] ?? '' });
        assert.deepEqual(next.models.map((e) => e.id), [ids[2]], 'pages stay inside the window');
        const exact = await store.listEvents(world.teamId, { bodyContains: { text: 'hit', scanLimit: 5 } }, pageOf(10, 'desc'));
        assert.equal(exact.totalCount, 3);
        assert.equal(exact.searchedFrom, undefined, 'a window exactly as large as the filter left nothing out');
      });
    });
  });

  describe('eventMetrics', () => {
    test('counts events per bucket by status, the backlog and the failing destinations, in the team only', async () => {
      await withStore(open, async (store) => {
        const from = Math.floor(T0 / MINUTE) * MINUTE;
        const world = await newWorld(store);
        const second = await addRoute(store, world);
        const other = await newWorld(store);
        // Bucket 0: two requests to both routes (4 events); bucket 2: one request to the world's route only.
        await ingest(store, world, from + 1_000, { connections: [world.connection, second] });
        await ingest(store, world, from + 2_000, { connections: [world.connection, second] });
        await ingest(store, world, from + 2 * MINUTE + 5);
        // Everything due is attempted: the world's route fails for good, the second route succeeds… except that
        // the last event (world's route, bucket 2) gets a retry scheduled instead.
        const claimed = await claim(store, from + 3 * MINUTE);
        const results = claimed.map((c) => {
          const last = c.event.createdAt === from + 2 * MINUTE + 5;
          const ok = c.event.destinationId === second.destinationId;
          const at = from + 3 * MINUTE;
          return { attempt: anAttempt(c.event, at, { status: ok ? 'SUCCESSFUL' : 'FAILED' }), leaseToken: c.leaseToken, nextAttemptAt: last ? at + MINUTE : null };
        });
        await store.recordAttempts(results, from + 3 * MINUTE);
        await ingest(store, world, from + 4 * MINUTE - 1); // still QUEUED, in bucket 3
        await ingest(store, other, from + 1_000); // another team's, QUEUED

        const metrics = await store.eventMetrics(world.teamId, { from, to: from + 4 * MINUTE, bucketMs: MINUTE, failingLimit: 10 });
        assert.deepEqual(metrics.buckets.map((b) => b.start), [from, from + MINUTE, from + 2 * MINUTE, from + 3 * MINUTE]);
        const zero = { SCHEDULED: 0, QUEUED: 0, HOLD: 0, SUCCESSFUL: 0, FAILED: 0, CANCELLED: 0 };
        assert.deepEqual(metrics.buckets.map((b) => b.counts), [
          { ...zero, SUCCESSFUL: 2, FAILED: 2 },
          zero,
          { ...zero, SCHEDULED: 1 },
          { ...zero, QUEUED: 1 },
        ]);
        assert.deepEqual(metrics.backlog, { queued: 1, scheduled: 1, hold: 0, oldestPendingAt: from + 2 * MINUTE + 5 });
        assert.deepEqual(metrics.failingDestinations, [
          { destinationId: world.destination.id, failed: 2, retrying: 1, lastAttemptAt: from + 3 * MINUTE },
        ]);
        const empty = await store.eventMetrics(world.teamId, { from: from - 2 * MINUTE, to: from, bucketMs: MINUTE, failingLimit: 10 });
        assert.deepEqual(empty.buckets.map((b) => b.counts), [zero, zero]);
        assert.deepEqual(empty.failingDestinations, []);
        const others = await store.eventMetrics(other.teamId, { from, to: from + MINUTE, bucketMs: MINUTE, failingLimit: 10 });
        assert.deepEqual(others.buckets[0]?.counts, { ...zero, QUEUED: 1 });
        assert.equal(others.backlog.queued, 1);
      });
    });
  });

  describe('bulk retries', () => {
    test('queue again, batch by batch, the matching events that can be attempted, then complete', async () => {
      await withStore(open, async (store) => {
        const world = await newWorld(store);
        const paused = await addRoute(store, world);
        const ids = await ingestBodies(store, world, T0, ['1', '2', '3', '4', '5']);
        await attemptAll(store, T0 + 10, 'FAILED');
        const onPaused = (await ingest(store, world, T0 + 20, { connections: [paused] })).eventIds;
        await attemptAll(store, T0 + 30, 'FAILED');
        await store.setConnectionPaused(world.teamId, paused.id, T0 + 40, T0 + 40);
        const job = aBulkRetry(world.teamId, T0 + 50, { filter: { status: ['FAILED'], createdBefore: T0 + 51 }, estimatedCount: 6 });
        await store.createBulkRetry(job);
        assert.deepEqual(await store.getBulkRetry(world.teamId, job.id), job);
        assert.deepEqual(await store.listActiveBulkRetryIds(10), [job.id]);

        const first = await store.runBulkRetryBatch(job.id, 4, T0 + 60);
        assert.equal(first?.retried, 4);
        assert.deepEqual(
          { ...first?.job },
          { ...job, cursor: ids[3], processedCount: 4, retriedCount: 4, skippedCount: 0, updatedAt: T0 + 60 },
        );
        const second = await store.runBulkRetryBatch(job.id, 4, T0 + 70);
        assert.equal(second?.retried, 1, 'the paused connection’s event is skipped');
        assert.deepEqual(
          { ...second?.job },
          { ...job, cursor: onPaused[0], processedCount: 6, retriedCount: 5, skippedCount: 1, completedAt: T0 + 70, updatedAt: T0 + 70 },
        );
        assert.deepEqual(await store.listActiveBulkRetryIds(10), []);
        assert.deepEqual((await store.runBulkRetryBatch(job.id, 4, T0 + 80))?.retried, 0, 'a finished job does nothing');

        const queued = await mustGetEvent(store, world.teamId, ids[0] ?? '');
        assert.equal(queued.status, 'QUEUED');
        assert.equal(queued.nextAttemptAt, T0 + 60);
        assert.equal((await mustGetEvent(store, world.teamId, onPaused[0] ?? '')).status, 'FAILED');
        const claimed = await claim(store, T0 + 100);
        assert.deepEqual(claimed.map((c) => c.event.id).sort(), ids.slice().sort());
        assert.ok(claimed.every((c) => c.trigger === 'BULK_RETRY'));
      });
    });

    test('skips events in flight and held ones; a body search bounds the set as the list does', async () => {
      await withStore(open, async (store) => {
        const world = await newWorld(store);
        const ids = await ingestBodies(store, world, T0, ['keep', 'keep', 'other', 'keep']);
        const [leased] = await claim(store, T0 + 10, { limit: 1 }); // ids[0] in flight
        assert.equal(leased?.event.id, ids[0]);
        const job = aBulkRetry(world.teamId, T0 + 20, { filter: { bodyContains: { text: 'keep', scanLimit: 100 }, createdBefore: T0 + 21 } });
        await store.createBulkRetry(job);
        const done = await store.runBulkRetryBatch(job.id, 10, T0 + 30);
        assert.deepEqual(
          [done?.job.processedCount, done?.job.retriedCount, done?.job.skippedCount, done?.job.completedAt],
          [3, 2, 1, T0 + 30],
        );
        assert.equal((await mustGetEvent(store, world.teamId, ids[2] ?? '')).nextAttemptAt, T0 + 2, 'not matched: unchanged');
      });
    });

    test('cancel stops it; jobs are listed, read and cancelled within their team only', async () => {
      await withStore(open, async (store) => {
        const world = await newWorld(store);
        const other = await newWorld(store);
        await ingestBodies(store, world, T0, ['a', 'b', 'c']);
        const jobs = [aBulkRetry(world.teamId, T0 + 1), aBulkRetry(world.teamId, T0 + 2), aBulkRetry(other.teamId, T0 + 3)];
        for (const job of jobs) await store.createBulkRetry(job);
        const [mine, second, theirs] = jobs as [BulkRetry, BulkRetry, BulkRetry];
        assert.deepEqual((await store.listBulkRetries(world.teamId, pageOf(10, 'desc'))).models.map((j) => j.id), [second.id, mine.id]);
        assert.equal(await store.getBulkRetry(world.teamId, theirs.id), null);
        assert.equal(await store.cancelBulkRetry(world.teamId, theirs.id, T0 + 5), null);
        const cancelled = await store.cancelBulkRetry(world.teamId, mine.id, T0 + 5);
        assert.equal(cancelled?.cancelledAt, T0 + 5);
        assert.deepEqual(await store.cancelBulkRetry(world.teamId, mine.id, T0 + 6), cancelled, 'cancelling twice changes nothing');
        const after = await store.runBulkRetryBatch(mine.id, 10, T0 + 7);
        assert.deepEqual([after?.retried, after?.job.processedCount], [0, 0]);
        assert.deepEqual((await store.listActiveBulkRetryIds(10)).sort(), [second.id, theirs.id].sort());
        assert.equal(await store.runBulkRetryBatch('bch_0000000000000000', 10, T0), null);
      });
    });

    test('retention deletes finished jobs that finished before the cutoff, in batches, and never an unfinished one', async () => {
      await withStore(open, async (store) => {
        const world = await newWorld(store);
        const other = await newWorld(store);
        const completedLongAgo = aBulkRetry(world.teamId, T0 + 1, { completedAt: T0 + 10 });
        const cancelledLongAgo = aBulkRetry(other.teamId, T0 + 2, { cancelledAt: T0 + 20 });
        const completedLately = aBulkRetry(world.teamId, T0 + 3, { completedAt: T0 + 1000 });
        const stillRunning = aBulkRetry(world.teamId, T0 + 4);
        for (const job of [completedLongAgo, cancelledLongAgo, completedLately, stillRunning]) await store.createBulkRetry(job);
        assert.equal(await store.purgeBulkRetries(T0 + 500, 1), 1, 'one per batch');
        assert.equal(await store.purgeBulkRetries(T0 + 500, 10), 1);
        assert.equal(await store.purgeBulkRetries(T0 + 500, 10), 0);
        assert.equal(await store.getBulkRetry(world.teamId, completedLongAgo.id), null);
        assert.equal(await store.getBulkRetry(other.teamId, cancelledLongAgo.id), null);
        assert.notEqual(await store.getBulkRetry(world.teamId, completedLately.id), null, 'finished after the cutoff');
        assert.equal(await store.purgeBulkRetries(T0 + 1_000_000, 10), 1);
        assert.deepEqual(await store.listActiveBulkRetryIds(10), [stillRunning.id], 'an unfinished job is kept, however old');
      });
    });
  });
}
