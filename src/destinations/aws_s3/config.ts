/**
 * The `aws_s3` type's fields: config `bucket`, `region`, `endpoint`, `key_template` (domain/keyTemplate.ts
 * syntax; default `{event_type}/{event_id}.json`) and `storage_class`; credentials key/secret/session.
 */
import { AWS_CREDENTIAL_FIELDS, ENDPOINT_FIELD, REGION_FIELD, maskAwsCredentials, parseAwsCredentials, readEndpoint, readRegion, type AwsCredentials } from '../aws/credentials.js';
import { parseKeyTemplate, TemplateError } from '../../domain/keyTemplate.js';
import { FieldReader, keysOf } from '../support/fields.js';
import type { DestinationField } from '../types.js';

export const TYPE = 'aws_s3';
export const DEFAULT_KEY_TEMPLATE = '{event_type}/{event_id}.json';
export const STORAGE_CLASSES = ['STANDARD', 'REDUCED_REDUNDANCY', 'STANDARD_IA', 'ONEZONE_IA', 'INTELLIGENT_TIERING', 'GLACIER', 'DEEP_ARCHIVE', 'GLACIER_IR'] as const;

export type S3Config = {
  bucket: string;
  region: string;
  endpoint?: string;
  key_template: string;
  storage_class: (typeof STORAGE_CLASSES)[number];
};

export const CONFIG_FIELDS: DestinationField[] = [
  { key: 'bucket', label: 'Bucket', type: 'text', required: true, sensitive: false, description: 'S3 bucket name' },
  REGION_FIELD,
  { ...ENDPOINT_FIELD, description: 'Override of the S3 endpoint (an emulator, MinIO, a VPC endpoint); path-style addressing is used with it' },
  {
    key: 'key_template',
    label: 'Object key template',
    type: 'text',
    required: false,
    sensitive: false,
    description: 'Object key per event: text with {event_id}, {event_type}, {created_at}, {date}, {year}, {month}, {day}, {hour}, {minute}, {data.<path>}',
    default: DEFAULT_KEY_TEMPLATE,
  },
  { key: 'storage_class', label: 'Storage class', type: 'select', required: false, sensitive: false, description: 'S3 storage class of each object', default: 'STANDARD', options: [...STORAGE_CLASSES] },
];

export const CREDENTIAL_FIELDS = AWS_CREDENTIAL_FIELDS;

/** S3's rules for bucket names (3–63 characters, lower case, digits, dots and hyphens, not an IP address). */
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

export function parseS3Config(input: unknown): S3Config {
  const reader = FieldReader.open(TYPE, input, keysOf(CONFIG_FIELDS), keysOf(CREDENTIAL_FIELDS));
  const bucket = reader.string('bucket', { required: true, maxLength: 63, pattern: BUCKET, patternHint: 'must be an S3 bucket name: 3–63 lower-case letters, digits, dots and hyphens' });
  if (/^\d+\.\d+\.\d+\.\d+$/.test(bucket) || bucket.includes('..')) reader.fail('bucket', 'must be an S3 bucket name (not an IP address, no ".." )');
  const region = readRegion(reader, true);
  const endpoint = readEndpoint(reader);
  const keyTemplate = reader.string('key_template', { maxLength: 512 }) ?? DEFAULT_KEY_TEMPLATE;
  try {
    parseKeyTemplate(keyTemplate);
  } catch (error) {
    if (error instanceof TemplateError) reader.fail('key_template', error.message);
    throw error;
  }
  if (keyTemplate.startsWith('/')) reader.fail('key_template', 'must not start with "/" (S3 keys are relative to the bucket)');
  const storageClass = reader.string('storage_class', { maxLength: 32 }) ?? 'STANDARD';
  if (!(STORAGE_CLASSES as readonly string[]).includes(storageClass)) reader.fail('storage_class', `must be one of ${STORAGE_CLASSES.join(', ')}`);
  return { bucket, region, ...(endpoint === undefined ? {} : { endpoint }), key_template: keyTemplate, storage_class: storageClass as S3Config['storage_class'] };
}

export function parseS3Credentials(input: unknown, previous: AwsCredentials | null): AwsCredentials {
  return parseAwsCredentials(TYPE, input, previous, keysOf(CONFIG_FIELDS));
}

export { maskAwsCredentials as maskS3Credentials };
