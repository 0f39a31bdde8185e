/**
 * The `aws_sqs` type's fields: config `queue_url`, `region` (derived from the queue URL when it is an AWS one)
 * and `endpoint`; credentials key/secret/session (aws/credentials.ts).
 */
import { AWS_CREDENTIAL_FIELDS, ENDPOINT_FIELD, REGION_FIELD, maskAwsCredentials, parseAwsCredentials, readEndpoint, readRegion, type AwsCredentials } from '../aws/credentials.js';
import { FieldReader, keysOf } from '../support/fields.js';
import type { DestinationField } from '../types.js';

export const TYPE = 'aws_sqs';

export type SqsConfig = {
  queue_url: string;
  region: string;
  endpoint?: string;
};

export const CONFIG_FIELDS: DestinationField[] = [
  { key: 'queue_url', label: 'Queue URL', type: 'url', required: true, sensitive: false, description: 'https://sqs.<region>.amazonaws.com/<account>/<queue>' },
  { ...REGION_FIELD, required: false, description: 'AWS region; derived from the queue URL when absent (required with an endpoint override or a non-AWS URL)' },
  ENDPOINT_FIELD,
];

export const CREDENTIAL_FIELDS = AWS_CREDENTIAL_FIELDS;

/** `sqs.<region>.amazonaws.com[.cn]` (current) and `<region>.queue.amazonaws.com` (legacy). */
export function regionFromQueueUrl(url: URL): string | undefined {
  const match = /^sqs\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$/.exec(url.hostname) ?? /^([a-z0-9-]+)\.queue\.amazonaws\.com(?:\.cn)?$/.exec(url.hostname);
  return match?.[1];
}

export function parseSqsConfig(input: unknown): SqsConfig {
  const reader = FieldReader.open(TYPE, input, keysOf(CONFIG_FIELDS), keysOf(CREDENTIAL_FIELDS));
  const url = reader.url('queue_url', { required: true, schemes: ['https', 'http'], noUserInfo: true });
  if (url.search !== '' || url.hash !== '') reader.fail('queue_url', 'must not have a query or fragment');
  if (!/^\/[^/]+\/[^/]+$/.test(url.pathname)) reader.fail('queue_url', 'must end in /<account id>/<queue name>');
  const endpoint = readEndpoint(reader);
  const region = readRegion(reader, false) ?? regionFromQueueUrl(url);
  if (region === undefined) throw reader.error('region', 'is required when it cannot be read from the queue URL (sqs.<region>.amazonaws.com)');
  return { queue_url: url.toString(), region, ...(endpoint === undefined ? {} : { endpoint }) };
}

export function parseSqsCredentials(input: unknown, previous: AwsCredentials | null): AwsCredentials {
  return parseAwsCredentials(TYPE, input, previous, keysOf(CONFIG_FIELDS));
}

export { maskAwsCredentials as maskSqsCredentials };
