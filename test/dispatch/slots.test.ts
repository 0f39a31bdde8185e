/**
 * The dispatcher's slot accounting and its refill rule (src/dispatch/slots.ts): a busy destination is refilled
 * once half its slots are free, an idle one at once, and the process-wide cap, when it is what binds, the same way.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { destinationCap, refillAt, Slots } from '../../src/dispatch/slots.js';
import { aCappedDestination, aDestination } from '../store/fixtures.js';

const TEAM = 'team_slots';

describe('Slots', () => {
  it('knows a destination\'s cap: its own concurrent rate_limit, else the default', () => {
    assert.equal(destinationCap(aCappedDestination(TEAM, 7), 20), 7);
    assert.equal(destinationCap(aDestination(TEAM), 20), 20);
    assert.equal(refillAt(20), 10);
    assert.equal(refillAt(3), 2);
    assert.equal(refillAt(1), 1, 'a cap of 1 is refilled as soon as its slot is free');
  });

  it('asks for a claim once half of a busy destination\'s slots are free, and when it has nothing left in flight', () => {
    const slots = new Slots(256, 20);
    const d = aCappedDestination(TEAM, 8);
    for (let i = 0; i < 8; i++) slots.take(d);
    assert.equal(slots.total, 8);
    assert.deepEqual([...slots.perDestination()], [[d.id, 8]]);
    const asks = Array.from({ length: 8 }, () => slots.give(d.id));
    // 7, 6, 5 in flight: not yet; 4 in flight = 4 free = half: yes, and from then on; 0 in flight: yes.
    assert.deepEqual(asks, [false, false, false, true, true, true, true, true]);
    assert.equal(slots.total, 0);
    assert.equal(slots.perDestination().size, 0);
  });

  it('takes new work for a destination busy above its threshold as not worth a claim, for an idle one as worth it', () => {
    const slots = new Slots(256, 20);
    const busy = aCappedDestination(TEAM, 4);
    const idle = aCappedDestination(TEAM, 4);
    for (let i = 0; i < 4; i++) slots.take(busy);
    assert.equal(slots.worthClaiming([busy.id]), false);
    assert.equal(slots.worthClaiming([busy.id, idle.id]), true);
    slots.give(busy.id);
    slots.give(busy.id);
    assert.equal(slots.worthClaiming([busy.id]), true, 'two of four slots free');
  });

  it('when the process-wide cap binds, refills at half of it whatever the destinations', () => {
    const slots = new Slots(4, 20);
    const d = aDestination(TEAM);
    for (let i = 0; i < 4; i++) slots.take(d);
    slots.claimed(0, 0); // a cycle found no free slot
    assert.equal(slots.free, 0);
    assert.equal(slots.worthClaiming([aDestination(TEAM).id]), false, 'no slot to claim into');
    assert.equal(slots.give(d.id), false, '1 of 4 free');
    assert.equal(slots.give(d.id), true, '2 of 4 free');
    slots.claimed(2, 1); // a cycle that got less than it asked for: the process-wide cap no longer binds
    assert.equal(slots.worthClaiming([aDestination(TEAM).id]), true);
  });
});
