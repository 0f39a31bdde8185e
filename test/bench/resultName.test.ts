/**
 * Benchmark result files are named by their start time to the second: two runs started in the same minute get
 * different names, and names still sort by time (among the older ones named to the minute too).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { stamp } from '../../bench/resultName.js';

test('result names carry the start time to the second, so runs in the same minute differ and names sort by time', () => {
  const at = new Date(2026, 10, 23, 23, 6, 5);
  assert.equal(stamp(at), '2026-11-23T230605');
  assert.notEqual(stamp(new Date(2026, 10, 23, 23, 6, 6)), stamp(at));
  const names = [stamp(new Date(2026, 10, 23, 23, 7, 0)), '2026-11-23T2306', stamp(at), stamp(new Date(2026, 10, 23, 9, 59, 59))];
  assert.deepEqual([...names].sort(), ['2026-11-23T095959', '2026-11-23T2306', '2026-11-23T230605', '2026-11-23T230700']);
});
