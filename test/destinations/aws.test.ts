import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AwsCredentials } from '../../src/destinations/aws/credentials.js';
import { awsKinesis } from '../../src/destinations/aws_kinesis/index.js';
import { partitionKey } from '../../src/destinations/aws_kinesis/publisher.js';
import { awsS3 } from '../../src/destinations/aws_s3/index.js';
import { objectKey } from '../../src/destinations/aws_s3/publisher.js';
import { awsSqs } from '../../src/destinations/aws_sqs/index.js';
import type { DestinationType } from '../../src/destinations/types.js';
import { destinationConformance, type Peer } from './conformance.js';
import { assertInvalid, outboundMessage } from './outbound.js';
import { startKinesisPeer, startS3Peer, startSqsPeer, TEST_CREDENTIALS, type EmulatorPeer } from './peers/aws.js';

const badCredentials: [unknown, string][] = [
  [{ secret: 's' }, 'TYPE.key'],
  [{ key: 'AKIAIOSFODNN7EXAMPLE' }, 'TYPE.secret'],
  [{ key: 'not a key', secret: 's' }, 'TYPE.key'],
  [{ key: 'AKIAIOSFODNN7EXAMPLE', secret: 's', session: 5 }, 'TYPE.session'],
];

function awsPeer<C>(type: DestinationType<C, AwsCredentials>, config: Record<string, unknown>, badConfig: [unknown, string][], emulator: EmulatorPeer<C>, extra: Partial<Peer<C, AwsCredentials>> = {}): Peer<C, AwsCredentials> {
  return {
    type,
    validInput: { config, credentials: { ...TEST_CREDENTIALS, session: 'FwoGZXIvYXdzEBQaDEXAMPLESESSIONTOKEN' } },
    badConfig,
    badCredentials: badCredentials.map(([input, field]) => [input, field.replace('TYPE', type.type)]),
    secretValues: (credentials) => [credentials.key, credentials.secret, ...(credentials.session === undefined ? [] : [credentials.session])],
    newTarget: () => emulator.newTarget(),
    missingTarget: () => emulator.missingTarget(),
    downTarget: () => emulator.downTarget(),
    restart: (target) => emulator.restart(target),
    connections: () => emulator.proxy.connections(),
    close: () => emulator.close(),
    ...extra,
  };
}

destinationConformance('aws_sqs (fauxqs)', async () =>
  awsPeer(
    awsSqs,
    { queue_url: 'https://sqs.eu-west-1.amazonaws.com/123456789012/events' },
    [
      [{}, 'aws_sqs.queue_url'],
      [{ queue_url: 'ftp://sqs.eu-west-1.amazonaws.com/1/q' }, 'aws_sqs.queue_url'],
      [{ queue_url: 'https://sqs.eu-west-1.amazonaws.com/just-a-queue' }, 'aws_sqs.queue_url'],
      [{ queue_url: 'https://queue.example.com/1/q' }, 'aws_sqs.region'],
      [{ queue_url: 'https://sqs.eu-west-1.amazonaws.com/1/q', region: 'mars' }, 'aws_sqs.region'],
      [{ queue_url: 'https://sqs.eu-west-1.amazonaws.com/1/q', endpoint: 'file:///etc/passwd' }, 'aws_sqs.endpoint'],
    ],
    await startSqsPeer(),
  ),
);

