/**
 * The cache of a source's active connections (src/store/postgres/activeConnectionsCache.ts) with a fake clock and
 * loader: reads are reused within the TTL and only then, a change in this process drops them (even one in
 * flight), a failed read is not kept. Its use by the PostgreSQL store, across processes: postgres.test.ts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Connection } from '../../src/domain/model.js';
import { ActiveConnectionsCache } from '../../src/store/postgres/activeConnectionsCache.js';
import { aConnection } from './fixtures.js';

function harness(ttlMs = 1000) {
  let now = 0;
  const loads: string[] = [];
  let answer: Connection[] = [aConnection('team_1', 'src_1', 'dst_1')];
  let pending: (() => void) | null = null;
  let hold = false;
  let fail = false;
  const cache = new ActiveConnectionsCache(
    async (sourceId) => {
      loads.push(sourceId);
      const snapshot = answer;
      if (hold) await new Promise<void>((resolve) => (pending = resolve));
      if (fail) throw new Error('read failed');
      return snapshot;
    },
    ttlMs,
    () => now,
  );
  return {
    cache,
    loads,
    tick: (ms: number) => (now += ms),
    set: (next: Connection[]) => (answer = next),
    hold: (on: boolean) => (hold = on),
    fail: (on: boolean) => (fail = on),
    release: () => pending?.(),
  };
}

test('reads are reused within the TTL and read again after it', async () => {
  const h = harness(1000);
  await h.cache.get('src_1');
  h.tick(999);
  await h.cache.get('src_1');
  assert.equal(h.loads.length, 1);
  h.tick(1);
  await h.cache.get('src_1');
  assert.equal(h.loads.length, 2);
  await h.cache.get('src_2');
  assert.deepEqual(h.loads, ['src_1', 'src_1', 'src_2']);
});

test('invalidate drops every entry, and a read in flight is not kept', async () => {
  const h = harness();
  await h.cache.get('src_1');
  h.cache.invalidate();
  h.set([]);
  assert.deepEqual(await h.cache.get('src_1'), []);
  assert.equal(h.loads.length, 2);

  h.cache.invalidate();
  h.hold(true);
  const inFlight = h.cache.get('src_1'); // reads the old answer, then a change commits before it returns
  h.set([aConnection('team_1', 'src_1', 'dst_2')]);
  h.cache.invalidate();
  h.hold(false);
  h.release();
  assert.deepEqual(await inFlight, []);
  assert.equal((await h.cache.get('src_1')).length, 1, 'read again, not the in-flight answer');
  assert.equal(h.loads.length, 4);
});

test('a failed read is not kept, and a TTL of 0 reads every time', async () => {
  const h = harness();
  h.fail(true);
  await assert.rejects(h.cache.get('src_1'), /read failed/);
  h.fail(false);
  assert.equal((await h.cache.get('src_1')).length, 1);
  assert.equal(h.loads.length, 2);

  const none = harness(0);
  await none.cache.get('src_1');
  await none.cache.get('src_1');
  assert.equal(none.loads.length, 2);
});

test('callers get their own array', async () => {
  const h = harness();
  const first = await h.cache.get('src_1');
  first.length = 0;
  assert.equal((await h.cache.get('src_1')).length, 1);
});
