/**
 * The dispatcher against the real SQLite store and a real HTTP receiver: timing of first attempts and retries,
 * the statuses an event goes through, per-destination isolation, manual retries and shutdown.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Config } from '../../src/config/loadConfig.js';
import type { AttemptRecord } from '../../src/domain/model.js';
import { signBody } from '../../src/domain/signing.js';
import { createPublisherRegistry, type PublisherRegistry } from '../../src/destinations/registry.js';
import { Dispatcher } from '../../src/dispatch/dispatcher.js';
import { LEASE_MARGIN_MS } from '../../src/dispatch/timing.js';
import { silentLogger } from '../../src/dispatch/logger.js';
import type { Store } from '../../src/store/port.js';
import { closedPort, ok, startReceiver, type Receiver } from '../destinations/receiver.js';
import { createPipeline, openTestStore, retryRule, SIGNING_SECRET, testConfig, waitForEvent, type TestStore } from './fixtures.js';

/**
 * How late a timed step may be on a loaded 2-core CI machine (other test files run alongside, and a stall of
 * 500 ms has been seen there). The timed tests poll once a minute (NO_POLL), so a dispatcher that waited for the
 * poll instead of the due time is a minute late and fails them all the same.
 */
const LATE_MS = 1500;
const NO_POLL: Partial<Config> = { pollIntervalMs: 60_000 };

async function attemptsOf(t: TestStore, eventId: string): Promise<AttemptRecord[]> {
  const page = await t.store.listAttempts(t.teamId, { eventId }, { orderDirection: 'asc', limit: 100 });
  return page.models;
}

