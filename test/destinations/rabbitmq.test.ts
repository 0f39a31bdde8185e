import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { rabbitmq } from '../../src/destinations/rabbitmq/index.js';
import type { RabbitmqConfig, RabbitmqCredentials } from '../../src/destinations/rabbitmq/config.js';
import type { TypedPublisher } from '../../src/destinations/types.js';
import { destinationConformance } from './conformance.js';
import { assertInvalid, expectOutcome, options, outboundMessage } from './outbound.js';
import { rabbitmqctlWorks, startRabbitPeer, type RabbitPeer } from './peers/rabbitmq.js';

const canCloseFromServer = await rabbitmqctlWorks();

destinationConformance('rabbitmq (the real broker on 127.0.0.1:5672)', async () => {
  const peer = await startRabbitPeer();
  return {
    type: rabbitmq,
    validInput: { config: { server_url: 'amqp://127.0.0.1:5672', exchange: 'events' }, credentials: { username: 'guest', password: 'guest-password-long' } },
    badConfig: [
      [{ exchange: 'events' }, 'rabbitmq.server_url'],
      [{ server_url: 'http://127.0.0.1', exchange: 'events' }, 'rabbitmq.server_url'],
      [{ server_url: 'amqp://user:pw@127.0.0.1', exchange: 'events' }, 'rabbitmq.server_url'],
      [{ server_url: 'amqp://127.0.0.1/a/b', exchange: 'events' }, 'rabbitmq.server_url'],
      [{ server_url: 'amqp://127.0.0.1' }, 'rabbitmq.exchange'],
      [{ server_url: 'amqp://127.0.0.1', exchange: 'bad exchange!' }, 'rabbitmq.exchange'],
      [{ server_url: 'amqp://127.0.0.1', exchange: 'x'.repeat(300) }, 'rabbitmq.exchange'],
      [{ server_url: 'amqps://127.0.0.1', exchange: 'e', tls: false }, 'rabbitmq.tls'],
      [{ server_url: 'amqp://127.0.0.1', exchange: 'e', tls: 'yes' }, 'rabbitmq.tls'],
    ],
    badCredentials: [
      [{ password: 'p' }, 'rabbitmq.username'],
      [{ username: 'u' }, 'rabbitmq.password'],
      [{ username: 'u', password: 7 }, 'rabbitmq.password'],
      [{ username: 'u\n', password: 'p' }, 'rabbitmq.username'],
    ],
    secretValues: (credentials) => [credentials.password, credentials.username],
    newTarget: () => peer.newTarget(),
    missingTarget: async () => peer.missingTarget(),
    downTarget: () => peer.downTarget(),
    async restart(target) {
      if (canCloseFromServer) assert.ok((await peer.closeFromServer(target.target.destinationId)) >= 1, 'found the connection to close');
      else peer.proxy.dropAll();
    },
    connections: () => peer.proxy.connections(),
    multiplexed: true,
    close: () => peer.close(),
  };
});

