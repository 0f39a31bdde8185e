/**
 * The RabbitMQ peer: the real broker on 127.0.0.1:5672 (guest/guest), reached through a counting TCP proxy.
 * Each target gets its own temporary exchange and a queue bound to it with `#`, consumed here. A restart is a
 * server-side close of the publisher's connections (`rabbitmqctl close_connection`, found by the connection name
 * the publisher sets), or, where rabbitmqctl cannot be run, a drop of the proxied sockets.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { connect, type Channel, type ChannelModel } from 'amqplib';
import type { RabbitmqConfig, RabbitmqCredentials } from '../../../src/destinations/rabbitmq/config.js';
import type { DestinationTarget } from '../../../src/destinations/types.js';
import type { Arrived, PeerTarget } from '../conformance.js';
import { closedPort } from '../receiver.js';
import { startTcpProxy, type TcpProxy } from './tcpProxy.js';

const run = promisify(execFile);
export const BROKER_URL = 'amqp://guest:guest@127.0.0.1:5672';

export interface RabbitPeer {
  proxy: TcpProxy;
  admin: ChannelModel;
  channel: Channel;
  newTarget(tls?: false): Promise<PeerTarget<RabbitmqConfig, RabbitmqCredentials> & { exchange: string; queue: string }>;
  missingTarget(): DestinationTarget<RabbitmqConfig, RabbitmqCredentials>;
  downTarget(): Promise<DestinationTarget<RabbitmqConfig, RabbitmqCredentials>>;
  /** Closes, from the broker's side, every connection a publisher opened for `destinationId`. */
  closeFromServer(destinationId: string): Promise<number>;
  close(): Promise<void>;
}

let sequence = 0;

async function rabbitmqctl(args: string[]): Promise<string> {
  const { stdout } = await run('rabbitmqctl', args, { timeout: 20_000 });
  return stdout;
}

export async function startRabbitPeer(): Promise<RabbitPeer> {
  const proxy = await startTcpProxy(5672);
  const admin = await connect(BROKER_URL);
  const channel = await admin.createChannel();
  const cleanups: (() => Promise<unknown>)[] = [];
  const credentials: RabbitmqCredentials = { username: 'guest', password: 'guest' };
  const config = (exchange: string, port = proxy.port): RabbitmqConfig => ({ server_url: `amqp://127.0.0.1:${port}/`, exchange, tls: false });

  return {
    proxy,
    admin,
    channel,
    async newTarget() {
      sequence += 1;
      const name = `sluice-test-${process.pid}-${Date.now().toString(36)}-${sequence}`;
      await channel.assertExchange(name, 'topic', { durable: false, autoDelete: false });
      const { queue } = await channel.assertQueue(`${name}-q`, { durable: false, exclusive: true });
      await channel.bindQueue(queue, name, '#');
      cleanups.push(() => channel.deleteExchange(name).catch(() => undefined));
      const byId = new Map<string, Arrived & { routingKey: string; properties: Record<string, unknown> }>();
      const waiters = new Set<() => void>();
      await channel.consume(
        queue,
        (msg) => {
          if (msg === null) return;
          const headers = Object.fromEntries(Object.entries(msg.properties.headers ?? {}).map(([k, v]) => [k, String(v)]));
          byId.set(String(msg.properties.messageId), { body: msg.content, metadata: headers, routingKey: msg.fields.routingKey, properties: msg.properties as unknown as Record<string, unknown> });
          for (const wake of waiters) wake();
        },
        { noAck: true },
      );
      const destinationId = `evtd_${name}`;
      return {
        exchange: name,
        queue,
        target: { destinationId, config: config(name), credentials },
        arrived: (eventId, timeoutMs = 5000) =>
          new Promise((resolve, reject) => {
            const check = () => {
              const got = byId.get(eventId);
              if (got === undefined) return;
              waiters.delete(check);
              clearTimeout(timer);
              resolve(got);
            };
            const timer = setTimeout(() => {
              waiters.delete(check);
              reject(new Error(`no message ${eventId} on ${queue} within ${timeoutMs} ms`));
            }, timeoutMs);
            waiters.add(check);
            check();
          }),
      };
    },
    missingTarget: () => ({ destinationId: `evtd_missing_${sequence++}`, config: config(`sluice-no-such-exchange-${Date.now()}`), credentials }),
    downTarget: async () => ({ destinationId: `evtd_down_${sequence++}`, config: config('amq.topic', await closedPort()), credentials }),
    async closeFromServer(destinationId) {
      const listing = await rabbitmqctl(['list_connections', 'pid', 'client_properties', '--no-table-headers', '-q']);
      const pids = listing
        .split('\n')
        .filter((line) => line.includes(`sluice:${destinationId}`))
        .map((line) => line.split('\t')[0] ?? '')
        .filter((pid) => pid !== '');
      for (const pid of pids) await rabbitmqctl(['close_connection', pid, 'sluice test: broker-side close']);
      return pids.length;
    },
    async close() {
      for (const cleanup of cleanups) await cleanup();
      await admin.close().catch(() => undefined);
      await proxy.close();
    },
  };
}

/** True when rabbitmqctl can talk to the local broker (root, or the broker's user). */
export async function rabbitmqctlWorks(): Promise<boolean> {
  try {
    await rabbitmqctl(['list_connections', 'pid', '-q']);
    return true;
  } catch {
    return false;
  }
}
