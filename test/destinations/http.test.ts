import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Destination, RequestRecord } from '../../src/domain/model.js';
import { signBody } from '../../src/domain/signing.js';
import { createAddressGuard } from '../../src/destinations/http/addressGuard.js';
import { HttpPublisher, parseRetryAfter, type HttpPublisherOptions } from '../../src/destinations/http/publisher.js';
import { ThreadedHttpSender } from '../../src/destinations/http/senderThread.js';
import type { PublishInput, PublishOutcome } from '../../src/destinations/types.js';
import { closedPort, ok, startReceiver, type Receiver } from './receiver.js';

const SECRET = 'shsec_publishertest';

function destination(url: string, overrides: Partial<Destination['config']> = {}): Destination {
  return {
    id: 'des_000000000aaaaaaa',
    teamId: 'tm_000000000aaaaaaa',
    name: 'receiver',
    description: null,
    type: 'HTTP',
    config: { url, http_method: null, timeout: 5000, headers: {}, rate_limit: null, rate_limit_period: null, ...overrides },
    disabledAt: null,
    createdAt: 0,
    updatedAt: 0,
  };
}

const request: RequestRecord = {
  id: 'req_000000000aaaaaaa',
  teamId: 'tm_000000000aaaaaaa',
  sourceId: 'src_000000000aaaaaaa',
  method: 'POST',
  path: '/orders',
  query: 'a=1',
  headers: { 'content-type': 'application/json', host: 'gateway.example', 'content-length': '11', 'x-upstream': 'yes' },
  body: Buffer.from('{"order":1}'),
  bodyIsJson: true,
  rejectionCause: null,
  eventIds: ['evt_000000000aaaaaaa'],
  createdAt: 0,
};

function input(url: string, overrides: Partial<PublishInput> = {}): PublishInput {
  return {
    destination: destination(url),
    request,
    eventId: 'evt_000000000aaaaaaa',
    sourceName: 'shop',
    attemptNumber: 1,
    trigger: 'INITIAL',
    willRetryAfterMs: 30_000,
    signingSecret: SECRET,
    timeoutMs: 2000,
    ...overrides,
  };
}

const never = new AbortController().signal;

/** Every test of a publisher runs with the sender in this thread and with the HTTP sender thread (senderThread.ts). */
const SENDERS = [
  { name: 'in-thread sender', threaded: false },
  { name: 'HTTP sender thread', threaded: true },
] as const;

interface Sending {
  publisher: HttpPublisher;
  close(): Promise<void>;
}

function sending(options: HttpPublisherOptions, threaded: boolean): Sending {
  if (!threaded) {
    const publisher = new HttpPublisher(options);
    return { publisher, close: () => publisher.close() };
  }
  const sender = new ThreadedHttpSender(options);
  const publisher = new HttpPublisher({ ...options, sender });
  return {
    publisher,
    close: async () => {
      await publisher.close();
      await sender.close();
    },
  };
}

function expectKind<K extends PublishOutcome['kind']>(outcome: PublishOutcome, kind: K): Extract<PublishOutcome, { kind: K }> {
  assert.equal(outcome.kind, kind, JSON.stringify(outcome));
  return outcome as Extract<PublishOutcome, { kind: K }>;
}

