/**
 * The HTTP sender thread (src/destinations/http/senderThread.ts) against a real receiver: what only the thread
 * can get wrong — matching outcomes to requests across batches, cancellation across the thread boundary, a thread
 * that dies, closing with requests in flight. The outcomes themselves are tested through it in http.test.ts.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Worker } from 'node:worker_threads';
import type { OutgoingHttpRequest } from '../../src/destinations/http/sender.js';
import { ThreadedHttpSender } from '../../src/destinations/http/senderThread.js';
import type { PublishOutcome } from '../../src/destinations/types.js';
import { ok, startReceiver, type Receiver } from './receiver.js';

const options = { responseBodyLimit: 1000, outboundAllowlist: ['127.0.0.1/32'] };
/** A signal that never aborts; the dispatcher gives each attempt its own, so each request here gets one too. */
const never = () => new AbortController().signal;

function post(url: string, body = 'hello'): OutgoingHttpRequest {
  return { url, method: 'POST', headers: { 'content-type': 'text/plain' }, body: Buffer.from(body) };
}

function bodyOf(outcome: PublishOutcome): string | null {
  assert.notEqual(outcome.kind, 'unreachable', JSON.stringify(outcome));
  return outcome.kind === 'unreachable' ? null : outcome.body;
}

/** The thread itself, to end it the way a crash would (the class keeps it private). */
function threadOf(sender: ThreadedHttpSender): Worker | null {
  return (sender as unknown as { worker: Worker | null }).worker;
}

describe('ThreadedHttpSender', () => {
  let receiver: Receiver;
  let sender: ThreadedHttpSender;

  before(async () => {
    receiver = await startReceiver();
  });
  after(async () => {
    await receiver.close();
  });
  beforeEach(() => {
    receiver.handler = ok;
    receiver.received.length = 0;
    sender = new ThreadedHttpSender(options);
  });

  it('answers each of many concurrent requests with its own outcome, bodies intact both ways', async () => {
    receiver.handler = (req, res) => {
      // Answers out of order: the later the number, the sooner.
      const n = Number(req.url.slice(1));
      setTimeout(() => res.writeHead(200, { 'content-type': 'text/plain' }).end(`${req.url}:${req.body.toString()}`), (300 - n) % 7);
    };
    try {
      const outcomes = await Promise.all(Array.from({ length: 300 }, (_, n) => sender.send(post(`${receiver.url}/${n}`, `body-${n}`), 5000, never())));
      outcomes.forEach((outcome, n) => assert.equal(bodyOf(outcome), `/${n}:body-${n}`));
      assert.equal(receiver.received.length, 300);
    } finally {
      await sender.close();
    }
  });

  it('cancels a request the caller aborts, in flight or before it was sent, and answers it as CANCELLED', async () => {
    receiver.handler = async (_req, res) => {
      await sleep(3000);
      res.end('late');
    };
    try {
      const inFlight = new AbortController();
      const pending = sender.send(post(receiver.url), 10_000, inFlight.signal);
      await receiver.waitFor(1, 10_000);
      const started = Date.now();
      inFlight.abort();
      const outcome = await pending;
      assert.equal(outcome.kind, 'unreachable');
      assert.equal(outcome.kind === 'unreachable' ? outcome.errorCode : null, 'CANCELLED');
      assert.ok(Date.now() - started < 2500, 'answered at the abort, not when the receiver answered 3 s later');

      const early = new AbortController();
      early.abort();
      const before = await sender.send(post(receiver.url), 10_000, early.signal);
      assert.equal(before.kind === 'unreachable' ? before.errorCode : before.kind, 'CANCELLED');
    } finally {
      await sender.close();
    }
  });

  it('fails the requests of a thread that died as retryable, and starts a new thread for the next one', async () => {
    receiver.handler = async (_req, res) => {
      await sleep(5000);
      res.end('late');
    };
    try {
      const pending = sender.send(post(receiver.url), 10_000, never());
      await receiver.waitFor(1, 10_000);
      const first = threadOf(sender);
      assert.ok(first !== null);
      await first.terminate();
      const outcome = await pending;
      assert.equal(outcome.kind, 'unreachable', JSON.stringify(outcome));
      if (outcome.kind === 'unreachable') {
        assert.equal(outcome.errorCode, 'UNKNOWN');
        assert.notEqual(outcome.permanent, true, 'retryable: the request may or may not have been answered');
        assert.match(outcome.message, /sender thread stopped/);
      }
      receiver.handler = ok;
      assert.equal(bodyOf(await sender.send(post(receiver.url), 10_000, never())), 'ok');
      assert.notEqual(threadOf(sender), first);
    } finally {
      await sender.close();
    }
  });

  it('lets the requests in flight finish on close, and answers requests after it as failed without sending them', async () => {
    receiver.handler = async (_req, res) => {
      await sleep(300);
      res.writeHead(200, { 'content-type': 'text/plain' }).end('finished');
    };
    const inFlight = sender.send(post(receiver.url), 10_000, never());
    await receiver.waitFor(1, 10_000);
    await sender.close();
    assert.equal(bodyOf(await inFlight), 'finished');
    assert.equal(threadOf(sender)?.threadId ?? -1, -1, 'the thread ended');
    const late = await sender.send(post(receiver.url), 10_000, never());
    assert.equal(late.kind, 'unreachable');
    await sleep(50);
    assert.equal(receiver.received.length, 1);
  });

  it('closes at once when it never sent anything', async () => {
    await sender.close();
    assert.equal(threadOf(sender), null);
  });
});
