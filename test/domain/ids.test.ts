/** Ids: prefixed, fixed length, and sorting as strings in creation order (cursors rely on it). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { idFloorAt, isIdOf, newId } from '../../src/domain/ids.js';

test('ids carry their kind prefix and 16 base-36 characters', () => {
  const id = newId('event');
  assert.match(id, /^evt_[0-9a-z]{16}$/);
  assert.ok(isIdOf('event', id));
  assert.ok(!isIdOf('request', id));
  assert.ok(!isIdOf('event', 'evt_short'));
  assert.ok(!isIdOf('event', `${id}'; DROP TABLE events;--`));
});

test('ids sort in creation order as plain strings', () => {
  const times = [0, 1, 999, 1_000, 1_700_000_000_000, 1_700_000_000_001, 4_000_000_000_000];
  const ids = times.map((t) => newId('event', t));
  assert.deepEqual([...ids].sort(), ids);
});

test('idFloorAt is below every id created at or after that time and above earlier ones', () => {
  const t = 1_700_000_000_000;
  const floor = idFloorAt('event', t);
  for (let i = 0; i < 100; i++) {
    assert.ok(newId('event', t) >= floor);
    assert.ok(newId('event', t - 1) < floor);
  }
});

test('random characters are spread evenly over the alphabet (no modulo bias)', () => {
  const counts = new Map<string, number>();
  const samples = 20_000;
  for (let i = 0; i < samples; i++) {
    for (const char of newId('event').slice(-7)) counts.set(char, (counts.get(char) ?? 0) + 1);
  }
  assert.equal(counts.size, 36);
  const expected = (samples * 7) / 36;
  for (const [char, count] of counts) assert.ok(Math.abs(count - expected) / expected < 0.08, `${char}: ${count} vs ${expected}`);
});
