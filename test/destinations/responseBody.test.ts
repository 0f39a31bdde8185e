import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Readable } from 'node:stream';
import { DISCARD_LIMIT, bodyForRecord, readCapped } from '../../src/destinations/http/responseBody.js';

describe('readCapped', () => {
  it('keeps the first bytes, counts the rest', async () => {
    const body = await readCapped(Readable.from([Buffer.from('abcdef'), Buffer.from('ghij')]), 4);
    assert.deepEqual([body.kept.toString(), body.total, body.complete], ['abcd', 10, true]);
  });

  it('cuts off a body that goes on far past the cap', async () => {
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    const endless = Readable.from((function* () {
      for (;;) yield chunk;
    })());
    const body = await readCapped(endless, 10);
    assert.equal(body.kept.length, 10);
    assert.equal(body.complete, false);
    assert.ok(body.total > DISCARD_LIMIT && body.total < DISCARD_LIMIT + 2 * chunk.length);
  });
});

describe('bodyForRecord', () => {
  it('shows text as text, without a character cut in half at the cap', () => {
    const euro = Buffer.from('a€', 'utf8'); // 61 e2 82 ac
    assert.equal(bodyForRecord({ kept: euro.subarray(0, 3), total: 4, complete: true }, 'text/plain; charset=utf-8'), 'a');
    assert.equal(bodyForRecord({ kept: euro, total: 4, complete: true }, undefined), 'a€');
    assert.equal(bodyForRecord({ kept: Buffer.from('{"a":1}'), total: 7, complete: true }, 'application/problem+json'), '{"a":1}');
  });

  it('notes binary bodies with their size and type', () => {
    const bytes = Buffer.from([0xff, 0xfe, 0x00, 0x01]);
    assert.equal(bodyForRecord({ kept: bytes, total: 4, complete: true }, undefined), '[binary body: 4 bytes]');
    assert.equal(bodyForRecord({ kept: bytes, total: 9000, complete: false }, 'application/octet-stream'), '[binary body: at least 9000 bytes, application/octet-stream]');
    assert.equal(bodyForRecord({ kept: Buffer.from('looks like text'), total: 15, complete: true }, 'image/png'), '[binary body: 15 bytes, image/png]');
  });
});
