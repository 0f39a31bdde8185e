/**
 * The connection filter syntax (domain/filterMatch.ts): every operator, structural partial matching, arrays,
 * nesting, the logical operators, type mismatches, the validator's messages and its bounds, and the step budget.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SluiceError } from '../../src/domain/errors.js';
import { matchFilter, MAX_FILTER_DEPTH, MAX_FILTER_NODES, validateFilter, type Filter } from '../../src/domain/filterMatch.js';

function matches(filter: unknown, value: unknown): boolean {
  const result = matchFilter(validateFilter(filter, 'f'), value);
  assert.equal(result.exhausted, false);
  return result.matched;
}

function rejects(filter: unknown, field: string, message: RegExp): void {
  assert.throws(
    () => validateFilter(filter, 'rules[0].body'),
    (error: unknown) => {
      assert.ok(error instanceof SluiceError);
      assert.equal(error.code, 'INVALID_FILTER');
      assert.equal(error.status, 400);
      assert.deepEqual((error.data as { field: string }[])[0]?.field, field);
      assert.match(error.message, message);
      assert.ok(error.message.startsWith(field), error.message);
      return true;
    },
  );
}

const order = { type: 'order.created', data: { amount: 1500, currency: 'EUR', tags: ['vip', 'eu'], items: [{ sku: 'a', qty: 2 }, { sku: 'b', qty: 1 }] }, note: null };

test('structural match is partial: the fields named must match, the others do not matter', () => {
  assert.equal(matches({ type: 'order.created' }, order), true);
  assert.equal(matches({ type: 'order.updated' }, order), false);
  assert.equal(matches({ data: { currency: 'EUR' } }, order), true);
  assert.equal(matches({ data: { currency: 'EUR', amount: 1 } }, order), false);
  assert.equal(matches({ missing: 'x' }, order), false);
  assert.equal(matches({ note: null }, order), true);
  assert.equal(matches({ note: { a: 1 } }, order), false);
  assert.equal(matches({}, order), true);
  assert.equal(matches({ data: { amount: '1500' } }, order), false, 'types are not coerced');
  assert.equal(matches({ type: 'x' }, 'type'), false, 'an object filter does not match a string');
  assert.equal(matches('ping', 'ping'), true, 'a raw text body matches a string filter');
});

test('arrays: a field matches when it contains the value; an array filter needs each of its items; objects in arrays', () => {
  assert.equal(matches({ data: { tags: 'vip' } }, order), true);
  assert.equal(matches({ data: { tags: 'us' } }, order), false);
  assert.equal(matches({ data: { tags: ['eu', 'vip'] } }, order), true, 'order free');
  assert.equal(matches({ data: { tags: ['eu', 'us'] } }, order), false);
  assert.equal(matches({ data: { items: { sku: 'b' } } }, order), true);
  assert.equal(matches({ data: { items: { sku: 'b', qty: 2 } } }, order), false, 'one element must match all the fields');
  assert.equal(matches({ data: { items: [{ sku: 'a' }, { qty: 1 }] } }, order), true);
  assert.equal(matches({ data: { currency: ['EUR'] } }, order), false, 'an array filter needs an array');
  assert.equal(matches({ data: { items: { qty: { $gt: 1 } } } }, order), true);
  assert.equal(matches({ data: { items: { qty: { $gt: 2 } } } }, order), false);
});

test('$eq and $neq: deep equality', () => {
  assert.equal(matches({ data: { amount: { $eq: 1500 } } }, order), true);
  assert.equal(matches({ data: { items: { $eq: [{ sku: 'a', qty: 2 }, { sku: 'b', qty: 1 }] } } }, order), true);
  assert.equal(matches({ data: { items: { $eq: [{ sku: 'a', qty: 2 }] } } }, order), false);
  assert.equal(matches({ data: { items: { $eq: { sku: 'a', qty: 2 } } } }, order), true, 'an element equal to it');
  assert.equal(matches({ data: { items: { $eq: { sku: 'a' } } } }, order), false, '$eq is exact, not partial');
  assert.equal(matches({ type: { $neq: 'order.updated' } }, order), true);
  assert.equal(matches({ type: { $neq: 'order.created' } }, order), false);
  assert.equal(matches({ data: { tags: { $neq: 'vip' } } }, order), false, 'an array containing the value is not "not equal"');
  assert.equal(matches({ absent: { $neq: 1 } }, order), true);
});

test('$gt $gte $lt $lte: numbers with numbers, strings with strings, nothing else', () => {
  assert.equal(matches({ data: { amount: { $gte: 1000 } } }, order), true);
  assert.equal(matches({ data: { amount: { $gte: 1500 } } }, order), true);
  assert.equal(matches({ data: { amount: { $gt: 1500 } } }, order), false);
  assert.equal(matches({ data: { amount: { $lt: 1500 } } }, order), false);
  assert.equal(matches({ data: { amount: { $lte: 1500 } } }, order), true);
  assert.equal(matches({ data: { amount: { $gt: 1000, $lt: 2000 } } }, order), true, 'operators on one value all hold');
  assert.equal(matches({ data: { amount: { $gt: 1000, $lt: 1200 } } }, order), false);
  assert.equal(matches({ data: { amount: { $gt: '1000' } } }, order), false, 'a number is not compared with a string');
  assert.equal(matches({ at: { $gte: '2024-01-01' } }, { at: '2024-06-01T00:00:00Z' }), true);
  assert.equal(matches({ at: { $lt: '2024-01-01' } }, { at: '2024-06-01T00:00:00Z' }), false);
  assert.equal(matches({ note: { $gt: 0 } }, order), false);
  assert.equal(matches({ absent: { $lt: 0 } }, order), false);
});

test('$in and $nin: one of a list, or a substring', () => {
  assert.equal(matches({ type: { $in: ['order.created', 'order.paid'] } }, order), true);
  assert.equal(matches({ type: { $in: ['order.paid'] } }, order), false);
  assert.equal(matches({ type: { $in: 'created' } }, order), true);
  assert.equal(matches({ type: { $in: 'deleted' } }, order), false);
  assert.equal(matches({ data: { tags: { $in: ['us', 'eu'] } } }, order), true, 'an array field with one of them');
  assert.equal(matches({ type: { $nin: ['order.paid'] } }, order), true);
  assert.equal(matches({ type: { $nin: 'order' } }, order), false);
  assert.equal(matches({ data: { tags: { $nin: ['vip'] } } }, order), false);
  assert.equal(matches({ data: { amount: { $in: ' 15' } } }, order), false, 'a substring only of strings');
});

test('$startsWith, $endsWith, $exist', () => {
  assert.equal(matches({ type: { $startsWith: 'order.' } }, order), true);
  assert.equal(matches({ type: { $startsWith: 'invoice.' } }, order), false);
  assert.equal(matches({ type: { $endsWith: '.created' } }, order), true);
  assert.equal(matches({ type: { $endsWith: '.paid' } }, order), false);
  assert.equal(matches({ data: { tags: { $startsWith: 'v' } } }, order), true);
  assert.equal(matches({ data: { amount: { $startsWith: '1' } } }, order), false);
  assert.equal(matches({ note: { $exist: true } }, order), true, 'null is present');
  assert.equal(matches({ absent: { $exist: true } }, order), false);
  assert.equal(matches({ absent: { $exist: false } }, order), true);
  assert.equal(matches({ type: { $exist: false } }, order), false);
  assert.equal(matches({ toString: { $exist: true } }, order), false, 'inherited properties are not fields');
});

test('$and, $or, $not, nested and mixed with fields', () => {
  assert.equal(matches({ $or: [{ type: 'order.paid' }, { data: { currency: 'EUR' } }] }, order), true);
  assert.equal(matches({ $or: [{ type: 'order.paid' }, { data: { currency: 'USD' } }] }, order), false);
  assert.equal(matches({ $and: [{ type: 'order.created' }, { data: { amount: { $gt: 100 } } }] }, order), true);
  assert.equal(matches({ $and: [{ type: 'order.created' }, { data: { amount: { $gt: 10_000 } } }] }, order), false);
  assert.equal(matches({ $not: { type: 'order.created' } }, order), false);
  assert.equal(matches({ type: { $not: { $startsWith: 'invoice.' } } }, order), true);
  assert.equal(matches({ data: { amount: { $not: { $in: [1, 2] } } } }, order), true);
  assert.equal(matches({ $not: { $not: { note: null } } }, order), true);
  assert.equal(matches({ type: 'order.created', $or: [{ data: { tags: 'vip' } }, { note: 1 }] }, order), true, 'fields and operators together');
  assert.equal(matches({ type: 'order.paid', $or: [{ data: { tags: 'vip' } }] }, order), false);
  assert.equal(matches({ data: { $or: [{ amount: { $lt: 0 } }, { currency: { $in: ['EUR', 'GBP'] } }] } }, order), true);
});

test('the validator names the bad place and says what to send', () => {
  rejects({ data: { amount: { $gte: true } } }, 'rules[0].body.data.amount.$gte', /number or a string/);
  rejects({ amount: { $gte: {} } }, 'rules[0].body.amount.$gte', /number or a string/);
  rejects({ amount: { $regex: 'x' } }, 'rules[0].body.amount.$regex', /not a filter operator; use one of \$eq/);
  rejects({ $or: [] }, 'rules[0].body.$or', /non-empty array/);
  rejects({ $and: { a: 1 } }, 'rules[0].body.$and', /non-empty array/);
  rejects({ a: { $exist: 'yes' } }, 'rules[0].body.a.$exist', /true or false/);
  rejects({ a: { $in: 3 } }, 'rules[0].body.a.$in', /array of values, or a string/);
  rejects({ a: { $startsWith: 3 } }, 'rules[0].body.a.$startsWith', /must be a string/);
  rejects({ list: [1, { $or: [{ b: { $lt: [] } }] }] }, 'rules[0].body.list[1].$or[0].b.$lt', /number or a string/);
  rejects({ 'a b': { $nope: 1 } }, 'rules[0].body["a b"].$nope', /not a filter operator/);
  rejects({ a: 'x'.repeat(5000) }, 'rules[0].body.a', /longer than 4096/);
});

test('bounds: a filter deeper or larger than the limits is refused at once, however deep it goes', () => {
  let deep: unknown = 1;
  for (let i = 0; i < 100_000; i++) deep = { a: deep };
  assert.throws(() => validateFilter(deep, 'f'), (error: unknown) => error instanceof SluiceError && /deeper than 16/.test(error.message));
  let ok: unknown = 1;
  for (let i = 0; i < MAX_FILTER_DEPTH; i++) ok = { a: ok };
  assert.doesNotThrow(() => validateFilter(ok, 'f'));
  const wide = Object.fromEntries(Array.from({ length: MAX_FILTER_NODES + 1 }, (_, i) => [`k${i}`, i]));
  assert.throws(() => validateFilter(wide, 'f'), (error: unknown) => error instanceof SluiceError && /larger than 1000 values/.test(error.message));
  assert.throws(() => validateFilter({ a: Number.NaN }, 'f'), (error: unknown) => error instanceof SluiceError && /finite/.test(error.message));
  assert.throws(() => validateFilter({ a: () => 1 }, 'f'), (error: unknown) => error instanceof SluiceError && error.code === 'INVALID_FILTER');
});

test('the step budget: a huge request stops the match early and counts as not matching', () => {
  const big = { items: Array.from({ length: 20_000 }, (_, i) => ({ sku: `s${i}`, tags: ['a', 'b'] })) };
  const filter = validateFilter({ items: { sku: 's19999' } }, 'f');
  assert.deepEqual(matchFilter(filter, big), { matched: true, exhausted: false }, 'within the default budget');
  assert.deepEqual(matchFilter(filter, big, 1000), { matched: false, exhausted: true });
  const hostile: Filter = validateFilter({ $or: Array.from({ length: 100 }, () => ({ items: { tags: { $in: ['c', 'd', 'e'] } } })) }, 'f');
  const result = matchFilter(hostile, big);
  assert.equal(result.exhausted, true, '100 × 20,000 × 2 × 3 comparisons are cut short');
  assert.equal(result.matched, false);
});
