/**
 * SLUICE_AUTH_FAILURE_LIMIT through the real server: a client guessing API keys or the admin key is refused with 429
 * (Retry-After) once its failures are used up — a valid key from the same address included — while other
 * addresses (told apart by X-Forwarded-For under SLUICE_TRUST_PROXY) and requests without a key are unaffected.
 */
/* eslint-disable @typescript-eslint/no-unsafe-member-access --
   The API's JSON answers are `any` (harness.ts) and read field by field: the assertions are the type checks. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { startGateway, type Answer, type Gateway, type Team } from './harness.js';

const FAILURES = 5;

function madeUpKey(): string {
  return `Bearer sk_${randomBytes(16).toString('hex')}`;
}

function statuses(answers: Answer[]): number[] {
  return answers.map((answer) => answer.status);
}

describe('failed authentications per client address', () => {
  let gw: Gateway;
  let team: Team;
  before(async () => {
    gw = await startGateway({ SLUICE_AUTH_FAILURE_LIMIT: `${FAILURES}/hour`, SLUICE_TRUST_PROXY: '127.0.0.1' });
    team = await gw.team('guarded');
  });
  after(async () => {
    await gw.close();
  });

  const from = (address: string) => ({ 'x-forwarded-for': address });

  test('made-up keys: the first failures get 401, then every authentication from the address 429, a valid key too', async () => {
    const client = from('203.0.113.7');
    const guesses: Answer[] = [];
    for (let i = 0; i < FAILURES + 3; i++) guesses.push(await gw.call('GET', '/sources', { auth: madeUpKey(), headers: client }));
    assert.deepEqual(statuses(guesses), [...Array<number>(FAILURES).fill(401), 429, 429, 429]);
    const refused = guesses.at(-1);
    assert.ok(refused);
    assert.equal(refused.json.code, 'RATE_LIMITED');
    assert.match(String(refused.json.message), /failed authentications.*SLUICE_AUTH_FAILURE_LIMIT/);
    const retryAfter = Number(refused.headers.get('retry-after'));
    assert.ok(retryAfter >= 1 && retryAfter <= 3600 / FAILURES, `Retry-After ${retryAfter}`);

    const valid = await gw.call('GET', '/sources', { auth: `Bearer ${team.key}`, headers: client });
    assert.equal(valid.status, 429, 'a valid key from the guessing address is refused too, or the limit would not slow a search');
    const v2 = await gw.call('GET', '/v2/event-destinations', { auth: madeUpKey(), headers: client });
    assert.equal(v2.status, 429, '/v2 shares the guard');

    assert.equal((await gw.call('GET', '/sources', { auth: `Bearer ${team.key}`, headers: from('198.51.100.9') })).status, 200, 'another address is not affected');
    assert.equal((await gw.call('GET', '/sources', { headers: from('198.51.100.10') })).status, 401);
  });

  test('requests without a key do not count: they guess nothing', async () => {
    const client = from('203.0.113.8');
    const bare = await Promise.all(Array.from({ length: FAILURES * 3 }, () => gw.call('GET', '/sources', { headers: client })));
    assert.deepEqual(new Set(statuses(bare)), new Set([401]));
    assert.equal((await gw.call('GET', '/sources', { auth: `Bearer ${team.key}`, headers: client })).status, 200);
  });

  test('valid keys do not use the budget up, however many are looked up', async () => {
    const client = from('203.0.113.11');
    for (let i = 0; i < FAILURES * 2; i++) {
      const created = await gw.admin('POST', `/teams/${team.id}/api-keys`);
      assert.equal(created.status, 201, created.text);
      assert.equal((await gw.call('GET', '/sources', { auth: `Bearer ${created.json.key as string}`, headers: client })).status, 200);
    }
    assert.equal((await gw.call('GET', '/sources', { auth: madeUpKey(), headers: client })).status, 401, 'the budget is whole');
  });

  test('wrong admin keys count against the same budget', async () => {
    const client = from('203.0.113.9');
    const guesses: Answer[] = [];
    for (let i = 0; i < FAILURES + 1; i++) guesses.push(await gw.call('GET', '/teams', { auth: `Bearer admin-guess-${i}-0123456789`, headers: client }));
    assert.deepEqual(statuses(guesses), [...Array<number>(FAILURES).fill(401), 429]);
    assert.equal((await gw.call('GET', '/sources', { auth: madeUpKey(), headers: client })).status, 429);
  });

  test('a concurrent burst of guesses gets no more than the budget of 401s', async () => {
    const client = from('203.0.113.10');
    const burst = await Promise.all(Array.from({ length: 50 }, () => gw.call('GET', '/sources', { auth: madeUpKey(), headers: client })));
    const counts = statuses(burst).reduce<Record<number, number>>((acc, status) => ({ ...acc, [status]: (acc[status] ?? 0) + 1 }), {});
    // Each lookup holds its token while it runs: guesses in flight together cannot overdraw the budget.
    assert.deepEqual(counts, { 401: FAILURES, 429: 50 - FAILURES });
  });
});

describe('without SLUICE_TRUST_PROXY', () => {
  test('X-Forwarded-For is not believed: a guesser cannot escape the limit by naming other addresses', async () => {
    const gw = await startGateway({ SLUICE_AUTH_FAILURE_LIMIT: `${FAILURES}/hour` });
    try {
      const guesses: Answer[] = [];
      for (let i = 0; i < FAILURES + 2; i++) {
        guesses.push(await gw.call('GET', '/sources', { auth: madeUpKey(), headers: { 'x-forwarded-for': `192.0.2.${i}` } }));
      }
      assert.deepEqual(statuses(guesses), [...Array<number>(FAILURES).fill(401), 429, 429]);
    } finally {
      await gw.close();
    }
  });

  test('SLUICE_AUTH_FAILURE_LIMIT=off: every guess is answered 401', async () => {
    const gw = await startGateway({ SLUICE_AUTH_FAILURE_LIMIT: 'off' });
    try {
      const guesses = await Promise.all(Array.from({ length: 100 }, () => gw.call('GET', '/sources', { auth: madeUpKey() })));
      assert.deepEqual(new Set(statuses(guesses)), new Set([401]));
    } finally {
      await gw.close();
    }
  });
});
