/**
 * Rate limits under hostile bursts, through the real server: a source's `rate_limit` on ingest (429 RATE_LIMITED
 * with Retry-After, nothing stored beyond the limit, other sources untouched), and SLUICE_API_RATE_LIMIT per API
 * key on the management API and /v2 (one budget per key across both; other keys untouched; made-up keys get 401 and
 * count against their address's failed-authentication budget instead).
 */
/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-argument --
   The API's JSON answers are `any` (harness.ts) and read field by field: the assertions are the type checks. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { gatewayWithDestination, type Answer } from './harness.js';

const KEY_LIMIT = 10;

function tally(answers: Answer[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const answer of answers) counts[answer.status] = (counts[answer.status] ?? 0) + 1;
  return counts;
}

describe('rate limits', () => {
  const parts = gatewayWithDestination('limits', { SLUICE_API_RATE_LIMIT: `${KEY_LIMIT}/minute` });

  async function source(name: string, config: unknown): Promise<{ id: string; url: string }> {
    const created = await parts.team.call('POST', '/sources', { body: { name, config } });
    assert.equal(created.status, 201, created.text);
    await parts.team.call('POST', '/connections', { body: { name: 'c', source_id: created.json.id, destination_id: parts.destinationId } });
    return { id: created.json.id, url: `${parts.gw.base}/e/${created.json.id}` };
  }

  /** Another key of the same team, with its own budget. */
  async function freshKey(): Promise<string> {
    const answer = await parts.gw.admin('POST', `/teams/${parts.team.id}/api-keys`);
    assert.equal(answer.status, 201, answer.text);
    return `Bearer ${answer.json.key}`;
  }

  test("a source's rate_limit: a burst gets exactly the limit through, the rest 429 with Retry-After, nothing stored", async () => {
    const key = await freshKey();
    const call = (method: string, path: string, body?: unknown) => parts.gw.call(method, path, { auth: key, ...(body === undefined ? {} : { body }) });
    const limited = (await call('POST', '/sources', { name: 'limited', config: { rate_limit: 5, rate_limit_period: 'minute' } })).json;
    assert.equal(limited.config.rate_limit, 5);
    assert.equal(limited.config.rate_limit_period, 'minute');
    await call('POST', '/connections', { name: 'c', source_id: limited.id, destination_id: parts.destinationId });
    const url = `${parts.gw.base}/e/${limited.id}`;
    const free = await source('unlimited', {});

    const burst = await Promise.all(Array.from({ length: 40 }, (_, i) => parts.gw.call('POST', url, { body: { i } })));
    assert.deepEqual(tally(burst), { 200: 5, 429: 35 });
    for (const answer of burst.filter((a) => a.status === 429)) {
      assert.equal(answer.json.code, 'RATE_LIMITED');
      assert.match(answer.json.message, /5 requests per minute/);
      const retryAfter = Number(answer.headers.get('retry-after'));
      assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 12, `Retry-After ${retryAfter}`);
      assert.equal(answer.json.data.retry_after_seconds, retryAfter);
    }
    assert.equal((await parts.team.call('GET', `/requests?source_id=${limited.id}`)).json.total_count, 5, 'refused requests are not stored');

    const others = await Promise.all(Array.from({ length: 20 }, () => parts.gw.call('POST', free.url, { body: {} })));
    assert.deepEqual(tally(others), { 200: 20 }, 'another source is not affected');

    // Raising the limit takes effect at once (a new bucket); removing it lifts it.
    await call('PUT', `/sources/${limited.id}`, { config: { rate_limit: 100 } });
    assert.equal((await parts.gw.call('POST', url, { body: {} })).status, 200);
    const removed = await call('PUT', `/sources/${limited.id}`, { config: { rate_limit: null } });
    assert.equal(removed.json.config.rate_limit, null);
    assert.equal(removed.json.config.rate_limit_period, null);
  });

  test('a per-second source limit refills: a sender that waits gets through again', async () => {
    const src = await source('per-second', { rate_limit: 1 });
    const first = await Promise.all(Array.from({ length: 6 }, () => parts.gw.call('POST', src.url, { body: {} })));
    assert.deepEqual(tally(first), { 200: 1, 429: 5 });
    assert.equal(first.find((a) => a.status === 429)?.headers.get('retry-after'), '1');
    await new Promise((resolve) => setTimeout(resolve, 1100));
    assert.equal((await parts.gw.call('POST', src.url, { body: {} })).status, 200);
  });

  test('SLUICE_API_RATE_LIMIT: per key, shared by the management API and /v2; other keys and ingest are untouched', async () => {
    const hostile = await freshKey();
    const burst = await Promise.all(Array.from({ length: 30 }, () => parts.gw.call('GET', '/sources', { auth: hostile })));
    assert.deepEqual(tally(burst), { 200: KEY_LIMIT, 429: 30 - KEY_LIMIT });
    const refused = burst.find((a) => a.status === 429);
    assert.equal(refused?.json.code, 'RATE_LIMITED');
    assert.match(refused?.json.message ?? '', /SLUICE_API_RATE_LIMIT/);
    const retryAfter = Number(refused?.headers.get('retry-after'));
    assert.ok(retryAfter >= 1 && retryAfter <= 60 / KEY_LIMIT, `Retry-After ${retryAfter}`);

    const v2 = await parts.gw.call('GET', '/v2/event-destinations', { auth: hostile });
    assert.equal(v2.status, 429, 'the same budget on /v2');
    assert.equal(v2.json.errors[0].code, 'rate_limit_exceeded');
    assert.equal(v2.json.errors[0].type, 'rate_limit_error');
    assert.ok(Number(v2.headers.get('retry-after')) >= 1);

    const other = await freshKey();
    assert.equal((await parts.gw.call('GET', '/sources', { auth: other })).status, 200, 'another key has its own budget');
    const src = await source('ingest-unaffected', {});
    assert.equal((await parts.gw.call('POST', src.url, { body: {} })).status, 200, 'ingest does not count against API keys');
  });

  test('made-up keys are 401: the per-key limit keeps no bucket for them (SLUICE_AUTH_FAILURE_LIMIT does, per address: authFailures.test.ts)', async () => {
    const answers = await Promise.all(
      Array.from({ length: 3 * KEY_LIMIT }, (_, i) => parts.gw.call('GET', '/sources', { auth: `Bearer sk_made_up_key_${i % 2}_0123456789` })),
    );
    assert.deepEqual(tally(answers), { 401: 3 * KEY_LIMIT });
  });
});
