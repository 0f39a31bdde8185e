/**
 * The `aws_kinesis` destination type: each event put as one record on a Kinesis data stream.
 */
import type { AwsCredentials } from '../aws/credentials.js';
import type { DestinationType } from '../types.js';
import { CONFIG_FIELDS, CREDENTIAL_FIELDS, maskKinesisCredentials, parseKinesisConfig, parseKinesisCredentials, TYPE, type KinesisConfig } from './config.js';
import { lazyPublisher } from '../support/lazyPublisher.js';

export const awsKinesis: DestinationType<KinesisConfig, AwsCredentials> = {
  type: TYPE,
  label: 'AWS Kinesis',
  description: 'Puts each event as one record on an Amazon Kinesis data stream (record = event JSON, partition key from a template).',
  configFields: CONFIG_FIELDS,
  credentialFields: CREDENTIAL_FIELDS,
  parseConfig: parseKinesisConfig,
  parseCredentials: (input, previous) => parseKinesisCredentials(input, previous),
  maskCredentials: maskKinesisCredentials,
  createPublisher: (deps) => lazyPublisher(async () => new (await import('./publisher.js')).KinesisPublisher(deps)),
};
