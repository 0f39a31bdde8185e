/**
 * The `gcp_pubsub` type's fields: config `project_id`, `topic`, `endpoint` (an override: `http://host:port` is
 * plaintext gRPC, as the Pub/Sub emulator speaks; `https://host[:port]` is TLS); credentials
 * `service_account_json` (a service account key file, pasted whole).
 */
import { FieldReader, keysOf } from '../support/fields.js';
import type { DestinationField } from '../types.js';

export const TYPE = 'gcp_pubsub';

export type PubsubConfig = {
  project_id: string;
  topic: string;
  endpoint?: string;
};

export type PubsubCredentials = {
  service_account_json: string;
};

/** The parts of a service account key the client uses. */
export interface ServiceAccountKey {
  client_email: string;
  private_key: string;
  private_key_id?: string;
}

export const CONFIG_FIELDS: DestinationField[] = [
  { key: 'project_id', label: 'Project ID', type: 'text', required: true, sensitive: false, description: 'Google Cloud project ID' },
  { key: 'topic', label: 'Topic', type: 'text', required: true, sensitive: false, description: 'Pub/Sub topic ID (not the full projects/…/topics/… name)' },
  {
    key: 'endpoint',
    label: 'Endpoint',
    type: 'url',
    required: false,
    sensitive: false,
    description: 'Override of pubsub.googleapis.com: http://host:port for plaintext gRPC (an emulator), https://host[:port] for TLS',
  },
];

export const CREDENTIAL_FIELDS: DestinationField[] = [
  { key: 'service_account_json', label: 'Service account key (JSON)', type: 'json', required: true, sensitive: true, description: 'The service account key file, as JSON text' },
];

const PROJECT_ID = /^(?:[a-z0-9.-]{1,63}:)?[a-z][a-z0-9-]{4,28}[a-z0-9]$/;
const TOPIC = /^[A-Za-z][A-Za-z0-9\-_.~+%]{2,254}$/;

export function parsePubsubConfig(input: unknown): PubsubConfig {
  const reader = FieldReader.open(TYPE, input, keysOf(CONFIG_FIELDS), keysOf(CREDENTIAL_FIELDS));
  const projectId = reader.string('project_id', { required: true, maxLength: 100, pattern: PROJECT_ID, patternHint: 'must be a Google Cloud project ID: 6–30 lower-case letters, digits and hyphens' });
  const topic = reader.string('topic', { required: true, maxLength: 255, pattern: TOPIC, patternHint: 'must be a topic ID: 3–255 characters, starting with a letter (letters, digits, -_.~+%)' });
  if (topic.toLowerCase().startsWith('goog')) reader.fail('topic', 'must not start with "goog" (reserved by Google)');
  const url = reader.url('endpoint', { schemes: ['http', 'https'], noUserInfo: true });
  if (url !== undefined && (url.pathname !== '/' || url.search !== '' || url.hash !== '')) reader.fail('endpoint', 'must be scheme://host[:port] only');
  return { project_id: projectId, topic, ...(url === undefined ? {} : { endpoint: `${url.protocol}//${url.host}` }) };
}

/** The key fields of a service account JSON, or a message saying what is wrong. */
export function readServiceAccount(json: string): ServiceAccountKey | string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return 'must be the service account key file as JSON text';
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return 'must be a JSON object (the service account key file)';
  const key = parsed as Record<string, unknown>;
  if (key.type !== 'service_account') return 'must be a service account key ("type": "service_account")';
  if (typeof key.client_email !== 'string' || !key.client_email.includes('@')) return 'must have a client_email';
  if (typeof key.private_key !== 'string' || !key.private_key.includes('PRIVATE KEY')) return 'must have a private_key (PEM)';
  return { client_email: key.client_email, private_key: key.private_key, ...(typeof key.private_key_id === 'string' ? { private_key_id: key.private_key_id } : {}) };
}

export function parsePubsubCredentials(input: unknown, previous: PubsubCredentials | null): PubsubCredentials {
  const reader = FieldReader.open(TYPE, input, keysOf(CREDENTIAL_FIELDS), keysOf(CONFIG_FIELDS));
  const json = reader.string('service_account_json', { required: previous === null, maxLength: 20_000, multiline: true });
  if (json === undefined) {
    if (previous === null) throw reader.error('service_account_json', 'is required');
    return previous;
  }
  const key = readServiceAccount(json);
  if (typeof key === 'string') reader.fail('service_account_json', key);
  return { service_account_json: json };
}

/** The service account's e-mail (not a secret: it names the account) and the key id's end; never the key. */
export function maskPubsubCredentials(credentials: PubsubCredentials): Record<string, unknown> {
  const key = readServiceAccount(credentials.service_account_json);
  if (typeof key === 'string') return { service_account_json: '********' };
  const id = key.private_key_id;
  return { service_account_json: { client_email: key.client_email, private_key_id: id === undefined || id.length < 16 ? '********' : `…${id.slice(-4)}`, private_key: '********' } };
}
