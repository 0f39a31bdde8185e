/**
 * The PostgreSQL store's time-partition plan, as pure calculations: week boundaries, the partitions wanted ahead,
 * which are missing next to the ones that exist (the open-ended first one of migration 006 included), and which
 * lie wholly before a retention cutoff.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { newId } from '../../src/domain/ids.js';
import {
  expiredPartitions,
  idBounds,
  missingPartitions,
  partitionName,
  wantedPartitions,
  WEEK_MS,
  weekStart,
} from '../../src/store/postgres/partitionPlan.js';

const MONDAY = Date.UTC(2026, 10, 23); // 2026-11-23 is a Monday

describe('time partition plan', () => {
  test('weeks start on Monday 00:00 UTC', () => {
    assert.equal(weekStart(MONDAY), MONDAY);
    assert.equal(weekStart(MONDAY + 3 * 86_400_000 + 5), MONDAY);
    assert.equal(weekStart(MONDAY - 1), MONDAY - WEEK_MS);
  });

  test('the wanted partitions are the current week and the weeks ahead, per table and prefix, named by their first day', () => {
    const wanted = wantedPartitions(MONDAY + 1000, 1);
    assert.equal(wanted.length, 3 * 2 * 2);
    const names = wanted.map(partitionName);
    assert.ok(names.includes('events_evt_20261123'));
    assert.ok(names.includes('events_dlv_20261130'));
    assert.ok(names.includes('attempts_dla_20261123'));
    assert.ok(names.includes('requests_req_20261130'));
  });

  test("an id falls inside its week's bounds and outside the neighbours' (byte order)", () => {
    const [range] = wantedPartitions(MONDAY, 0).filter((r) => r.table === 'events' && r.prefix === 'evt');
    assert.ok(range !== undefined);
    const { lower, upper } = idBounds(range);
    for (const at of [MONDAY, MONDAY + WEEK_MS - 1, MONDAY + 12345]) {
      const id = newId('event', at);
      assert.ok(lower <= id && id < upper, `${id} in [${lower}, ${upper})`);
    }
    assert.ok(newId('event', MONDAY - 1) < lower);
    assert.ok(newId('event', MONDAY + WEEK_MS) >= upper);
    assert.ok(newId('delivery', MONDAY + 5) < lower, 'another prefix is another range');
  });

  test('partitions overlapping an existing one (the open-ended first partition) are not wanted again', () => {
    const wanted = wantedPartitions(MONDAY, 2).filter((r) => r.table === 'events' && r.prefix === 'evt');
    const first = idBounds({ table: 'events', prefix: 'evt', fromMs: null, toMs: MONDAY + WEEK_MS });
    const existing = [
      { name: 'events_evt_until_20261130', table: 'events' as const, bound: `FOR VALUES FROM ('${first.lower}') TO ('${first.upper}')` },
      { name: 'events_default', table: 'events' as const, bound: 'DEFAULT' },
    ];
    assert.deepEqual(missingPartitions(wanted, existing).map(partitionName), ['events_evt_20261130', 'events_evt_20261207']);
  });

  test('expired partitions are those whose upper bound is at or before the cutoff; DEFAULT never', () => {
    const ranges = wantedPartitions(MONDAY, 2).filter((r) => r.table === 'attempts' && r.prefix === 'att');
    const existing = [
      ...ranges.map((r) => {
        const { lower, upper } = idBounds(r);
        return { name: partitionName(r), table: 'attempts' as const, bound: `FOR VALUES FROM ('${lower}') TO ('${upper}')` };
      }),
      { name: 'attempts_default', table: 'attempts' as const, bound: 'DEFAULT' },
    ];
    assert.deepEqual(expiredPartitions(existing, MONDAY + WEEK_MS - 1).map((p) => p.name), []);
    assert.deepEqual(expiredPartitions(existing, MONDAY + WEEK_MS).map((p) => p.name), ['attempts_att_20261123']);
    const [late] = expiredPartitions(existing, MONDAY + 3 * WEEK_MS);
    assert.equal(late?.toMs, MONDAY + WEEK_MS);
    assert.equal(expiredPartitions(existing, MONDAY + 10 * WEEK_MS).length, 3);
  });
});
