/**
 * The destination conformance suite: what every outbound destination type must do, run against a real peer (or a
 * protocol emulator / fake) that each type's test file registers as a `Peer`. Delivery with the body byte for
 * byte, metadata carried natively, a down peer as a retryable failure, a missing queue/exchange/bucket as a
 * permanent one, reconnection after the peer restarts or drops the connection, one connection reused for many
 * messages, masked credentials, and hostile input refused with VALIDATION_ERROR naming the field.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { DestinationTarget, DestinationType, OutboundMessage, PublishOutcome, TypedPublisher } from '../../src/destinations/types.js';
import { assertInvalid, options, outboundMessage } from './outbound.js';

/** What arrived at the peer for one message. */
export interface Arrived {
  body: Buffer;
  /** The native attributes/headers as the peer saw them (names as the peer spells them). */
  metadata: Record<string, string>;
}

export interface PeerTarget<C, K> {
  target: DestinationTarget<C, K>;
  /** Waits for the message with this event id to arrive and returns it (rejects after `timeoutMs`). */
  arrived: (eventId: string, timeoutMs?: number) => Promise<Arrived>;
}

export interface Peer<C, K> {
  type: DestinationType<C, K>;
  /** Raw API input the type must accept (config, credentials), and the target it stands for. */
  validInput: { config: Record<string, unknown>; credentials: Record<string, unknown> };
  /** Bad or hostile config input → the field the error must name. */
  badConfig: [input: unknown, field: string][];
  badCredentials: [input: unknown, field: string][];
  /** Credentials whose every secret value must not appear in full in maskCredentials' answer. */
  secretValues(credentials: K): string[];
  /** A fresh target on the peer (its own queue/exchange/bucket/stream/URL). */
  newTarget(): Promise<PeerTarget<C, K>>;
  /** A target naming something that does not exist on the peer (queue, exchange, bucket, stream, topic). */
  missingTarget(): Promise<DestinationTarget<C, K>>;
  /** A target whose peer is down (stopped, or a port nobody listens on). */
  downTarget(): Promise<DestinationTarget<C, K>>;
  /** Restarts the peer, or drops its connections from the server side; `target` must work again afterwards. */
  restart(target: PeerTarget<C, K>): Promise<void>;
  /** TCP connections clients opened to the peer so far. */
  connections(): number;
  /** How metadata shows at the peer (default: each metadata pair, as is, among `arrived.metadata`). */
  checkMetadata?(message: OutboundMessage, arrived: Arrived): void;
  /** True when the protocol carries concurrent messages on one connection (AMQP, gRPC), not a socket pool. */
  multiplexed?: boolean;
  /** Test deps for createPublisher: loopback must be allowed. */
  allowlist?: string[];
  close(): Promise<void>;
}

function failed(outcome: PublishOutcome): boolean {
  return outcome.kind === 'rejected' || outcome.kind === 'unreachable';
}

