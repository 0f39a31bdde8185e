/**
 * Hostile transport on the ingest endpoint, over raw sockets against the real server: oversized header blocks
 * (431 HEADERS_TOO_LARGE), bodies that trickle in past SLUICE_REQUEST_TIMEOUT_MS, with Content-Length and chunked
 * (408 REQUEST_TIMEOUT, connection closed), and in every case nothing stored. A request that arrives in time, even
 * slowly, is stored whole.
 */
/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment --
   The API's JSON answers are `any` (harness.ts) and read field by field: the assertions are the type checks. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { rawExchange, type Piece } from '../support/rawSocket.js';
import { startGateway, type Gateway, type Team } from './harness.js';

const HEADER_LIMIT = 4096;
const DEADLINE_MS = 600;

describe('hostile transport', () => {
  let gw: Gateway;
  let team: Team;
  let sourceId: string;
  let path: string;
  before(async () => {
    gw = await startGateway({ SLUICE_MAX_HEADER_BYTES: String(HEADER_LIMIT), SLUICE_REQUEST_TIMEOUT_MS: String(DEADLINE_MS) });
    team = await gw.team('transport');
    const destination = await team.call('POST', '/destinations', { body: { name: 'd', config: { url: 'https://receiver.example/in' } } });
    const source = await team.call('POST', '/sources', { body: { name: 'hostile' } });
    sourceId = source.json.id;
    path = `/e/${sourceId}`;
    await team.call('POST', '/connections', { body: { name: 'c', source_id: sourceId, destination_id: destination.json.id } });
  });
  after(async () => {
    await gw.close();
  });

  const stored = async (): Promise<number> => Number((await team.call('GET', `/requests?source_id=${sourceId}`)).json.total_count);
  const head = (headers: string) => `POST ${path} HTTP/1.1\r\nHost: x\r\n${headers}\r\n`;

  test('headers over SLUICE_MAX_HEADER_BYTES: 431 HEADERS_TOO_LARGE and nothing stored; under it: accepted', async () => {
    const before = await stored();
    const big = await rawExchange(gw.base, [head(`X-Padding: ${'a'.repeat(HEADER_LIMIT)}\r\nContent-Length: 2\r\n`), '{}']);
    assert.equal(big.status, 431, big.response);
    assert.equal((big.json as { code: string }).code, 'HEADERS_TOO_LARGE');
    assert.match((big.json as { message: string }).message, new RegExp(`${HEADER_LIMIT} bytes`));
    assert.ok(big.closedByServer);

    // Many small headers add up the same way.
    const many = Array.from({ length: 200 }, (_, i) => `X-H${i}: ${'v'.repeat(20)}\r\n`).join('');
    const lots = await rawExchange(gw.base, [head(`${many}Content-Length: 2\r\n`), '{}']);
    assert.equal(lots.status, 431);

    const fits = await rawExchange(gw.base, [head(`X-Padding: ${'a'.repeat(HEADER_LIMIT / 2)}\r\nContent-Length: 2\r\nConnection: close\r\n`), '{}']);
    assert.equal(fits.status, 200, fits.response);
    assert.equal(await stored(), before + 1, 'only the request that fits was stored');
  });

  test('a body that trickles in past the deadline: 408 REQUEST_TIMEOUT, connection closed, nothing stored', async () => {
    const before = await stored();
    const trickle: Piece[] = [head('Content-Type: application/json\r\nContent-Length: 100\r\n'), '{"a":'];
    for (let i = 0; i < 40; i++) trickle.push({ pauseMs: 50 }, ' ');
    const slow = await rawExchange(gw.base, trickle);
    assert.equal(slow.status, 408, slow.response);
    assert.equal((slow.json as { code: string }).code, 'REQUEST_TIMEOUT');
    assert.ok(slow.closedByServer, 'the connection is closed');
    assert.ok(slow.answeredAfterMs !== null && slow.answeredAfterMs < DEADLINE_MS + 1000, `cut off at ${slow.answeredAfterMs} ms`);

    const chunked: Piece[] = [head('Content-Type: text/plain\r\nTransfer-Encoding: chunked\r\n')];
    for (let i = 0; i < 30; i++) chunked.push({ pauseMs: 50 }, '1\r\nx\r\n');
    const slowChunked = await rawExchange(gw.base, chunked);
    assert.equal(slowChunked.status, 408, slowChunked.response);
    assert.ok(slowChunked.closedByServer);

    // Headers that never finish (slowloris) are cut off too.
    const dribble: Piece[] = [`POST ${path} HTTP/1.1\r\nHost: x\r\n`];
    for (let i = 0; i < 30; i++) dribble.push({ pauseMs: 50 }, `X-${i}: y\r\n`);
    const loris = await rawExchange(gw.base, dribble);
    assert.equal(loris.status, 408, loris.response);

    await new Promise((r) => setTimeout(r, 100));
    assert.equal(await stored(), before, 'nothing of a cut-off request is stored, not even truncated');
  });

  test('a slow but complete request within the deadline is stored whole', async () => {
    const pieces: Piece[] = [head('Content-Type: text/plain\r\nContent-Length: 5\r\nConnection: close\r\n')];
    for (const letter of 'hello') pieces.push({ pauseMs: 30 }, letter);
    const answer = await rawExchange(gw.base, pieces);
    assert.equal(answer.status, 200, answer.response);
    const requestId = (answer.json as { request_id: string }).request_id;
    assert.equal((await team.call('GET', `/requests/${requestId}`)).json.body, 'hello');
  });

  test('a broken chunked encoding is 400 BAD_REQUEST and nothing is stored', async () => {
    const before = await stored();
    const broken = await rawExchange(gw.base, [head('Transfer-Encoding: chunked\r\n'), 'zz\r\nnot hex\r\n0\r\n\r\n']);
    assert.equal(broken.status, 400, broken.response);
    assert.equal((broken.json as { code: string }).code, 'BAD_REQUEST');
    assert.equal(await stored(), before);
  });
});
