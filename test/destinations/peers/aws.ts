/**
 * AWS peers for the conformance suite: fauxqs (an SQS/S3 emulator from npm, started in this process) for
 * aws_sqs and aws_s3, and kinesalite (a Kinesis emulator from npm, started in this process) for aws_kinesis,
 * each on a free loopback port behind a counting TCP proxy. A restart stops the emulator and starts it again on
 * the same port (both keep state in memory, so the target's queue/bucket/stream is created again).
 */
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateStreamCommand, DescribeStreamCommand, GetRecordsCommand, GetShardIteratorCommand, KinesisClient } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { startFauxqs, type FauxqsServer } from 'fauxqs';
import kinesalite from 'kinesalite';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AwsCredentials } from '../../../src/destinations/aws/credentials.js';
import type { KinesisConfig } from '../../../src/destinations/aws_kinesis/config.js';
import type { S3Config } from '../../../src/destinations/aws_s3/config.js';
import type { SqsConfig } from '../../../src/destinations/aws_sqs/config.js';
import type { DestinationTarget } from '../../../src/destinations/types.js';
import type { Arrived, PeerTarget } from '../conformance.js';
import { closedPort } from '../receiver.js';
import { startTcpProxy, type TcpProxy } from './tcpProxy.js';

export const TEST_CREDENTIALS: AwsCredentials = { key: 'AKIAIOSFODNN7EXAMPLE', secret: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };
const REGION = 'us-east-1';
const sdkCredentials = { accessKeyId: TEST_CREDENTIALS.key, secretAccessKey: TEST_CREDENTIALS.secret };

let sequence = 0;
function uniqueName(prefix: string): string {
  sequence += 1;
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${sequence}`;
}

/** Polls `read` until it yields a value or `timeoutMs` passes. */
export async function poll<T>(read: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export interface EmulatorPeer<C> {
  proxy: TcpProxy;
  newTarget(): Promise<PeerTarget<C, AwsCredentials>>;
  missingTarget(): Promise<DestinationTarget<C, AwsCredentials>>;
  downTarget(): Promise<DestinationTarget<C, AwsCredentials>>;
  restart(target: PeerTarget<C, AwsCredentials>): Promise<void>;
  close(): Promise<void>;
}

/** fauxqs on a free port; `recreate` runs after every (re)start for the resources that must exist. */
async function fauxqsWithRestart() {
  let server: FauxqsServer = await startFauxqs({ port: 0, logger: false });
  const port = server.port;
  const proxy = await startTcpProxy(port);
  const resources: ((s: FauxqsServer) => void)[] = [];
  return {
    proxy,
    endpoint: `http://127.0.0.1:${proxy.port}`,
    server: () => server,
    keep(create: (s: FauxqsServer) => void) {
      create(server);
      resources.push(create);
    },
    async restart() {
      await server.stop();
      proxy.dropAll();
      server = await startFauxqs({ port, logger: false });
      for (const create of resources) create(server);
    },
    async close() {
      await server.stop();
      await proxy.close();
    },
  };
}

export async function startSqsPeer(): Promise<EmulatorPeer<SqsConfig>> {
  const fauxqs = await fauxqsWithRestart();
  const config = (queueUrl: string, endpoint = fauxqs.endpoint): SqsConfig => ({ queue_url: queueUrl, region: REGION, endpoint });
  return {
    proxy: fauxqs.proxy,
    async newTarget() {
      const name = uniqueName('sluice');
      let queueUrl = '';
      fauxqs.keep((s) => {
        queueUrl = s.createQueue(name).queueUrl;
      });
      const arrived = (eventId: string, timeoutMs = 5000): Promise<Arrived> =>
        poll(
          async () => {
            const message = fauxqs.server().inspectQueue(name)?.messages.ready.find((m) => m.messageAttributes['event-id']?.StringValue === eventId);
            if (message === undefined) return undefined;
            const metadata = Object.fromEntries(Object.entries(message.messageAttributes).map(([k, v]) => [k, v.StringValue ?? '']));
            return { body: Buffer.from(message.body, 'utf8'), metadata };
          },
          timeoutMs,
          `message ${eventId} on queue ${name}`,
        );
      return { target: { destinationId: `evtd_${name}`, config: config(queueUrl), credentials: TEST_CREDENTIALS }, arrived };
    },
    missingTarget: async () => ({
      destinationId: uniqueName('evtd_missing'),
      config: config(`http://sqs.${REGION}.localhost:${fauxqs.server().port}/000000000000/${uniqueName('no-such-queue')}`),
      credentials: TEST_CREDENTIALS,
    }),
    downTarget: async () => ({
      destinationId: uniqueName('evtd_down'),
      config: config(`http://sqs.${REGION}.localhost:${fauxqs.server().port}/000000000000/q`, `http://127.0.0.1:${await closedPort()}`),
      credentials: TEST_CREDENTIALS,
    }),
    restart: () => fauxqs.restart(),
    close: () => fauxqs.close(),
  };
}