/** The store, unchanged, reporting how many events each claim leased: to count the dispatcher's claim cycles. */
function watchingClaims(store: Store, onClaim: (count: number) => void): Store {
  return new Proxy(store, {
    get(target, property, receiverArg) {
      if (property === 'claimDue') {
        return async (...args: Parameters<Store['claimDue']>) => {
          const claimed = await target.claimDue(...args);
          onClaim(claimed.length);
          return claimed;
        };
      }
      const value: unknown = Reflect.get(target, property, receiverArg);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

describe('Dispatcher', () => {
  let t: TestStore;
  let receiver: Receiver;
  let publishers: PublisherRegistry;
  let dispatcher: Dispatcher | null = null;
  let config: Config;

  function startDispatcher(overrides: Partial<Config> = {}, store: Store = t.store, refillWaitMs?: number): Dispatcher {
    const d = new Dispatcher({ store, config: { ...config, ...overrides }, publishers, logger: silentLogger, secretFor: async () => SIGNING_SECRET, refillWaitMs });
    d.start();
    dispatcher = d;
    return d;
  }

  before(async () => {
    receiver = await startReceiver();
  });
  after(async () => {
    await receiver.close();
  });
  beforeEach(async () => {
    t = await openTestStore();
    config = testConfig();
    publishers = createPublisherRegistry(config);
    receiver.handler = ok;
    receiver.received.length = 0;
  });
  afterEach(async () => {
    await dispatcher?.stop(1000);
    dispatcher = null;
    await publishers.close();
    await t.close();
  });

  it('makes the first attempt within milliseconds of wake(), not at the next poll', async () => {
    const pipeline = await createPipeline(t, { url: `${receiver.url}/hook` });
    const d = startDispatcher({ pollIntervalMs: 60_000 });
    await sleep(50); // idle: the loop now sleeps for the whole poll interval
    const eventId = await pipeline.ingest('{"n":1}');
    const woke = Date.now();
    d.wake();
    const [got] = await receiver.waitFor(1);
    assert.ok(got);
    assert.ok(got.at - woke < LATE_MS, `first attempt ${got.at - woke} ms after wake`);
    assert.equal(got.url, '/hook');
    assert.equal(got.headers['x-sluice-event-id'], eventId);
    assert.equal(got.headers['x-sluice-attempt-count'], '1');
    assert.equal(got.headers['x-sluice-attempt-trigger'], 'INITIAL');
    assert.equal(got.headers['x-sluice-will-retry-after'], '30', 'the default schedule: 30 s after a failure');
    assert.equal(got.headers['x-sluice-signature'], signBody(SIGNING_SECRET, Buffer.from('{"n":1}')));
    const event = await waitForEvent(t, eventId, (e) => e.status === 'SUCCESSFUL');
    assert.equal(event.attempts, 1);
    assert.equal(event.responseStatus, 200);
    assert.equal(event.nextAttemptAt, null);
    const [attempt] = await attemptsOf(t, eventId);
    assert.ok(attempt);
    assert.match(attempt.id, /^att_/);
    assert.equal(attempt.trigger, 'INITIAL');
    assert.equal(attempt.status, 'SUCCESSFUL');
    assert.equal(attempt.attemptNumber, 1);
    assert.equal(attempt.body, 'ok');
    assert.equal(attempt.requestedUrl, `${receiver.url}/hook`);
    assert.equal(attempt.httpMethod, 'POST');
    assert.ok(attempt.deliveryLatency !== null && attempt.deliveryLatency >= 0);
    assert.ok(attempt.responseLatency !== null && attempt.responseLatency >= 0);
  });

  it('follows the retry schedule: SCHEDULED at next_attempt_at, retried on time, then SUCCESSFUL', async () => {
    const answers = [500, 500, 200];
    receiver.handler = (_req, res) => res.writeHead(answers.shift() ?? 200).end('answer');
    const pipeline = await createPipeline(t, { url: receiver.url, retry: retryRule(300, 5) });
    startDispatcher(NO_POLL);
    const eventId = await pipeline.ingest();
    dispatcher?.wake();

    const scheduled = await waitForEvent(t, eventId, (e) => e.attempts === 1);
    assert.equal(scheduled.status, 'SCHEDULED');
    assert.equal(scheduled.responseStatus, 500);
    assert.ok(scheduled.nextAttemptAt !== null && scheduled.lastAttemptAt !== null);
    const wait = scheduled.nextAttemptAt - scheduled.lastAttemptAt;
    assert.ok(wait >= 300 && wait < 300 + LATE_MS, `next attempt ${wait} ms after the last`);

    const got = await receiver.waitFor(3, 10_000);
    for (const i of [1, 2]) {
      const gap = (got[i]?.at ?? 0) - (got[i - 1]?.at ?? 0);
      assert.ok(gap >= 290 && gap < 300 + LATE_MS, `retry ${i} came ${gap} ms after the previous attempt`);
    }
    assert.deepEqual(got.map((r) => r.headers['x-sluice-attempt-count']), ['1', '2', '3']);
    assert.deepEqual(got.map((r) => r.headers['x-sluice-attempt-trigger']), ['INITIAL', 'AUTOMATIC', 'AUTOMATIC']);
    assert.equal(got[1]?.headers['x-sluice-will-retry-after'], '1', '300 ms, rounded up to whole seconds');

    const done = await waitForEvent(t, eventId, (e) => e.status === 'SUCCESSFUL');
    assert.equal(done.attempts, 3);
    assert.equal(done.nextAttemptAt, null);
    const attempts = await attemptsOf(t, eventId);
    assert.deepEqual(attempts.map((a) => [a.attemptNumber, a.trigger, a.status, a.responseStatus]), [
      [1, 'INITIAL', 'FAILED', 500],
      [2, 'AUTOMATIC', 'FAILED', 500],
      [3, 'AUTOMATIC', 'SUCCESSFUL', 200],
    ]);
  });

  it('marks the event FAILED when retries are exhausted, and tries no more', async () => {
    receiver.handler = (_req, res) => res.writeHead(503).end();
    const pipeline = await createPipeline(t, { url: receiver.url, retry: retryRule(30, 2) });
    startDispatcher(NO_POLL);
    const eventId = await pipeline.ingest();
    dispatcher?.wake();
    const started = Date.now();
    const failed = await waitForEvent(t, eventId, (e) => e.status === 'FAILED');
    assert.ok(Date.now() - started < 60 + 2 * LATE_MS, `two 30 ms retries took ${Date.now() - started} ms: each starts when due`);
    assert.equal(failed.attempts, 3, 'the first attempt and two retries');
    assert.equal(failed.nextAttemptAt, null);
    assert.equal(failed.responseStatus, 503);
    await sleep(150);
    assert.equal(receiver.received.length, 3);
    const last = (await attemptsOf(t, eventId)).at(-1);
    assert.equal(last?.attemptNumber, 3);
  });

  it('fails at once on a status the rule does not retry', async () => {
    receiver.handler = (_req, res) => res.writeHead(404).end('nope');
    const pipeline = await createPipeline(t, { url: receiver.url, retry: retryRule(30, 5, ['500-599', '429']) });
    startDispatcher();
    const eventId = await pipeline.ingest();
    dispatcher?.wake();
    const failed = await waitForEvent(t, eventId, (e) => e.status === 'FAILED');
    assert.equal(failed.attempts, 1);
    await sleep(100);
    assert.equal(receiver.received.length, 1);
  });

  it('records network errors with their code and retries them', async () => {
    const port = await closedPort();
    const pipeline = await createPipeline(t, { url: `http://127.0.0.1:${port}/`, retry: retryRule(20, 1, ['404']) });
    startDispatcher();
    const eventId = await pipeline.ingest();
    dispatcher?.wake();
    const failed = await waitForEvent(t, eventId, (e) => e.status === 'FAILED');
    assert.equal(failed.attempts, 2, 'network errors retry whatever the status patterns say');
    assert.equal(failed.errorCode, 'CONNECTION_REFUSED');
    const attempts = await attemptsOf(t, eventId);
    assert.deepEqual(attempts.map((a) => [a.errorCode, a.responseStatus, a.body]), [
      ['CONNECTION_REFUSED', null, null],
      ['CONNECTION_REFUSED', null, null],
    ]);
  });

  it('times an attempt out at the destination timeout', async () => {
    receiver.handler = async (_req, res) => {
      await sleep(1000);
      res.end();
    };
    const pipeline = await createPipeline(t, { url: receiver.url, retry: retryRule(10_000, 1), destination: { timeout: 150 } });
    startDispatcher();
    const eventId = await pipeline.ingest();
    dispatcher?.wake();
    const event = await waitForEvent(t, eventId, (e) => e.attempts === 1);
    assert.equal(event.status, 'SCHEDULED');
    assert.equal(event.errorCode, 'TIMEOUT');
    const [attempt] = await attemptsOf(t, eventId);
    assert.ok(attempt?.responseLatency !== null && (attempt?.responseLatency ?? 0) < 800, `gave up after ${attempt?.responseLatency} ms`);
  });

  it('honours Retry-After on a 429 within twice the scheduled wait', async () => {
    receiver.handler = (_req, res) => res.writeHead(429, { 'retry-after': '3600' }).end();
    const pipeline = await createPipeline(t, { url: receiver.url, retry: retryRule(1000, 3) });
    startDispatcher();
    const eventId = await pipeline.ingest();
    dispatcher?.wake();
    const event = await waitForEvent(t, eventId, (e) => e.attempts === 1);
    assert.equal(event.status, 'SCHEDULED');
    const wait = (event.nextAttemptAt ?? 0) - (event.lastAttemptAt ?? 0);
    assert.ok(wait >= 2000 && wait < 2100, `waited ${wait} ms: 2 × the scheduled 1000 ms`);
  });

  it('keeps one slow destination from starving another, and holds its concurrency cap', async () => {
    const slow = await startReceiver();
    let active = 0;
    let peak = 0;
    slow.handler = async (_req, res) => {
      active += 1;
      peak = Math.max(peak, active);
      await sleep(250);
      active -= 1;
      res.end('slow');
    };
    try {
      const slowPipe = await createPipeline(t, { url: slow.url, destination: { rate_limit: 2, rate_limit_period: 'concurrent' } });
      const fastPipe = await createPipeline(t, { url: receiver.url });
      const slowIds = await Promise.all(Array.from({ length: 6 }, () => slowPipe.ingest()));
      const fastIds = await Promise.all(Array.from({ length: 10 }, () => fastPipe.ingest()));
      const started = Date.now();
      startDispatcher({ destinationConcurrency: 3 });
      await receiver.waitFor(10, 3000);
      const fastDone = Date.now() - started;
      assert.ok(fastDone < 650, `fast destination served in ${fastDone} ms while the slow one takes 750 ms`);
      for (const id of [...slowIds, ...fastIds]) await waitForEvent(t, id, (e) => e.status === 'SUCCESSFUL');
      assert.equal(peak, 2, 'the slow destination never had more than its rate_limit in flight');
      assert.ok(Date.now() - started >= 700, 'six 250 ms attempts two at a time take three rounds');
    } finally {
      await slow.close();
    }
  });

  it('records finished attempts in batches, not one commit per attempt', async () => {
    const pipeline = await createPipeline(t, { url: receiver.url });
    const ids = await Promise.all(Array.from({ length: 60 }, () => pipeline.ingest()));
    let recordCalls = 0;
    let recorded = 0;
    const counting = new Proxy(t.store, {
      get(target, property, receiverArg) {
        if (property === 'recordAttempts') {
          return async (...args: Parameters<Store['recordAttempts']>) => {
            recordCalls += 1;
            recorded += args[0].length;
            return target.recordAttempts(...args);
          };
        }
        const value: unknown = Reflect.get(target, property, receiverArg);
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    startDispatcher({}, counting);
    for (const id of ids) await waitForEvent(t, id, (e) => e.status === 'SUCCESSFUL');
    assert.equal(recorded, 60);
    assert.ok(recordCalls < 30, `${recordCalls} writes for 60 attempts`);
  });

  it('refills a busy destination in larger claims, not one claim per finished attempt', async () => {
    // Answers spread over 2–30 ms, so attempts finish one by one: claiming after each would lease one or two.
    let active = 0;
    let peak = 0;
    receiver.handler = async (_req, res) => {
      active += 1;
      peak = Math.max(peak, active);
      await sleep(2 + Math.floor(Math.random() * 28));
      active -= 1;
      res.end('ok');
    };
    const pipeline = await createPipeline(t, { url: receiver.url, destination: { rate_limit: 20, rate_limit_period: 'concurrent' } });
    const ids = await Promise.all(Array.from({ length: 200 }, () => pipeline.ingest()));
    const claims: number[] = [];
    const counting = watchingClaims(t.store, (count) => {
      if (count > 0) claims.push(count);
    });
    // The refill timer (the next test) is set far out here: this one checks the threshold alone.
    startDispatcher(NO_POLL, counting, 60_000);
    for (const id of ids) await waitForEvent(t, id, (e) => e.status === 'SUCCESSFUL');
    assert.equal(claims.reduce((a, b) => a + b, 0), 200);
    const average = 200 / claims.length;
    // Refilled at half the cap (10 free slots): about 10 per claim; one claim per finished attempt gave about 4.
    assert.ok(average >= 7, `${claims.length} claims for 200 events (${average.toFixed(1)} each): ${claims.join(' ')}`);
    assert.ok(peak <= 20, `${peak} attempts in flight against a cap of 20`);
  });

  it('a destination whose only obstacle is its empty bucket is slept on until the next token: no claim cycles meanwhile', async () => {
    const pipeline = await createPipeline(t, { url: receiver.url, destination: { rate_limit: 2, rate_limit_period: 'minute' } });
    const ids = await Promise.all(Array.from({ length: 5 }, () => pipeline.ingest()));
    const empty: number[] = [];
    const counting = watchingClaims(t.store, (count) => {
      if (count === 0) empty.push(Date.now());
    });
    startDispatcher(NO_POLL, counting);
    for (const id of ids.slice(0, 2)) await waitForEvent(t, id, (e) => e.status === 'SUCCESSFUL');
    const burstDone = Date.now();
    // Three events are due, but the next token is 30 s away. A dispatcher that treated them as due-but-capped would
    // claim every 500 ms (6 times in 3 s); one that polled its backlog, hundreds of times.
    await sleep(3000);
    const meanwhile = empty.filter((at) => at >= burstDone).length;
    assert.ok(meanwhile <= 2, `${meanwhile} empty claims while waiting for the token: ${empty.map((at) => at - burstDone).join(' ')}`);
    const left = await Promise.all(ids.slice(2).map((id) => t.store.getEvent(t.teamId, id)));
    assert.deepEqual(left.map((e) => [e?.status, e?.attempts]), Array.from({ length: 3 }, () => ['QUEUED', 0]), 'queued, no attempt spent');
    assert.equal(receiver.received.length, 2);
  });

  it('delivers an event whose wake-up found its destination busy once the running attempts finish, not at the next poll', async () => {
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    let arrived = 0;
    receiver.handler = async (_req, res) => {
      arrived += 1;
      if (arrived <= 4) await held; // the first four hold every slot until released
      res.end('ok');
    };
    const pipeline = await createPipeline(t, { url: receiver.url, destination: { rate_limit: 4, rate_limit_period: 'concurrent' } });
    const first = await Promise.all(Array.from({ length: 4 }, () => pipeline.ingest()));
    const d = startDispatcher(NO_POLL);
    await receiver.waitFor(4);
    const late = await pipeline.ingest();
    d.wake([pipeline.destinationId]); // all four slots busy: left to the claim that follows them
    await sleep(100);
    assert.equal(arrived, 4, 'no fifth attempt while the cap is full');
    const released = Date.now();
    release();
    const done = await waitForEvent(t, late, (e) => e.status === 'SUCCESSFUL');
    assert.ok((done.lastAttemptAt ?? Infinity) - released < LATE_MS, `attempted ${(done.lastAttemptAt ?? 0) - released} ms after the slots freed (the poll is a minute)`);
    for (const id of first) await waitForEvent(t, id, (e) => e.status === 'SUCCESSFUL');
  });

  it('refills a slot freed below the refill threshold while the destination\'s other attempts are still running', async () => {
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const arrivals: number[] = [];
    receiver.handler = async (_req, res) => {
      arrivals.push(Date.now());
      if (arrivals.length >= 2 && arrivals.length <= 4) await held; // three of the first four are slow
      res.end('ok');
    };
    const pipeline = await createPipeline(t, { url: receiver.url, destination: { rate_limit: 4, rate_limit_period: 'concurrent' } });
    const ids = await Promise.all(Array.from({ length: 5 }, () => pipeline.ingest()));
    try {
      startDispatcher(NO_POLL);
      // The fast one frees 1 of 4 slots (the threshold is 2): the fifth is attempted anyway, beside the three held.
      await receiver.waitFor(5, 5000);
      assert.equal(arrivals.length, 5);
    } finally {
      release();
    }
    for (const id of ids) await waitForEvent(t, id, (e) => e.status === 'SUCCESSFUL');
  });

  it('re-leases a claim whose destination allows a longer attempt than the current lease covers', async () => {
    // The attempt is held open at the receiver while the lease it runs under is read from the store.
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    let arrivedAt = 0;
    receiver.handler = async (_req, res) => {
      arrivedAt = Date.now();
      await held;
      res.end('ok');
    };
    const timeoutMs = 120_000;
    const pipeline = await createPipeline(t, { url: receiver.url, destination: { timeout: timeoutMs } });
    startDispatcher({ defaultTimeoutMs: 1000 });
    const eventId = await pipeline.ingest();
    const ingestedAt = Date.now();
    dispatcher?.wake();
    try {
      for (const until = Date.now() + 3000; arrivedAt === 0 && Date.now() < until; ) await sleep(10);
      assert.ok(arrivedAt > 0, 'the attempt started');
      const leaseEnd = await t.store.nextDueAt();
      assert.ok(leaseEnd !== null, 'the running attempt holds a lease');
      // Longer than the destination's timeout (120 s), not the default lease for 1 s attempts.
      assert.ok(leaseEnd >= ingestedAt + timeoutMs + LEASE_MARGIN_MS, `lease ends ${leaseEnd - ingestedAt} ms after ingest`);
    } finally {
      release();
    }
    await waitForEvent(t, eventId, (e) => e.status === 'SUCCESSFUL', 2000);
    assert.equal(receiver.received.length, 1, 'sent once: the short lease was given back before any request');
  });

  describe('retryNow', () => {
    it('makes a MANUAL attempt now; success cancels the pending automatic retries', async () => {
      let status = 500;
      receiver.handler = (_req, res) => res.writeHead(status).end(`status ${status}`);
      const pipeline = await createPipeline(t, { url: receiver.url, retry: retryRule(60_000, 5) });
      const d = startDispatcher();
      const eventId = await pipeline.ingest();
      d.wake();
      const scheduled = await waitForEvent(t, eventId, (e) => e.status === 'SCHEDULED');

      const failedManual = await d.retryNow(t.teamId, eventId);
      assert.equal(failedManual?.status, 'FAILED');
      assert.equal(failedManual?.trigger, 'MANUAL');
      const still = await t.store.getEvent(t.teamId, eventId);
      assert.equal(still?.status, 'SCHEDULED', 'a failed manual attempt keeps the schedule');
      assert.equal(still?.nextAttemptAt, scheduled.nextAttemptAt);
      assert.equal(still?.attempts, 2);
      assert.equal(receiver.received[1]?.headers['x-sluice-attempt-trigger'], 'MANUAL');
      const announced = Number(receiver.received[1]?.headers['x-sluice-will-retry-after']);
      assert.ok(announced > 50 && announced <= 60, `manual attempt announces the pending retry in ${announced} s`);

      status = 200;
      const manual = await d.retryNow(t.teamId, eventId);
      assert.ok(manual);
      assert.match(manual.id, /^att_/);
      assert.equal(manual.status, 'SUCCESSFUL');
      assert.equal(manual.attemptNumber, 3);
      assert.equal(manual.responseStatus, 200);
      assert.equal(manual.body, 'status 200');
      const stored = await t.store.getAttempt(t.teamId, manual.id);
      assert.deepEqual(stored, manual, 'recorded before retryNow returns');
      const event = await t.store.getEvent(t.teamId, eventId);
      assert.equal(event?.status, 'SUCCESSFUL');
      assert.equal(event?.nextAttemptAt, null);
      assert.equal(await t.store.nextDueAt(), null, 'nothing left to attempt');
    });

    it('answers null for an event the team does not have', async () => {
      const pipeline = await createPipeline(t, { url: receiver.url });
      const d = startDispatcher({ pollIntervalMs: 60_000 });
      const eventId = await pipeline.ingest();
      assert.equal(await d.retryNow('tm_000000000nobody0', eventId), null);
      assert.equal(await d.retryNow(t.teamId, 'evt_000000000missing'), null);
    });
  });

  describe('stop', () => {
    it('lets in-flight attempts finish within the deadline and records them', async () => {
      receiver.handler = async (_req, res) => {
        await sleep(200);
        res.end('done');
      };
      const pipeline = await createPipeline(t, { url: receiver.url });
      const ids = await Promise.all(Array.from({ length: 3 }, () => pipeline.ingest()));
      const d = startDispatcher();
      await receiver.waitFor(3);
      const started = Date.now();
      await d.stop(5000);
      const took = Date.now() - started;
      assert.ok(took < 200 + LATE_MS, `stop took ${took} ms: it waits for the 200 ms attempts, not the 5 s deadline`);
      for (const id of ids) {
        const event = await t.store.getEvent(t.teamId, id);
        assert.equal(event?.status, 'SUCCESSFUL', 'recorded before stop resolved');
      }
    });

    it('cancels attempts still running at the deadline and releases their claims', async () => {
      receiver.handler = async (_req, res) => {
        await sleep(5000);
        res.end('too late');
      };
      const pipeline = await createPipeline(t, { url: receiver.url });
      const ids = await Promise.all(Array.from({ length: 2 }, () => pipeline.ingest()));
      const d = startDispatcher();
      await receiver.waitFor(2);
      const started = Date.now();
      await d.stop(200);
      const took = Date.now() - started;
      assert.ok(took >= 190 && took < 200 + LATE_MS, `stop took ${took} ms for a 200 ms deadline (the receiver answers after 5 s)`);
      for (const id of ids) {
        const event = await t.store.getEvent(t.teamId, id);
        assert.equal(event?.status, 'QUEUED');
        assert.equal(event?.attempts, 0, 'a cancelled attempt is not counted');
        assert.deepEqual(await attemptsOf(t, id), []);
      }
      const due = await t.store.nextDueAt();
      assert.ok(due !== null && due <= Date.now(), 'released: due again at once, not after the lease');

      receiver.handler = ok;
      startDispatcher();
      for (const id of ids) await waitForEvent(t, id, (e) => e.status === 'SUCCESSFUL');
    });
  });
});
