/**
 * Conformance: seed 003 cursor pagination, for every list. Each list is checked against a reference model over
 * every direction, several limits and every cursor (after, before, both, and ids that are not in the list):
 * models, `next`, `prev` and `totalCount` must match exactly.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { newId } from '../../../src/domain/ids.js';
import type { Page, PageQuery } from '../../../src/store/port.js';
import {
  aConnection,
  aDestination,
  anAttempt,
  aSource,
  ingest,
  mustGetEvent,
  newTeam,
  newWorld,
  type OpenStore,
  pageOf,
  T0,
  withStore,
} from '../fixtures.js';

/** What a page must be, computed from the full list of matching ids. */
export function expectedPage(allIds: string[], query: PageQuery): Page<string> {
  const desc = query.orderDirection === 'desc';
  const list = [...allIds].sort();
  if (desc) list.reverse();
  const later = (a: string, b: string): boolean => (desc ? a < b : a > b);
  const window = list.filter(
    (id) => (query.after === undefined || later(id, query.after)) && (query.before === undefined || later(query.before, id)),
  );
  const fromEnd = query.before !== undefined && query.after === undefined;
  const models = fromEnd ? window.slice(Math.max(0, window.length - query.limit)) : window.slice(0, query.limit);
  const first = models[0];
  const last = models[models.length - 1];
  return {
    models,
    totalCount: allIds.length,
    next: last !== undefined && list.some((id) => later(id, last)) ? last : null,
    prev: first !== undefined && list.some((id) => later(first, id)) ? first : null,
  };
}

/** Checks `list` against the reference for every direction, limit and cursor. */
export async function checkPagination(list: (query: PageQuery) => Promise<Page<{ id: string }>>, ids: string[], strangerId: string): Promise<void> {
  const sorted = [...ids].sort();
  const cursors: { after?: string; before?: string }[] = [{}];
  // Cursors need not be in the list: an id between two of them, one before all and one after all.
  const prefix = (sorted[0] ?? strangerId).split('_')[0] ?? '';
  for (const id of [...sorted, strangerId, `${prefix}_${'0'.repeat(16)}`, `${prefix}_${'z'.repeat(16)}`]) cursors.push({ after: id }, { before: id });
  if (sorted.length >= 4) {
    cursors.push({ after: sorted[0], before: sorted[3] }, { after: sorted[3], before: sorted[0] }, { after: sorted[1], before: sorted[2] });
  }
  for (const orderDirection of ['asc', 'desc'] as const) {
    for (const limit of [1, 2, 3, ids.length, ids.length + 5]) {
      for (const cursor of cursors) {
        const query: PageQuery = { orderDirection, limit, ...cursor };
        const page = await list(query);
        const got = { ...page, models: page.models.map((m) => m.id) };
        assert.deepEqual(got, expectedPage(ids, query), `page for ${JSON.stringify(query)}`);
      }
    }
  }
}

