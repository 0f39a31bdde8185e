/**
 * The credentials and shared fields of the AWS types (aws_sqs, aws_s3, aws_kinesis): access key id, secret
 * access key and optional session token; `region`; `endpoint` (an override for emulators and private endpoints).
 */
import { FieldReader } from '../support/fields.js';
import { maskSecret } from '../support/mask.js';
import type { DestinationField } from '../types.js';

export type AwsCredentials = {
  key: string;
  secret: string;
  session?: string;
};

export const AWS_CREDENTIAL_FIELDS: DestinationField[] = [
  { key: 'key', label: 'Access key ID', type: 'text', required: true, sensitive: true, description: 'AWS access key ID (AKIA… or ASIA…)' },
  { key: 'secret', label: 'Secret access key', type: 'secret', required: true, sensitive: true, description: 'AWS secret access key' },
  { key: 'session', label: 'Session token', type: 'secret', required: false, sensitive: true, description: 'Session token, for temporary credentials' },
];

export const REGION_FIELD: DestinationField = { key: 'region', label: 'Region', type: 'text', required: true, sensitive: false, description: 'AWS region, e.g. us-east-1' };

export const ENDPOINT_FIELD: DestinationField = {
  key: 'endpoint',
  label: 'Endpoint',
  type: 'url',
  required: false,
  sensitive: false,
  description: 'Override of the AWS endpoint (an emulator, a VPC endpoint); http:// or https://',
};

const REGION = /^[a-z]{2}(?:-[a-z]+)+-\d{1,2}$/;

export function readRegion(reader: FieldReader, required: true): string;
export function readRegion(reader: FieldReader, required: false): string | undefined;
export function readRegion(reader: FieldReader, required: boolean): string | undefined {
  return reader.string('region', { required, maxLength: 32, pattern: REGION, patternHint: 'must be an AWS region such as us-east-1' });
}

export function readEndpoint(reader: FieldReader): string | undefined {
  const url = reader.url('endpoint', { schemes: ['http', 'https'], noUserInfo: true });
  if (url === undefined) return undefined;
  if (url.search !== '' || url.hash !== '') reader.fail('endpoint', 'must not have a query or fragment');
  return url.toString().replace(/\/$/, '');
}

export function parseAwsCredentials(type: string, input: unknown, previous: AwsCredentials | null, configKeys: string[]): AwsCredentials {
  const reader = FieldReader.open(type, input, ['key', 'secret', 'session'], configKeys);
  const key =
    reader.string('key', { required: previous === null, maxLength: 128, pattern: /^[A-Z0-9]{16,128}$/, patternHint: 'must be an AWS access key ID (upper-case letters and digits)' }) ??
    previous?.key;
  const secret = reader.string('secret', { required: previous === null, maxLength: 128 }) ?? previous?.secret;
  if (key === undefined) throw reader.error('key', 'is required');
  if (secret === undefined) throw reader.error('secret', 'is required');
  // A new key pair without a session token ends the old session token (it belonged to the old pair).
  const session = reader.string('session', { maxLength: 4096 }) ?? (reader.has('key') ? undefined : previous?.session);
  return session === undefined ? { key, secret } : { key, secret, session };
}

export function maskAwsCredentials(credentials: AwsCredentials): Record<string, unknown> {
  const out: Record<string, unknown> = { key: maskSecret(credentials.key), secret: maskSecret(credentials.secret) };
  if (credentials.session !== undefined) out.session = maskSecret(credentials.session);
  return out;
}
