/** The route cache: one read per team until invalidated or expired; concurrent first uses share it; failures are not kept. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RouteCache } from '../../src/publish/routeCache.js';
import type { OutboundRoute } from '../../src/store/port.js';

function fakeStore(routes: OutboundRoute[]) {
  const reads: string[] = [];
  let fail = false;
  return {
    reads,
    failNext: () => (fail = true),
    store: {
      listOutboundRoutes: async (teamId: string) => {
        reads.push(teamId);
        if (fail) {
          fail = false;
          throw new Error('database unavailable');
        }
        return routes;
      },
    },
  };
}

test('reads a team once, compiles its subscriptions, and reads again after invalidate or the TTL', async () => {
  let now = 1000;
  const fake = fakeStore([{ destinationId: 'evtd_a', connectionId: 'web_a', subscription: ['task_run.*'] }]);
  const cache = new RouteCache(fake.store, 100, () => now);
  const [first, second] = await Promise.all([cache.routes('tm_1'), cache.routes('tm_1')]);
  assert.equal(first, second);
  assert.deepEqual(fake.reads, ['tm_1'], 'concurrent first uses share one read');
  assert.ok(first[0]?.subscription.matches('task_run.completed'));
  assert.ok(!first[0]?.subscription.matches('credential.verified'));
  await cache.routes('tm_2');
  assert.deepEqual(fake.reads, ['tm_1', 'tm_2'], 'per team');
  cache.invalidate('tm_1');
  await cache.routes('tm_1');
  assert.equal(fake.reads.length, 3);
  now += 101;
  await cache.routes('tm_1');
  assert.equal(fake.reads.length, 4, 'expired');
});

test('a failed read is not remembered', async () => {
  const fake = fakeStore([]);
  const cache = new RouteCache(fake.store);
  fake.failNext();
  await assert.rejects(cache.routes('tm_1'), /unavailable/);
  assert.deepEqual(await cache.routes('tm_1'), []);
  assert.equal(fake.reads.length, 2);
});
