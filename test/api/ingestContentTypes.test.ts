/**
 * Every content type is stored byte for byte: binary (all 256 byte values), invalid UTF-8, form-urlencoded, XML,
 * multipart, gzip with Content-Encoding (not decompressed), JSON with its exact whitespace. Each is read back
 * through the API (text, or base64 for bytes that are not UTF-8) and from the store, and compared byte for byte.
 */
/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-argument --
   The API's JSON answers are `any` (harness.ts) and read field by field: the assertions are the type checks. */
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import { rawRequest, startGateway, type Gateway, type Team } from './harness.js';

describe('ingest keeps every content type byte for byte', () => {
  let gw: Gateway;
  let team: Team;
  let url: string;
  before(async () => {
    gw = await startGateway();
    team = await gw.team('bytes');
    const destination = await team.call('POST', '/destinations', { body: { name: 'd', config: { url: 'https://receiver.example/in' } } });
    const source = await team.call('POST', '/sources', { body: { name: 'bytes' } });
    await team.call('POST', '/connections', { body: { name: 'c', source_id: source.json.id, destination_id: destination.json.id } });
    url = `${gw.base}/e/${source.json.id}`;
  });
  after(async () => {
    await gw.close();
  });

  /** Sends `body` with exact headers and returns the stored body as the API shows it and as the store holds it. */
  async function roundTrip(body: Buffer, headers: Record<string, string>) {
    const answer = await rawRequest(url, { headers: { ...headers, 'content-length': String(body.length) }, chunks: [body] });
    assert.equal(answer.status, 200, answer.body.toString());
    const requestId = (JSON.parse(answer.body.toString()) as { request_id: string }).request_id;
    const shown = (await team.call('GET', `/requests/${requestId}`)).json;
    const stored = await gw.store.getRequest(team.id, requestId);
    assert.ok(stored !== null);
    assert.ok(stored.body.equals(body), 'the store holds the exact bytes');
    return { shown, stored };
  }

  /** What the API shows, as bytes: base64 decoded, or the text as UTF-8. */
  function apiBytes(shown: { body: unknown; body_encoding?: string }): Buffer {
    assert.equal(typeof shown.body, 'string', 'a non-JSON body is shown as text or base64');
    return shown.body_encoding === 'base64' ? Buffer.from(shown.body as string, 'base64') : Buffer.from(shown.body as string, 'utf8');
  }

  const cases: [string, Buffer, Record<string, string>][] = [
    ['all 256 byte values', Buffer.from(Array.from({ length: 256 }, (_, i) => i)), { 'content-type': 'application/octet-stream' }],
    ['invalid UTF-8 labelled as text', Buffer.from([0x68, 0x69, 0xc3, 0x28, 0xa0, 0xa1, 0xe2, 0x28, 0xa1, 0xf0, 0x90, 0x28, 0xbc, 0xff]), { 'content-type': 'text/plain; charset=utf-8' }],
    ['form-urlencoded', Buffer.from('a=1&b=%20x&c=%E2%9C%93&d=&e=a+b&a=2'), { 'content-type': 'application/x-www-form-urlencoded' }],
    ['XML with a declaration and non-ASCII', Buffer.from('<?xml version="1.0" encoding="UTF-8"?>\r\n<order id="1">\n  <name>Zoë &amp; co</name>\n</order>\n'), { 'content-type': 'application/xml' }],
    [
      'multipart with a binary part',
      Buffer.concat([
        Buffer.from('--XyZ\r\nContent-Disposition: form-data; name="field"\r\n\r\nvalue\r\n--XyZ\r\nContent-Disposition: form-data; name="file"; filename="a.bin"\r\nContent-Type: application/octet-stream\r\n\r\n'),
        Buffer.from([0x00, 0xff, 0x10, 0x80, 0x0d, 0x0a]),
        Buffer.from('\r\n--XyZ--\r\n'),
      ]),
      { 'content-type': 'multipart/form-data; boundary=XyZ' },
    ],
    ['gzip with Content-Encoding (kept compressed)', gzipSync(Buffer.from('{"compressed":true}')), { 'content-type': 'application/json', 'content-encoding': 'gzip' }],
    ['a UTF-8 BOM and CRLFs in text', Buffer.from('\ufeffline one\r\nline two\r\n'), { 'content-type': 'text/csv' }],
  ];

  for (const [name, body, headers] of cases) {
    test(name, async () => {
      const { shown } = await roundTrip(body, headers);
      assert.ok(apiBytes(shown).equals(body), 'the API shows the exact bytes');
      for (const [header, value] of Object.entries(headers)) assert.equal(shown.headers[header], value, `${header} kept as sent`);
    });
  }

  test('JSON keeps its exact bytes (whitespace, key order, duplicate keys, escapes) in the store', async () => {
    const body = Buffer.from('{ "b" : 1,\n  "a":[1 ,2], "a": "\\u00e9", "big": 12345678901234567890 }');
    const { shown, stored } = await roundTrip(body, { 'content-type': 'application/json' });
    assert.equal(stored.bodyIsJson, true);
    assert.equal(shown.body.b, 1, 'shown parsed for reading');
  });
});
