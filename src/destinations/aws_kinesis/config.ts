/**
 * The `aws_kinesis` type's fields: config `stream_name`, `region`, `endpoint`, `partition_key_template`
 * (domain/keyTemplate.ts syntax; default `{event_id}`); credentials key/secret/session.
 */
import { AWS_CREDENTIAL_FIELDS, ENDPOINT_FIELD, REGION_FIELD, maskAwsCredentials, parseAwsCredentials, readEndpoint, readRegion, type AwsCredentials } from '../aws/credentials.js';
import { parseKeyTemplate, TemplateError } from '../../domain/keyTemplate.js';
import { FieldReader, keysOf } from '../support/fields.js';
import type { DestinationField } from '../types.js';

export const TYPE = 'aws_kinesis';
export const DEFAULT_PARTITION_KEY_TEMPLATE = '{event_id}';

export type KinesisConfig = {
  stream_name: string;
  region: string;
  endpoint?: string;
  partition_key_template: string;
};

export const CONFIG_FIELDS: DestinationField[] = [
  { key: 'stream_name', label: 'Stream name', type: 'text', required: true, sensitive: false, description: 'Kinesis data stream name' },
  REGION_FIELD,
  ENDPOINT_FIELD,
  {
    key: 'partition_key_template',
    label: 'Partition key template',
    type: 'text',
    required: false,
    sensitive: false,
    description: 'Partition key per event: text with {event_id}, {event_type}, {created_at}, {date}, {data.<path>}, …',
    default: DEFAULT_PARTITION_KEY_TEMPLATE,
  },
];

export const CREDENTIAL_FIELDS = AWS_CREDENTIAL_FIELDS;

const STREAM_NAME = /^[a-zA-Z0-9_.-]{1,128}$/;

export function parseKinesisConfig(input: unknown): KinesisConfig {
  const reader = FieldReader.open(TYPE, input, keysOf(CONFIG_FIELDS), keysOf(CREDENTIAL_FIELDS));
  const streamName = reader.string('stream_name', { required: true, maxLength: 128, pattern: STREAM_NAME, patternHint: 'must be a stream name: 1–128 letters, digits, "_", "." and "-"' });
  const region = readRegion(reader, true);
  const endpoint = readEndpoint(reader);
  const template = reader.string('partition_key_template', { maxLength: 256 }) ?? DEFAULT_PARTITION_KEY_TEMPLATE;
  try {
    parseKeyTemplate(template);
  } catch (error) {
    if (error instanceof TemplateError) reader.fail('partition_key_template', error.message);
    throw error;
  }
  return { stream_name: streamName, region, ...(endpoint === undefined ? {} : { endpoint }), partition_key_template: template };
}

export function parseKinesisCredentials(input: unknown, previous: AwsCredentials | null): AwsCredentials {
  return parseAwsCredentials(TYPE, input, previous, keysOf(CONFIG_FIELDS));
}

export { maskAwsCredentials as maskKinesisCredentials };
