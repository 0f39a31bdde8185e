/**
 * The `aws_s3` destination type: each event written as one object.
 */
import type { AwsCredentials } from '../aws/credentials.js';
import type { DestinationType } from '../types.js';
import { CONFIG_FIELDS, CREDENTIAL_FIELDS, maskS3Credentials, parseS3Config, parseS3Credentials, TYPE, type S3Config } from './config.js';
import { lazyPublisher } from '../support/lazyPublisher.js';

export const awsS3: DestinationType<S3Config, AwsCredentials> = {
  type: TYPE,
  label: 'AWS S3',
  description: 'Writes each event as one object in an Amazon S3 bucket (key from a template, metadata as object metadata).',
  configFields: CONFIG_FIELDS,
  credentialFields: CREDENTIAL_FIELDS,
  parseConfig: parseS3Config,
  parseCredentials: (input, previous) => parseS3Credentials(input, previous),
  maskCredentials: maskS3Credentials,
  createPublisher: (deps) => lazyPublisher(async () => new (await import('./publisher.js')).S3Publisher(deps)),
};
