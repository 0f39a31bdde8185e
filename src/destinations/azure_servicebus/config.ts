/**
 * The `azure_servicebus` type's fields: config `name` (a queue or topic); credentials `connection_string`
 * (`Endpoint=sb://<namespace>.servicebus.windows.net/;SharedAccessKeyName=…;SharedAccessKey=…`, or a
 * SharedAccessSignature). `UseDevelopmentEmulator=true` (the Service Bus emulator) makes the SDK speak plain
 * AMQP to the endpoint's host and port.
 */
import { FieldReader, keysOf } from '../support/fields.js';
import { maskSecret } from '../support/mask.js';
import type { DestinationField } from '../types.js';

export const TYPE = 'azure_servicebus';

export type ServiceBusConfig = {
  name: string;
};

export type ServiceBusCredentials = {
  connection_string: string;
};

export const CONFIG_FIELDS: DestinationField[] = [{ key: 'name', label: 'Queue or topic', type: 'text', required: true, sensitive: false, description: 'Name of the queue or topic to send to' }];

export const CREDENTIAL_FIELDS: DestinationField[] = [
  {
    key: 'connection_string',
    label: 'Connection string',
    type: 'secret',
    required: true,
    sensitive: true,
    description: 'Endpoint=sb://<namespace>.servicebus.windows.net/;SharedAccessKeyName=<name>;SharedAccessKey=<key> (a namespace or entity connection string with Send rights)',
  },
];

/** Queue/topic names: letters, digits, `.`, `-`, `_`, `/` (topic paths), up to 260, not starting or ending with a separator. */
const ENTITY = /^[A-Za-z0-9](?:[A-Za-z0-9._/-]{0,258}[A-Za-z0-9_])?$/;

export function parseServiceBusConfig(input: unknown): ServiceBusConfig {
  const reader = FieldReader.open(TYPE, input, keysOf(CONFIG_FIELDS), keysOf(CREDENTIAL_FIELDS));
  const name = reader.string('name', { required: true, maxLength: 260, pattern: ENTITY, patternHint: 'must be a queue or topic name: letters, digits, ".", "-", "_" and "/"' });
  if (name.includes('//') || name.includes('..')) reader.fail('name', 'must not contain "//" or ".."');
  return { name };
}

/** `Key=Value;…` pairs (keys case-sensitive as Azure writes them; values may contain `=`). */
export function connectionStringParts(text: string): Map<string, string> {
  const parts = new Map<string, string>();
  for (const piece of text.split(';')) {
    if (piece.trim() === '') continue;
    const at = piece.indexOf('=');
    if (at <= 0) continue;
    parts.set(piece.slice(0, at).trim(), piece.slice(at + 1).trim());
  }
  return parts;
}

export function parseServiceBusCredentials(input: unknown, previous: ServiceBusCredentials | null): ServiceBusCredentials {
  const reader = FieldReader.open(TYPE, input, keysOf(CREDENTIAL_FIELDS), keysOf(CONFIG_FIELDS));
  const text = reader.string('connection_string', { required: previous === null, maxLength: 4096 });
  if (text === undefined) {
    if (previous === null) throw reader.error('connection_string', 'is required');
    return previous;
  }
  const parts = connectionStringParts(text);
  const endpoint = parts.get('Endpoint');
  let url: URL | null = null;
  try {
    url = endpoint === undefined ? null : new URL(endpoint);
  } catch {
    url = null;
  }
  if (url === null || url.protocol !== 'sb:' || url.hostname === '') reader.fail('connection_string', 'must have Endpoint=sb://<namespace>.servicebus.windows.net/');
  const sas = parts.has('SharedAccessSignature');
  if (!sas && (!parts.get('SharedAccessKeyName') || !parts.get('SharedAccessKey'))) {
    reader.fail('connection_string', 'must have SharedAccessKeyName and SharedAccessKey (or a SharedAccessSignature)');
  }
  return { connection_string: text };
}

/** The endpoint and key name stay readable; the key or signature is masked. */
export function maskServiceBusCredentials(credentials: ServiceBusCredentials): Record<string, unknown> {
  const parts = connectionStringParts(credentials.connection_string);
  const shown = [...parts].map(([key, value]) => (key === 'SharedAccessKey' || key === 'SharedAccessSignature' ? `${key}=${maskSecret(value)}` : `${key}=${value}`));
  return { connection_string: shown.join(';') };
}