for (const { name, threaded } of SENDERS) {
  describe(`HttpPublisher against a real receiver (${name})`, () => {
    let receiver: Receiver;
    let sent: Sending;
    let publisher: HttpPublisher;

    before(async () => {
      receiver = await startReceiver();
      sent = sending({ responseBodyLimit: 1000, outboundAllowlist: ['127.0.0.1/32'] }, threaded);
      publisher = sent.publisher;
    });
    after(async () => {
      await sent.close();
      await receiver.close();
    });
    beforeEach(() => {
      receiver.handler = ok;
      receiver.received.length = 0;
    });

    it('forwards method, path, query, body and headers, and reports a 2xx as success', async () => {
      receiver.handler = (_req, res) => res.writeHead(201, { 'content-type': 'application/json' }).end('{"ok":true}');
      const outcome = expectKind(await publisher.publish(input(`${receiver.url}/in?k=v`), never), 'success');
      assert.equal(outcome.status, 201);
      assert.equal(outcome.body, '{"ok":true}');
      assert.equal(outcome.requestedUrl, `${receiver.url}/in/orders?k=v&a=1`);
      assert.equal(outcome.httpMethod, 'POST');
      assert.ok(outcome.responseLatency >= 0);
      const [got] = receiver.received;
      assert.ok(got);
      assert.equal(got.method, 'POST');
      assert.equal(got.url, '/in/orders?k=v&a=1');
      assert.equal(got.body.toString(), '{"order":1}');
      assert.equal(got.headers['x-upstream'], 'yes');
      assert.equal(got.headers.host, `127.0.0.1:${receiver.port}`);
      assert.equal(got.headers['x-sluice-event-id'], 'evt_000000000aaaaaaa');
      assert.equal(got.headers['x-sluice-attempt-count'], '1');
      assert.equal(got.headers['x-sluice-will-retry-after'], '30');
      assert.equal(got.headers['x-sluice-signature'], signBody(SECRET, request.body));
    });

    it('reports a 500 as rejected with its body', async () => {
      receiver.handler = (_req, res) => res.writeHead(500, { 'content-type': 'text/plain' }).end('boom');
      const outcome = expectKind(await publisher.publish(input(receiver.url), never), 'rejected');
      assert.equal(outcome.status, 500);
      assert.equal(outcome.body, 'boom');
      assert.equal(outcome.retryAfterMs, undefined);
    });

    it('passes on Retry-After of a 429', async () => {
      receiver.handler = (_req, res) => res.writeHead(429, { 'retry-after': '7' }).end();
      const outcome = expectKind(await publisher.publish(input(receiver.url), never), 'rejected');
      assert.equal(outcome.status, 429);
      assert.equal(outcome.retryAfterMs, 7000);
    });

    it('times out a slow receiver at the attempt timeout', async () => {
      receiver.handler = async (_req, res) => {
        await sleep(4000);
        res.end('late');
      };
      const started = Date.now();
      const outcome = expectKind(await publisher.publish(input(receiver.url, { timeoutMs: 200 }), never), 'unreachable');
      assert.equal(outcome.errorCode, 'TIMEOUT');
      assert.ok(Date.now() - started < 2000, 'gave up at the 200 ms timeout (with room for a loaded machine), not when the receiver answered after 4 s');
    });

    it('times out a receiver that sends headers and then stalls the body', async () => {
      receiver.handler = async (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('partial');
        await sleep(1500);
        res.end();
      };
      const outcome = await publisher.publish(input(receiver.url, { timeoutMs: 300 }), never);
      // The status arrived in time: it counts, with what came of the body.
      assert.equal(outcome.kind, 'success');
    });

    it('reports a closed port as CONNECTION_REFUSED', async () => {
      const port = await closedPort();
      const outcome = expectKind(await publisher.publish(input(`http://127.0.0.1:${port}/`), never), 'unreachable');
      assert.equal(outcome.errorCode, 'CONNECTION_REFUSED');
      assert.match(outcome.message, /ECONNREFUSED/);
    });

    it('reports a connection dropped mid-request as reset or closed', async () => {
      receiver.handler = (_req, res) => res.socket?.destroy();
      const outcome = expectKind(await publisher.publish(input(receiver.url), never), 'unreachable');
      assert.ok(['CONNECTION_RESET', 'SOCKET_CLOSED'].includes(outcome.errorCode), outcome.errorCode);
    });

    it('reports an abort by the caller as CANCELLED', async () => {
      receiver.handler = async (_req, res) => {
        await sleep(1000);
        res.end();
      };
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 50);
      const outcome = expectKind(await publisher.publish(input(receiver.url), controller.signal), 'unreachable');
      assert.equal(outcome.errorCode, 'CANCELLED');
    });

    it('does not follow redirects: a 3xx is a refusal and the target never sees a request', async () => {
      const target = await startReceiver();
      try {
        receiver.handler = (_req, res) => res.writeHead(302, { location: `${target.url}/elsewhere` }).end();
        const outcome = expectKind(await publisher.publish(input(receiver.url), never), 'rejected');
        assert.equal(outcome.status, 302);
        await sleep(50);
        assert.equal(target.received.length, 0);
        assert.equal(target.connections(), 0);
      } finally {
        await target.close();
      }
    });

    it('keeps only the first bytes of a large body, drains the rest, and reuses the connection', async () => {
      const big = 'x'.repeat(200_000);
      receiver.handler = (_req, res) => res.writeHead(500, { 'content-type': 'text/plain' }).end(big);
      const before = receiver.connections();
      const first = expectKind(await publisher.publish(input(receiver.url), never), 'rejected');
      assert.equal(first.body, 'x'.repeat(1000));
      receiver.handler = ok;
      expectKind(await publisher.publish(input(receiver.url), never), 'success');
      expectKind(await publisher.publish(input(receiver.url), never), 'success');
      assert.ok(receiver.connections() - before <= 1, `keep-alive: ${receiver.connections() - before} new connections for 3 requests`);
    });

    it('notes a binary body instead of storing it as text', async () => {
      receiver.handler = (_req, res) => res.writeHead(200, { 'content-type': 'image/png' }).end(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 0xff]));
      const outcome = expectKind(await publisher.publish(input(receiver.url), never), 'success');
      assert.equal(outcome.body, '[binary body: 8 bytes, image/png]');
    });

    it('sends no body with GET', async () => {
      const get = input(receiver.url, { destination: destination(receiver.url, { http_method: 'GET' }) });
      expectKind(await publisher.publish(get, never), 'success');
      assert.equal(receiver.received[0]?.method, 'GET');
      assert.equal(receiver.received[0]?.body.length, 0);
    });

    it('reports an unresolvable host as DNS_LOOKUP_FAILED', async () => {
      const outcome = expectKind(await publisher.publish(input('http://no-such-host.invalid/'), never), 'unreachable');
      assert.equal(outcome.errorCode, 'DNS_LOOKUP_FAILED');
    });
  });

  describe(`SSRF guard (${name})`, () => {
    let canary: Receiver;
    let sent: Sending;
    let publisher: HttpPublisher;

    before(async () => {
      canary = await startReceiver();
      sent = sending({ responseBodyLimit: 1000, outboundAllowlist: [] }, threaded);
      publisher = sent.publisher;
    });
    after(async () => {
      await sent.close();
      await canary.close();
    });

    it('refuses loopback in every spelling, private, metadata, CGNAT and ULA addresses, and the canary sees nothing', async () => {
      const port = canary.port;
      const hostile = [
        `http://127.0.0.1:${port}/`,
        `http://2130706433:${port}/`,
        `http://0x7f000001:${port}/`,
        `http://0177.0.0.1:${port}/`,
        `http://127.1:${port}/`,
        `http://[::ffff:127.0.0.1]:${port}/`,
        `http://[::ffff:7f00:1]:${port}/`,
        `http://[::1]:${port}/`,
        `http://localhost:${port}/`,
        `http://0.0.0.0:${port}/`,
        `http://[::]:${port}/`,
        'http://169.254.169.254/latest/meta-data/',
        'http://10.0.0.1/',
        'http://172.16.5.4/',
        'http://192.168.1.1/',
        'http://100.64.0.1/',
        'http://[fc00::1]/',
        'http://[fd12:3456::1]/',
        'http://[fe80::1]/',
        'http://[64:ff9b::a00:1]/',
      ];
      for (const url of hostile) {
        const outcome = expectKind(await publisher.publish(input(url), never), 'unreachable');
        assert.equal(outcome.errorCode, 'BLOCKED_ADDRESS', url);
        assert.match(outcome.message, /SLUICE_OUTBOUND_ALLOWLIST/, url);
      }
      await sleep(50);
      assert.equal(canary.connections(), 0);
      assert.equal(canary.received.length, 0);
    });

    it('lets an allowlisted range through, and only that range', async () => {
      const allowing = sending({ responseBodyLimit: 1000, outboundAllowlist: ['127.0.0.1/32'] }, threaded);
      try {
        expectKind(await allowing.publisher.publish(input(`${canary.url}/`), never), 'success');
        const v6 = expectKind(await allowing.publisher.publish(input(`http://[::1]:${canary.port}/`), never), 'unreachable');
        assert.equal(v6.errorCode, 'BLOCKED_ADDRESS');
      } finally {
        await allowing.close();
      }
    });
  });
}

