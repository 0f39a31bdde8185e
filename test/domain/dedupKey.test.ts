/**
 * Deduplication keys (domain/dedupKey.ts): byte-identical bodies by default, included fields from any part of the
 * request, bodies but for excluded fields with key order ignored, and a body too deep to serialise falling back
 * to its bytes instead of throwing.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RequestView } from '../../src/domain/connectionRules.js';
import { dedupKey } from '../../src/domain/dedupKey.js';

function view(body: unknown, headers: Record<string, string> = {}, query: Record<string, string> = {}, path = ''): { view: RequestView; raw: Buffer } {
  return { view: { headers, body, query, path }, raw: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body) ?? '') };
}

const key = (fields: { include_fields?: string[]; exclude_fields?: string[] }, v: { view: RequestView; raw: Buffer }) => dedupKey(fields, v.view, v.raw);

test('without fields: the body bytes decide', () => {
  assert.equal(key({}, view({ a: 1 })), key({}, view({ a: 1 })));
  assert.notEqual(key({}, view({ a: 1 })), key({}, view({ a: 2 })));
  assert.match(key({}, view('text')), /^[0-9a-f]{64}$/);
});

test('include_fields: only those values, from the body, headers, query or path; absent is distinct from present', () => {
  const fields = { include_fields: ['body.order.id', 'headers.x-shop', 'query.v', 'path'] };
  const a = view({ order: { id: 7 }, at: 1 }, { 'x-shop': 's' }, { v: '1' }, '/p');
  assert.equal(key(fields, a), key(fields, view({ order: { id: 7 }, at: 2 }, { 'x-shop': 's', other: 'x' }, { v: '1' }, '/p')));
  assert.notEqual(key(fields, a), key(fields, view({ order: { id: 8 } }, { 'x-shop': 's' }, { v: '1' }, '/p')));
  assert.notEqual(key(fields, a), key(fields, view({ order: { id: 7 } }, { 'x-shop': 't' }, { v: '1' }, '/p')));
  assert.notEqual(key(fields, a), key(fields, view({ order: { id: 7 } }, { 'x-shop': 's' }, { v: '1' }, '/q')));
  assert.notEqual(key({ include_fields: ['body.id'] }, view({ id: 1 })), key({ include_fields: ['body.id'] }, view({})));
  assert.equal(key({ include_fields: ['body.o'] }, view({ o: { a: 1, b: 2 } })), key({ include_fields: ['body.o'] }, view({ o: { b: 2, a: 1 } })), 'key order is not a difference');
});

test('exclude_fields: the body but for them, key order ignored; a text body falls back to its bytes', () => {
  const fields = { exclude_fields: ['body.sent_at', 'body.meta.trace'] };
  assert.equal(key(fields, view({ id: 1, sent_at: 1, meta: { trace: 'a', v: 1 } })), key(fields, view({ meta: { v: 1, trace: 'b' }, sent_at: 2, id: 1 })));
  assert.notEqual(key(fields, view({ id: 1, sent_at: 1 })), key(fields, view({ id: 2, sent_at: 1 })));
  assert.equal(key(fields, view('same text')), key(fields, view('same text')));
});

test('a body too deep to serialise: the bytes decide, no throw', () => {
  const depth = 200_000;
  const raw = Buffer.from(`${'['.repeat(depth)}1${']'.repeat(depth)}`);
  const body: unknown = JSON.parse(raw.toString());
  const deep = { view: { headers: {}, body: { x: body }, query: {}, path: '' }, raw };
  assert.match(key({ include_fields: ['body.x'] }, deep), /^[0-9a-f]{64}$/);
  assert.match(key({ exclude_fields: ['body.y'] }, deep), /^[0-9a-f]{64}$/);
});
