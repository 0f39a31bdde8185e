/**
 * An IN-PROCESS PROTOCOL FAKE of Azure Service Bus — not the real service, not the official emulator: an AMQP 1.0
 * server built with rhea, the AMQP library the Azure SDK itself runs on. It does what the SDK needs to send:
 * SASL (ANONYMOUS/PLAIN), the claims-based-security token put on `$cbs` (answered 202 Accepted, as Service Bus
 * does), and transfers on a queue/topic link, which it records and accepts. A link to an entity that does not
 * exist is refused with `amqp:not-found`, as Service Bus refuses it. The SDK reaches it through a connection
 * string with `UseDevelopmentEmulator=true` (plain AMQP, the Service Bus emulator's mode) via a counting proxy.
 */
import rhea, { type Connection, type EventContext, type Sender } from 'rhea';
import type { AddressInfo, Server } from 'node:net';
import type { ServiceBusConfig, ServiceBusCredentials } from '../../../src/destinations/azure_servicebus/config.js';
import type { DestinationTarget } from '../../../src/destinations/types.js';
import type { Arrived, PeerTarget } from '../conformance.js';
import { closedPort } from '../receiver.js';
import { poll } from './aws.js';
import { startTcpProxy, type TcpProxy } from './tcpProxy.js';

export interface RecordedTransfer {
  entity: string;
  body: Buffer;
  messageId: string;
  subject: string | undefined;
  contentType: string | undefined;
  applicationProperties: Record<string, string>;
}

export interface ServiceBusFake {
  proxy: TcpProxy;
  recorded: RecordedTransfer[];
  /** CBS token puts answered. */
  tokenPuts(): number;
  newTarget(): Promise<PeerTarget<ServiceBusConfig, ServiceBusCredentials>>;
  missingTarget(): Promise<DestinationTarget<ServiceBusConfig, ServiceBusCredentials>>;
  downTarget(): Promise<DestinationTarget<ServiceBusConfig, ServiceBusCredentials>>;
  restart(): Promise<void>;
  close(): Promise<void>;
}

/** What the SDK may send as a body, as bytes (a Buffer body arrives as an AMQP data section). */
function bodyBytes(body: unknown): Buffer {
  if (Buffer.isBuffer(body)) return body;
  const section = body as { typecode?: number; content?: unknown } | null;
  if (section !== null && typeof section === 'object' && Buffer.isBuffer(section.content)) return section.content;
  return Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
}

export function connectionString(port: number, key = 'fake-shared-access-key-0123456789abcdef='): string {
  return `Endpoint=sb://127.0.0.1:${port};SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=${key};UseDevelopmentEmulator=true`;
}

export async function startServiceBusFake(): Promise<ServiceBusFake> {
  const entities = new Set<string>();
  const recorded: RecordedTransfer[] = [];
  let puts = 0;
  const connections = new Set<Connection>();

  const serve = async (port: number): Promise<Server> => {
    const container = rhea.create_container({ id: 'sluice-servicebus-fake' });
    // eslint-disable-next-line @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-member-access -- rhea types this as any
    container.sasl_server_mechanisms.enable_anonymous();
    // eslint-disable-next-line @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-member-access -- rhea types this as any
    container.sasl_server_mechanisms.enable_plain(() => true);
    /** Per connection: reply address → the link that carries CBS answers back. */
    const replyLinks = new WeakMap<Connection, Map<string, Sender>>();
    container.on('connection_open', (context: EventContext) => {
      connections.add(context.connection);
      replyLinks.set(context.connection, new Map());
    });
    container.on('disconnected', (context: EventContext) => connections.delete(context.connection));
    container.on('connection_close', (context: EventContext) => connections.delete(context.connection));
    container.on('sender_open', (context: EventContext) => {
      // The client's receiving end: for $cbs it names its reply address as the link's target.
      // The SDK leaves the target empty and names its reply address in each request's reply_to.
      const sender = context.sender!;
      const reply = (sender.target as { address?: string } | undefined)?.address ?? (sender.source as { address?: string } | undefined)?.address ?? '';
      replyLinks.get(context.connection)?.set(reply, sender);
    });
    container.on('receiver_open', (context: EventContext) => {
      const receiver = context.receiver!;
      const address = (receiver.target as { address?: string } | undefined)?.address ?? '';
      if (address === '$cbs' || address === '$management' || entities.has(address)) {
        receiver.set_target({ address });
        return;
      }
      receiver.close({ condition: 'amqp:not-found', description: `The messaging entity 'sb://fake/${address}' could not be found.` });
    });
    container.on('message', (context: EventContext) => {
      const address = (context.receiver!.target as { address?: string } | undefined)?.address ?? '';
      const message = context.message!;
      if (address === '$cbs') {
        puts += 1;
        const links = replyLinks.get(context.connection);
        const back = (message.reply_to !== undefined ? links?.get(message.reply_to) : undefined) ?? [...(links?.values() ?? [])][0];
        back?.send({
          correlation_id: message.message_id,
          to: message.reply_to,
          application_properties: { 'status-code': 202, 'status-description': 'Accepted' },
          body: undefined,
        });
        return;
      }
      const properties = Object.fromEntries(Object.entries(message.application_properties ?? {}).map(([k, v]) => [k, String(v)]));
      recorded.push({
        entity: address,
        body: bodyBytes(message.body),
        messageId: String(message.message_id),
        subject: message.subject,
        contentType: message.content_type,
        applicationProperties: properties,
      });
    });
    const server: Server = container.listen({ port, host: '127.0.0.1' });
    await new Promise<void>((resolve) => (server.listening ? resolve() : server.once('listening', () => resolve())));
    return server;
  };

  let server = await serve(0);
  const port = (server.address() as AddressInfo).port;
  const proxy = await startTcpProxy(port);
  let n = 0;
  const target = (name: string, at = proxy.port): DestinationTarget<ServiceBusConfig, ServiceBusCredentials> => ({
    destinationId: `evtd_servicebus_${(n += 1)}`,
    config: { name },
    credentials: { connection_string: connectionString(at) },
  });
  const stop = async () => {
    for (const connection of connections) connection.close();
    proxy.dropAll();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return {
    proxy,
    recorded,
    tokenPuts: () => puts,
    async newTarget() {
      const name = `events-${process.pid}-${n + 1}`;
      entities.add(name);
      return {
        target: target(name),
        arrived: (eventId, timeoutMs = 5000) =>
          poll(
            async () => {
              const got = recorded.find((m) => m.messageId === eventId && m.entity === name);
              return got === undefined ? undefined : ({ body: got.body, metadata: got.applicationProperties } satisfies Arrived);
            },
            timeoutMs,
            `Service Bus message ${eventId} on ${name}`,
          ),
      };
    },
    missingTarget: async () => target('no-such-queue'),
    downTarget: async () => target('events', await closedPort()),
    async restart() {
      await stop();
      server = await serve(port);
    },
    async close() {
      await stop();
      await proxy.close();
    },
  };
}