destinationConformance('aws_s3 (fauxqs)', async () =>
  awsPeer(
    awsS3,
    { bucket: 'my-events', region: 'eu-west-1' },
    [
      [{ region: 'eu-west-1' }, 'aws_s3.bucket'],
      [{ bucket: 'Bad_Bucket', region: 'eu-west-1' }, 'aws_s3.bucket'],
      [{ bucket: '10.0.0.1', region: 'eu-west-1' }, 'aws_s3.bucket'],
      [{ bucket: 'b-1', region: 'eu-west-1', key_template: '{nope}.json' }, 'aws_s3.key_template'],
      [{ bucket: 'b-1', region: 'eu-west-1', key_template: '/{event_id}' }, 'aws_s3.key_template'],
      [{ bucket: 'b-1', region: 'eu-west-1', storage_class: 'CHEAP' }, 'aws_s3.storage_class'],
      [{ bucket: 'b-1' }, 'aws_s3.region'],
    ],
    await startS3Peer(),
    {
      checkMetadata(message, arrived) {
        for (const [key, value] of Object.entries(message.metadata)) assert.equal(arrived.metadata[key], value, `x-amz-meta-${key}`);
        assert.equal(arrived.metadata['content-type'], 'application/json');
      },
    },
  ),
);

destinationConformance('aws_kinesis (kinesalite)', async () =>
  awsPeer(
    awsKinesis,
    { stream_name: 'events', region: 'eu-west-1' },
    [
      [{ region: 'eu-west-1' }, 'aws_kinesis.stream_name'],
      [{ stream_name: 'bad stream', region: 'eu-west-1' }, 'aws_kinesis.stream_name'],
      [{ stream_name: 's' }, 'aws_kinesis.region'],
      [{ stream_name: 's', region: 'eu-west-1', partition_key_template: '{' }, 'aws_kinesis.partition_key_template'],
    ],
    await startKinesisPeer(),
    {
      // Kinesis records have no attributes: the metadata is in the event JSON; the partition key is the event id.
      checkMetadata(message, arrived) {
        assert.equal(arrived.metadata['partition-key'], message.eventId);
        const event = JSON.parse(arrived.body.toString()) as { id: string; type: string };
        assert.equal(event.id, message.eventId);
        assert.equal(event.type, message.eventType);
      },
    },
  ),
);

describe('aws specifics', () => {
  it('derives the SQS region from the queue URL, and takes an explicit one', () => {
    assert.equal(awsSqs.parseConfig({ queue_url: 'https://sqs.ap-southeast-2.amazonaws.com/1/q' }).region, 'ap-southeast-2');
    assert.equal(awsSqs.parseConfig({ queue_url: 'https://eu-west-1.queue.amazonaws.com/1/q' }).region, 'eu-west-1');
    assert.equal(awsSqs.parseConfig({ queue_url: 'http://localhost:4566/1/q', region: 'us-west-2', endpoint: 'http://localhost:4566/' }).endpoint, 'http://localhost:4566');
  });

  it('keeps stored AWS credentials on an update without them, and drops a session token with a new key', () => {
    const stored = awsSqs.parseCredentials({ key: 'AKIAIOSFODNN7EXAMPLE', secret: 'abc', session: 'tok' }, null, 0);
    assert.deepEqual(awsSqs.parseCredentials({}, stored, 0), stored);
    assert.deepEqual(awsSqs.parseCredentials({ key: 'AKIAIOSFODNN7EXAMPL2', secret: 'def' }, stored, 0), { key: 'AKIAIOSFODNN7EXAMPL2', secret: 'def' });
    assertInvalid(() => awsSqs.parseCredentials({}, null, 0), 'aws_sqs.key');
  });

  it('names S3 objects and Kinesis partition keys from their templates', () => {
    const message = outboundMessage({ eventId: 'evt_1', data: { customer: 'cus_1' } });
    const s3 = awsS3.parseConfig({ bucket: 'b-1', region: 'eu-west-1', key_template: '{year}/{month}/{event_type}/{event_id}.json' });
    assert.equal(objectKey(s3, message), '2025/01/task_run.completed/evt_1.json');
    const kinesis = awsKinesis.parseConfig({ stream_name: 's', region: 'eu-west-1', partition_key_template: '{data.customer}' });
    assert.equal(partitionKey(kinesis, message), 'cus_1');
    assert.equal(partitionKey(awsKinesis.parseConfig({ stream_name: 's', region: 'eu-west-1' }), message), 'evt_1');
  });
});
