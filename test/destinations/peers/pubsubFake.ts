/**
 * An IN-PROCESS PROTOCOL FAKE of Google Cloud Pub/Sub — not the real service, not the official emulator: a
 * @grpc/grpc-js server built from the SDK's own protocol definition (google/pubsub/v1/pubsub.proto, shipped
 * inside @google-cloud/pubsub, with the google/api protos from google-gax). It implements Publisher.Publish:
 * messages to a known topic are recorded and get message ids, an unknown topic answers NOT_FOUND as Pub/Sub
 * does. The SDK reaches it the way it reaches the official emulator (apiEndpoint + insecure credentials),
 * through a counting TCP proxy.
 */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { generateKeyPairSync } from 'node:crypto';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { PubsubConfig, PubsubCredentials } from '../../../src/destinations/gcp_pubsub/config.js';
import type { DestinationTarget } from '../../../src/destinations/types.js';
import type { Arrived, PeerTarget } from '../conformance.js';
import { closedPort } from '../receiver.js';
import { poll } from './aws.js';
import { startTcpProxy, type TcpProxy } from './tcpProxy.js';

const require = createRequire(import.meta.url);
const pubsubMain = require.resolve('@google-cloud/pubsub');
const gaxMain = createRequire(pubsubMain).resolve('google-gax');
/** build/src/index.js → build/protos */
const protosOf = (main: string) => join(dirname(dirname(main)), 'protos');

const definition = protoLoader.loadSync('google/pubsub/v1/pubsub.proto', {
  includeDirs: [protosOf(pubsubMain), protosOf(gaxMain)],
  keepCase: false,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
});
// eslint-disable-next-line @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-member-access -- loadPackageDefinition returns an untyped namespace tree
const publisherService = (grpc.loadPackageDefinition(definition) as any).google.pubsub.v1.Publisher.service as grpc.ServiceDefinition;

interface PublishRequest {
  topic: string;
  messages: { data: Buffer; attributes: Record<string, string>; orderingKey: string }[];
}

export interface RecordedMessage {
  topic: string;
  id: string;
  data: Buffer;
  attributes: Record<string, string>;
}

/** A throwaway service account key: the SDK wants one, the fake never checks it (nor does the emulator). */
export function fakeServiceAccountJson(): string {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return JSON.stringify({
    type: 'service_account',
    project_id: 'sluice-test',
    private_key_id: 'f00dfeedfacecafe0123456789abcdef01234567',
    private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    client_email: 'sluice-test@sluice-test.iam.gserviceaccount.com',
    client_id: '1',
  });
}

export interface PubsubFake {
  proxy: TcpProxy;
  recorded: RecordedMessage[];
  /** Publish calls received (one per batch). */
  publishCalls(): number;
  newTarget(): Promise<PeerTarget<PubsubConfig, PubsubCredentials>>;
  missingTarget(): Promise<DestinationTarget<PubsubConfig, PubsubCredentials>>;
  downTarget(): Promise<DestinationTarget<PubsubConfig, PubsubCredentials>>;
  restart(): Promise<void>;
  close(): Promise<void>;
}

export async function startPubsubFake(): Promise<PubsubFake> {
  const topics = new Set<string>();
  const recorded: RecordedMessage[] = [];
  let calls = 0;
  let nextId = 1;
  const serve = async (port: number): Promise<{ server: grpc.Server; port: number }> => {
    const server = new grpc.Server();
    server.addService(publisherService, {
      Publish(call: grpc.ServerUnaryCall<PublishRequest, unknown>, callback: grpc.sendUnaryData<{ messageIds: string[] }>) {
        calls += 1;
        const { topic, messages } = call.request;
        if (!topics.has(topic)) return callback({ code: grpc.status.NOT_FOUND, details: `Resource not found (resource=${topic.split('/').pop() ?? topic}).` });
        const messageIds = messages.map((m) => {
          const id = String(nextId++);
          recorded.push({ topic, id, data: Buffer.from(m.data), attributes: { ...m.attributes } });
          return id;
        });
        callback(null, { messageIds });
      },
    });
    const bound = await new Promise<number>((resolve, reject) =>
      server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (error, p) => (error ? reject(error) : resolve(p))),
    );
    return { server, port: bound };
  };
  const first = await serve(0);
  let server = first.server;
  const port = first.port;
  const proxy = await startTcpProxy(port);
  const credentials: PubsubCredentials = { service_account_json: fakeServiceAccountJson() };
  let n = 0;
  const target = (topic: string, endpoint = `http://127.0.0.1:${proxy.port}`): DestinationTarget<PubsubConfig, PubsubCredentials> => ({
    destinationId: `evtd_pubsub_${(n += 1)}`,
    config: { project_id: 'sluice-test', topic, endpoint },
    credentials,
  });
  const stop = () => new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
  return {
    proxy,
    recorded,
    publishCalls: () => calls,
    async newTarget() {
      const topic = `events-${process.pid}-${n + 1}`;
      topics.add(`projects/sluice-test/topics/${topic}`);
      return {
        target: target(topic),
        arrived: (eventId, timeoutMs = 5000) =>
          poll(
            async () => {
              const got = recorded.find((m) => m.attributes['event-id'] === eventId);
              return got === undefined ? undefined : ({ body: got.data, metadata: got.attributes } satisfies Arrived);
            },
            timeoutMs,
            `Pub/Sub message ${eventId}`,
          ),
      };
    },
    missingTarget: async () => target('no-such-topic'),
    downTarget: async () => target('events', `http://127.0.0.1:${await closedPort()}`),
    async restart() {
      server.forceShutdown();
      proxy.dropAll();
      ({ server } = await serve(port));
    },
    async close() {
      await stop();
      await proxy.close();
    },
  };
}