export async function startS3Peer(): Promise<EmulatorPeer<S3Config>> {
  const fauxqs = await fauxqsWithRestart();
  const reader = new S3Client({ region: REGION, endpoint: `http://127.0.0.1:${fauxqs.server().port}`, forcePathStyle: true, credentials: sdkCredentials });
  const config = (bucket: string, endpoint = fauxqs.endpoint): S3Config => ({ bucket, region: REGION, endpoint, key_template: 'events/{event_id}.json', storage_class: 'STANDARD' });
  return {
    proxy: fauxqs.proxy,
    async newTarget() {
      const bucket = uniqueName('sluice');
      fauxqs.keep((s) => s.createBucket(bucket));
      const arrived = (eventId: string, timeoutMs = 5000): Promise<Arrived> =>
        poll(
          async () => {
            try {
              const object = await reader.send(new GetObjectCommand({ Bucket: bucket, Key: `events/${eventId}.json` }));
              const body = Buffer.from(await object.Body!.transformToByteArray());
              return { body, metadata: { ...object.Metadata, 'content-type': object.ContentType ?? '' } };
            } catch {
              return undefined;
            }
          },
          timeoutMs,
          `object for ${eventId} in ${bucket}`,
        );
      return { target: { destinationId: `evtd_${bucket}`, config: config(bucket), credentials: TEST_CREDENTIALS }, arrived };
    },
    missingTarget: async () => ({ destinationId: uniqueName('evtd_missing'), config: config(uniqueName('no-such-bucket')), credentials: TEST_CREDENTIALS }),
    downTarget: async () => ({ destinationId: uniqueName('evtd_down'), config: config('sluice-down', `http://127.0.0.1:${await closedPort()}`), credentials: TEST_CREDENTIALS }),
    restart: () => fauxqs.restart(),
    async close() {
      reader.destroy();
      await fauxqs.close();
    },
  };
}

export async function startKinesisPeer(): Promise<EmulatorPeer<KinesisConfig> & { reader: KinesisClient }> {
  const server: Server = kinesalite({ createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const proxy = await startTcpProxy(port);
  const endpoint = `http://127.0.0.1:${proxy.port}`;
  const reader = new KinesisClient({ region: REGION, endpoint: `http://127.0.0.1:${port}`, credentials: sdkCredentials, requestHandler: new NodeHttpHandler() });
  const streams: string[] = [];
  const createStream = async (name: string) => {
    await reader.send(new CreateStreamCommand({ StreamName: name, ShardCount: 1 }));
    await poll(async () => ((await reader.send(new DescribeStreamCommand({ StreamName: name }))).StreamDescription?.StreamStatus === 'ACTIVE' ? true : undefined), 5000, `stream ${name}`);
  };
  const config = (stream: string, at = endpoint): KinesisConfig => ({ stream_name: stream, region: REGION, endpoint: at, partition_key_template: '{event_id}' });
  return {
    proxy,
    reader,
    async newTarget() {
      const stream = uniqueName('sluice');
      await createStream(stream);
      streams.push(stream);
      const arrived = (eventId: string, timeoutMs = 5000): Promise<Arrived> =>
        poll(
          async () => {
            const description = await reader.send(new DescribeStreamCommand({ StreamName: stream }));
            const shardId = description.StreamDescription?.Shards?.[0]?.ShardId;
            const iterator = await reader.send(new GetShardIteratorCommand({ StreamName: stream, ShardId: shardId, ShardIteratorType: 'TRIM_HORIZON' }));
            const records = await reader.send(new GetRecordsCommand({ ShardIterator: iterator.ShardIterator, Limit: 1000 }));
            const record = records.Records?.find((r) => r.PartitionKey === eventId);
            return record === undefined ? undefined : { body: Buffer.from(record.Data ?? new Uint8Array()), metadata: { 'partition-key': record.PartitionKey ?? '' } };
          },
          timeoutMs,
          `record ${eventId} on ${stream}`,
        );
      return { target: { destinationId: `evtd_${stream}`, config: config(stream), credentials: TEST_CREDENTIALS }, arrived };
    },
    missingTarget: async () => ({ destinationId: uniqueName('evtd_missing'), config: config(uniqueName('no-such-stream')), credentials: TEST_CREDENTIALS }),
    downTarget: async () => ({ destinationId: uniqueName('evtd_down'), config: config('sluice-down', `http://127.0.0.1:${await closedPort()}`), credentials: TEST_CREDENTIALS }),
    async restart() {
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
      proxy.dropAll();
      await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
      for (const stream of streams) await createStream(stream);
    },
    async close() {
      reader.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await proxy.close();
    },
  };
}