export function paginationTests(open: OpenStore): void {
  describe('pagination', () => {
    test('the reference model reads the seed the way the store must', () => {
      const ids = ['a1', 'a2', 'a3', 'a4', 'a5'];
      assert.deepEqual(expectedPage(ids, { orderDirection: 'desc', limit: 2 }), { models: ['a5', 'a4'], totalCount: 5, next: 'a4', prev: null });
      assert.deepEqual(expectedPage(ids, { orderDirection: 'desc', limit: 2, after: 'a4' }), { models: ['a3', 'a2'], totalCount: 5, next: 'a2', prev: 'a3' });
      assert.deepEqual(expectedPage(ids, { orderDirection: 'desc', limit: 2, before: 'a2' }), { models: ['a4', 'a3'], totalCount: 5, next: 'a3', prev: 'a4' });
      assert.deepEqual(expectedPage(ids, { orderDirection: 'asc', limit: 3, after: 'a3' }), { models: ['a4', 'a5'], totalCount: 5, next: null, prev: 'a4' });
      assert.deepEqual(expectedPage(ids, { orderDirection: 'asc', limit: 3, after: 'a5' }), { models: [], totalCount: 5, next: null, prev: null });
    });

    test('sources, destinations and connections page by id in both directions, within the team and the filter', async () => {
      await withStore(open, async (store) => {
        const teamId = await newTeam(store);
        const other = await newTeam(store);
        const sources = [];
        const destinations = [];
        for (let i = 0; i < 6; i++) {
          const source = aSource(teamId, {}, T0 + i * 10);
          const destination = aDestination(teamId, {}, T0 + i * 10);
          await store.createSource(source);
          await store.createDestination(destination);
          sources.push(source);
          destinations.push(destination);
          await store.createSource(aSource(other, {}, T0 + i * 10 + 1));
        }
        const first = sources[0];
        assert.ok(first !== undefined);
        const connections = [];
        for (const [i, destination] of destinations.entries()) {
          const connection = aConnection(teamId, i % 2 === 0 ? first.id : (sources[1]?.id ?? first.id), destination.id, {}, T0 + i * 10 + 2);
          await store.createConnection(connection);
          connections.push(connection);
        }
        const stranger = newId('source', T0 + 25);
        await checkPagination((q) => store.listSources(teamId, q, {}), sources.map((s) => s.id), stranger);
        await checkPagination((q) => store.listDestinations(teamId, q, {}), destinations.map((d) => d.id), newId('destination', T0 + 25));
        await checkPagination((q) => store.listConnections(teamId, q, {}), connections.map((c) => c.id), newId('connection', T0 + 25));
        const onFirst = connections.filter((c) => c.sourceId === first.id).map((c) => c.id);
        await checkPagination((q) => store.listConnections(teamId, q, { sourceId: first.id }), onFirst, newId('connection', T0 + 25));

        const named = sources[2];
        assert.ok(named !== undefined);
        const byName = await store.listSources(teamId, pageOf(), { name: named.name });
        assert.deepEqual(byName, { models: [named], totalCount: 1, next: null, prev: null });
        const d3 = destinations[3];
        assert.ok(d3 !== undefined);
        assert.deepEqual((await store.listDestinations(teamId, pageOf(), { name: d3.name })).models, [d3]);
        assert.deepEqual((await store.listConnections(teamId, pageOf(), { destinationId: d3.id })).models.map((c) => c.id), [connections[3]?.id]);
        assert.deepEqual(await store.listSources(other, pageOf(), { name: named.name }), { models: [], totalCount: 0, next: null, prev: null });
      });
    });

    test('sources and destinations by a text their name contains, case-insensitively, within the team', async () => {
      await withStore(open, async (store) => {
        const teamId = await newTeam(store);
        const other = await newTeam(store);
        for (const [i, name] of ['Shop-EU', 'shop_us', 'billing', 'workshop', 'a_b', 'a%b'].entries()) {
          await store.createSource(aSource(teamId, { name }, T0 + i));
          await store.createDestination(aDestination(teamId, { name: `to-${name}` }, T0 + i));
        }
        await store.createSource(aSource(other, { name: 'shop-other' }, T0 + 10));
        const names = async (nameContains: string) => (await store.listSources(teamId, pageOf(), { nameContains })).models.map((s) => s.name).sort();
        assert.deepEqual(await names('SHOP'), ['Shop-EU', 'shop_us', 'workshop']);
        assert.deepEqual(await names('shop_'), ['shop_us'], '"_" is a character, not a wildcard');
        assert.deepEqual(await names('a%'), ['a%b'], '"%" is a character, not a wildcard');
        assert.deepEqual(await names('zzz'), []);
        const page = await store.listSources(teamId, pageOf(2), { nameContains: 'shop' });
        assert.equal(page.totalCount, 3, 'counted for the whole filter');
        assert.equal(page.models.length, 2);
        assert.deepEqual((await store.listSources(teamId, pageOf(), { nameContains: 'shop', name: 'workshop' })).models.map((s) => s.name), ['workshop']);
        const destinations = (await store.listDestinations(teamId, pageOf(), { nameContains: 'To-Shop' })).models.map((d) => d.name).sort();
        assert.deepEqual(destinations, ['to-Shop-EU', 'to-shop_us']);
      });
    });

    test('requests, events and attempts page by id in both directions, within the team and the filter', async () => {
      await withStore(open, async (store) => {
        const world = await newWorld(store);
        const stranger = await newWorld(store);
        const requests: string[] = [];
        const events: string[] = [];
        const attempts: string[] = [];
        for (let i = 0; i < 6; i++) {
          const at = T0 + i * 100;
          const { request, eventIds } = await ingest(store, world, at);
          await ingest(store, stranger, at + 1);
          requests.push(request.id);
          events.push(...eventIds);
          const eventId = eventIds[0];
          assert.ok(eventId !== undefined);
          const event = await mustGetEvent(store, world.teamId, eventId);
          const attempt = anAttempt(event, at + 5, { status: 'FAILED' });
          await store.recordAttempts([{ attempt, leaseToken: null, nextAttemptAt: null }], at + 5);
          attempts.push(attempt.id);
        }
        await checkPagination((q) => store.listRequests(world.teamId, {}, q), requests, newId('request', T0 + 250));
        await checkPagination((q) => store.listEvents(world.teamId, {}, q), events, newId('event', T0 + 250));
        await checkPagination((q) => store.listAttempts(world.teamId, {}, q), attempts, newId('attempt', T0 + 250));
        const late = events.slice(3);
        await checkPagination((q) => store.listEvents(world.teamId, { createdAfter: T0 + 300 }, q), late, newId('event', T0 + 450));
      });
    });
  });
}