describe('address guard', () => {
  const guard = createAddressGuard(['10.1.0.0/16', '::1/128']);

  it('blocks internal addresses and lets public ones through', () => {
    for (const address of ['127.0.0.1', '10.0.0.1', '169.254.169.254', '100.127.255.255', '0.0.0.0', '255.255.255.255', '::', 'fe80::1', 'fc00::1', '::ffff:192.168.0.1', '::ffff:a9fe:a9fe', '64:ff9b::7f00:1', 'not-an-ip']) {
      assert.equal(guard.isBlocked(address), true, address);
    }
    for (const address of ['8.8.8.8', '1.1.1.1', '100.128.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8']) {
      assert.equal(guard.isBlocked(address), false, address);
    }
  });

  it('lets the allowlist through, IPv4-mapped forms included', () => {
    assert.equal(guard.isBlocked('10.1.2.3'), false);
    assert.equal(guard.isBlocked('::ffff:10.1.2.3'), false);
    assert.equal(guard.isBlocked('10.2.0.1'), true);
    assert.equal(guard.isBlocked('::1'), false);
    assert.equal(guard.isBlocked('[::1]'), false);
  });
});

describe('parseRetryAfter', () => {
  it('reads delta-seconds and HTTP dates', () => {
    const now = Date.parse('2024-01-01T00:00:00Z');
    assert.equal(parseRetryAfter('120', now), 120_000);
    assert.equal(parseRetryAfter('Mon, 01 Jan 2024 00:01:00 GMT', now), 60_000);
    assert.equal(parseRetryAfter('Sun, 31 Dec 2023 00:00:00 GMT', now), 0);
    assert.equal(parseRetryAfter('soon', now), undefined);
    assert.equal(parseRetryAfter(undefined, now), undefined);
  });
});