describe('rabbitmq specifics', () => {
  let peer: RabbitPeer;
  let publisher: TypedPublisher<RabbitmqConfig, RabbitmqCredentials>;

  before(async () => {
    peer = await startRabbitPeer();
    publisher = rabbitmq.createPublisher({ outboundAllowlist: ['127.0.0.1/32'], responseBodyLimit: 1000 });
  });
  after(async () => {
    await publisher.close();
    await peer.close();
  });

  it('publishes with routing key = event type, message id, persistence, timestamp and metadata headers', async () => {
    const { target, arrived } = await peer.newTarget();
    const message = outboundMessage({ eventType: 'task_run.failed' });
    const outcome = expectOutcome(await publisher.publish(message, target, options()), 'success');
    assert.equal(outcome.httpMethod, 'basic.publish');
    assert.ok(!outcome.requestedUrl.includes('guest'), 'no credentials in the recorded URL');
    const got = (await arrived(message.eventId)) as Awaited<ReturnType<typeof arrived>> & { routingKey: string; properties: Record<string, unknown> };
    assert.equal(got.routingKey, 'task_run.failed');
    assert.equal(got.properties.messageId, message.eventId);
    assert.equal(got.properties.deliveryMode, 2);
    assert.equal(got.properties.contentType, 'application/json');
    assert.equal(got.properties.type, 'task_run.failed');
    assert.equal(got.properties.timestamp, Math.floor(message.createdAt / 1000));
    assert.equal(got.metadata['event-type'], 'task_run.failed');
  });

  it('normalises the server URL and derives TLS from amqps', () => {
    assert.deepEqual(rabbitmq.parseConfig({ server_url: 'amqp://mq.example.com', exchange: 'e' }), { server_url: 'amqp://mq.example.com:5672/', exchange: 'e', tls: false });
    assert.deepEqual(rabbitmq.parseConfig({ server_url: 'amqps://mq.example.com/prod', exchange: 'e' }), { server_url: 'amqps://mq.example.com:5671/prod', exchange: 'e', tls: true });
    assert.deepEqual(rabbitmq.parseConfig({ server_url: 'amqp://mq.example.com:5673', exchange: 'e', tls: true }).server_url, 'amqps://mq.example.com:5673/');
  });

  it('keeps stored credentials on an update that leaves them out', () => {
    const stored = rabbitmq.parseCredentials({ username: 'u', password: 'p' }, null, 0);
    assert.deepEqual(rabbitmq.parseCredentials({}, stored, 0), stored);
    assert.deepEqual(rabbitmq.parseCredentials({ password: 'q' }, stored, 0), { username: 'u', password: 'q' });
    assertInvalid(() => rabbitmq.parseCredentials({}, null, 0), 'rabbitmq.username');
  });

  it('reports wrong credentials as a permanent 403', async () => {
    const { target } = await peer.newTarget();
    const outcome = expectOutcome(await publisher.publish(outboundMessage(), { ...target, destinationId: 'evtd_badpw', credentials: { username: 'guest', password: 'wrong' } }, options()), 'rejected');
    assert.equal(outcome.status, 403);
    assert.equal(outcome.permanent, true);
  });

  it('recovers a channel the broker closed (missing exchange) on the same connection', async () => {
    const { target, arrived, exchange } = await peer.newTarget();
    const connections = peer.proxy.connections();
    await peer.channel.deleteExchange(exchange);
    const missing = expectOutcome(await publisher.publish(outboundMessage(), target, options()), 'rejected');
    assert.equal(missing.status, 404);
    await peer.channel.assertExchange(exchange, 'topic', { durable: false });
    await peer.channel.bindQueue(`${exchange}-q`, exchange, '#');
    const message = outboundMessage();
    expectOutcome(await publisher.publish(message, target, options()), 'success');
    await arrived(message.eventId);
    assert.ok(peer.proxy.connections() - connections <= 1);
  });

  it('refuses a blocked address without connecting', async () => {
    const guarded = rabbitmq.createPublisher({ outboundAllowlist: [], responseBodyLimit: 0 });
    try {
      const { target } = await peer.newTarget();
      const before = peer.proxy.connections();
      const outcome = expectOutcome(await guarded.publish(outboundMessage(), target, options()), 'unreachable');
      assert.equal(outcome.errorCode, 'BLOCKED_ADDRESS');
      assert.equal(outcome.permanent, true);
      assert.equal(peer.proxy.connections(), before);
    } finally {
      await guarded.close();
    }
  });

  it('opens a new connection when the destination is evicted (its settings changed)', async () => {
    const { target } = await peer.newTarget();
    expectOutcome(await publisher.publish(outboundMessage(), target, options()), 'success');
    const before = peer.proxy.connections();
    await publisher.evict(target.destinationId);
    expectOutcome(await publisher.publish(outboundMessage(), target, options()), 'success');
    assert.equal(peer.proxy.connections(), before + 1);
  });
});