export function destinationConformance<C, K>(name: string, startPeer: () => Promise<Peer<C, K>>): void {
  describe(`destination conformance: ${name}`, () => {
    let peer: Peer<C, K>;
    let publisher: TypedPublisher<C, K>;

    before(async () => {
      peer = await startPeer();
      publisher = peer.type.createPublisher({ outboundAllowlist: peer.allowlist ?? ['127.0.0.1/32'], responseBodyLimit: 1000 });
    });
    after(async () => {
      await publisher?.close();
      await peer?.close();
    });

    const send = (message: OutboundMessage, target: DestinationTarget<C, K>, timeoutMs = 5000) => publisher.publish(message, target, options({ timeoutMs }));

    it('delivers the body byte for byte and reports success', async () => {
      const { target, arrived } = await peer.newTarget();
      // Non-ASCII from the Basic Multilingual Plane (fauxqs, unlike SQS, refuses characters beyond U+FFFF).
      const message = outboundMessage({ data: { text: 'ünïcødé ✓ — 日本語', quote: '"\\', big: 'x'.repeat(20_000) } });
      const outcome = await send(message, target);
      assert.equal(outcome.kind, 'success', JSON.stringify(outcome));
      assert.ok(outcome.requestedUrl.length > 0 && outcome.httpMethod.length > 0);
      const got = await arrived(message.eventId);
      assert.ok(got.body.equals(message.body), `body differs: ${got.body.subarray(0, 80).toString()}`);
    });

    it('carries the metadata natively', async () => {
      const { target, arrived } = await peer.newTarget();
      const message = outboundMessage({ eventType: 'credential.verified' });
      assert.equal((await send(message, target)).kind, 'success');
      const got = await arrived(message.eventId);
      if (peer.checkMetadata !== undefined) return peer.checkMetadata(message, got);
      for (const [key, value] of Object.entries(message.metadata)) assert.equal(got.metadata[key], value, `metadata ${key}`);
    });

    it('reports a peer that is down as a retryable failure', async () => {
      const outcome = await send(outboundMessage(), await peer.downTarget(), 3000);
      assert.ok(failed(outcome), JSON.stringify(outcome));
      assert.notEqual((outcome as { permanent?: boolean }).permanent, true, JSON.stringify(outcome));
    });

    it('reports a missing queue/exchange/bucket/stream as a permanent failure', async () => {
      const outcome = await send(outboundMessage(), await peer.missingTarget());
      assert.ok(failed(outcome), JSON.stringify(outcome));
      assert.equal((outcome as { permanent?: boolean }).permanent, true, JSON.stringify(outcome));
    });

    it('reconnects after the peer restarts or drops the connection', async () => {
      const peerTarget = await peer.newTarget();
      const first = outboundMessage();
      assert.equal((await send(first, peerTarget.target)).kind, 'success');
      const connectionsBefore = peer.connections();
      await peer.restart(peerTarget);
      // The dispatcher retries a failure; the publisher must not need rebuilding for a retry to succeed. One
      // attempt may still fail while the drop is being noticed — it must fail retryably.
      const second = outboundMessage();
      let outcome = await send(second, peerTarget.target);
      for (let attempt = 1; attempt < 3 && outcome.kind !== 'success'; attempt += 1) {
        assert.notEqual((outcome as { permanent?: boolean }).permanent, true, JSON.stringify(outcome));
        outcome = await send(second, peerTarget.target);
      }
      assert.equal(outcome.kind, 'success', JSON.stringify(outcome));
      const got = await peerTarget.arrived(second.eventId);
      assert.ok(got.body.equals(second.body));
      assert.ok(peer.connections() > connectionsBefore, 'the publisher opened a new connection after the restart');
    });

    it('reuses one connection for many messages', async (t) => {
      // A publisher of its own: the shared one's pools carry the earlier tests' dropped connections (undici 7
      // opens a socket per request to an origin after a request failed on a socket the peer had closed).
      const own = peer.type.createPublisher({ outboundAllowlist: peer.allowlist ?? ['127.0.0.1/32'], responseBodyLimit: 1000 });
      t.after(() => own.close());
      const send = (message: OutboundMessage, target: DestinationTarget<C, K>) => own.publish(message, target, options());
      const { target, arrived } = await peer.newTarget();
      const warm = outboundMessage();
      assert.equal((await send(warm, target)).kind, 'success');
      const opened = peer.connections();
      const sequential = Array.from({ length: 8 }, () => outboundMessage());
      for (const message of sequential) assert.equal((await send(message, target)).kind, 'success');
      // HTTP/1.1 pools may open one more socket when a request follows another at once (the first is handed back
      // a tick after its response); never one per message.
      assert.ok(peer.connections() - opened <= 1, `${peer.connections() - opened} new connections for 8 sequential messages`);
      const concurrent = Array.from({ length: 8 }, () => outboundMessage());
      const outcomes = await Promise.all(concurrent.map((message) => send(message, target)));
      for (const outcome of outcomes) assert.equal(outcome.kind, 'success', JSON.stringify(outcome));
      for (const message of [...sequential, ...concurrent]) await arrived(message.eventId);
      // Multiplexing protocols (AMQP, gRPC) carry concurrent messages on the one connection too.
      if (peer.multiplexed === true) assert.ok(peer.connections() - opened <= 1, `${peer.connections() - opened} connections after concurrent messages`);
    });

    it('masks every secret', () => {
      const credentials = peer.type.parseCredentials(peer.validInput.credentials, null, Date.now());
      const masked = JSON.stringify(peer.type.maskCredentials(credentials));
      for (const secret of peer.secretValues(credentials)) {
        assert.ok(!masked.includes(secret), `mask shows a secret in full: ${masked}`);
        if (secret.length >= 12) assert.ok(!masked.includes(secret.slice(0, 12)), `mask shows most of a secret: ${masked}`);
      }
    });

    it('accepts valid input and refuses bad or hostile input with VALIDATION_ERROR naming the field', () => {
      const { config, credentials } = peer.validInput;
      peer.type.parseConfig(config);
      peer.type.parseConfig({ ...config, ...credentials });
      peer.type.parseCredentials({ ...config, ...credentials }, null, Date.now());
      const t = peer.type.type;
      const hostile: [unknown, string][] = [
        ['a string', t],
        [[config], t],
        [42, t],
        [{ ...config, unknown_field: 'x' }, `${t}.unknown_field`],
        [Object.assign(JSON.parse('{"__proto__": {"polluted": true}}') as object, config), `${t}.__proto__`],
      ];
      const hostileCredentials: [unknown, string][] = [
        ['a string', t],
        [{ ...credentials, unknown_field: 'x' }, `${t}.unknown_field`],
      ];
      for (const [input, field] of [...hostile, ...peer.badConfig]) assertInvalid(() => peer.type.parseConfig(input), field);
      for (const [input, field] of [...hostileCredentials, ...peer.badCredentials]) assertInvalid(() => peer.type.parseCredentials(input, null, Date.now()), field);
      assert.equal(({} as Record<string, unknown>).polluted, undefined);
      for (const field of [...peer.type.configFields, ...peer.type.credentialFields]) {
        assert.ok(field.label !== '' && field.description !== '', `field ${field.key} is described`);
      }
    });
  });
}
