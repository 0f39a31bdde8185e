/**
 * The `aws_sqs` destination type: each event sent to an SQS queue.
 */
import type { AwsCredentials } from '../aws/credentials.js';
import type { DestinationType } from '../types.js';
import { CONFIG_FIELDS, CREDENTIAL_FIELDS, maskSqsCredentials, parseSqsConfig, parseSqsCredentials, TYPE, type SqsConfig } from './config.js';
import { lazyPublisher } from '../support/lazyPublisher.js';

export const awsSqs: DestinationType<SqsConfig, AwsCredentials> = {
  type: TYPE,
  label: 'AWS SQS',
  description: 'Sends each event to an Amazon SQS queue (body = event JSON, metadata as message attributes).',
  configFields: CONFIG_FIELDS,
  credentialFields: CREDENTIAL_FIELDS,
  parseConfig: parseSqsConfig,
  parseCredentials: (input, previous) => parseSqsCredentials(input, previous),
  maskCredentials: maskSqsCredentials,
  createPublisher: (deps) => lazyPublisher(async () => new (await import('./publisher.js')).SqsPublisher(deps)),
};
