/**
 * The `rabbitmq` type's fields: config `server_url` (amqp:// or amqps://, optionally with a vhost path),
 * `exchange`, `tls`; credentials `username`, `password` (kept out of the URL so they are encrypted at rest).
 */
import { FieldReader, keysOf } from '../support/fields.js';
import { maskSecret } from '../support/mask.js';
import type { DestinationField } from '../types.js';

export const TYPE = 'rabbitmq';

export type RabbitmqConfig = {
  /** Normalised: scheme (amqps when `tls`), host, port and vhost path; no user info, no query. */
  server_url: string;
  exchange: string;
  tls: boolean;
};

export type RabbitmqCredentials = {
  username: string;
  password: string;
};

export const CONFIG_FIELDS: DestinationField[] = [
  {
    key: 'server_url',
    label: 'Server URL',
    type: 'url',
    required: true,
    sensitive: false,
    description: 'amqp://host:port/vhost or amqps://… (the vhost is the path, %2F-encoded; "/" when absent). No user name or password here',
  },
  { key: 'exchange', label: 'Exchange', type: 'text', required: true, sensitive: false, description: 'Exchange to publish to; the routing key is the event type' },
  { key: 'tls', label: 'TLS', type: 'boolean', required: false, sensitive: false, description: 'Connect with TLS (amqps); default true for amqps:// URLs', default: false },
];

export const CREDENTIAL_FIELDS: DestinationField[] = [
  { key: 'username', label: 'User name', type: 'text', required: true, sensitive: true, description: 'RabbitMQ user' },
  { key: 'password', label: 'Password', type: 'secret', required: true, sensitive: true, description: 'RabbitMQ password' },
];

/** RabbitMQ's own rule for exchange names (letters, digits, hyphen, underscore, period, colon), up to 255. */
const EXCHANGE = /^[A-Za-z0-9_.:-]{1,255}$/;

export function parseRabbitmqConfig(input: unknown): RabbitmqConfig {
  const reader = FieldReader.open(TYPE, input, keysOf(CONFIG_FIELDS), keysOf(CREDENTIAL_FIELDS));
  const url = reader.url('server_url', { required: true, schemes: ['amqp', 'amqps'], noUserInfo: true });
  const exchange = reader.string('exchange', {
    required: true,
    maxLength: 255,
    pattern: EXCHANGE,
    patternHint: 'must be an exchange name: letters, digits, "-", "_", "." and ":" only',
  });
  const tlsGiven = reader.boolean('tls');
  if (url.search !== '' || url.hash !== '') reader.fail('server_url', 'must not have a query or fragment');
  const path = url.pathname === '' || url.pathname === '/' ? '/' : url.pathname.slice(1);
  if (path !== '/' && path.includes('/')) reader.fail('server_url', 'must name at most one vhost in its path (encode a "/" in a vhost name as %2F)');
  const secure = url.protocol === 'amqps:';
  if (secure && tlsGiven === false) reader.fail('tls', 'cannot be false with an amqps:// server_url');
  const tls = tlsGiven ?? secure;
  const port = url.port === '' ? (tls ? 5671 : 5672) : Number(url.port);
  const vhostPath = path === '/' ? '' : path;
  return { server_url: `${tls ? 'amqps' : 'amqp'}://${url.host.replace(/:\d+$/, '')}:${port}/${vhostPath}`, exchange, tls };
}

export function parseRabbitmqCredentials(input: unknown, previous: RabbitmqCredentials | null): RabbitmqCredentials {
  const reader = FieldReader.open(TYPE, input, keysOf(CREDENTIAL_FIELDS), keysOf(CONFIG_FIELDS));
  const username = reader.string('username', { required: previous === null, maxLength: 255 }) ?? previous?.username;
  const password = reader.string('password', { required: previous === null, maxLength: 1024 }) ?? previous?.password;
  if (username === undefined) throw reader.error('username', 'is required');
  if (password === undefined) throw reader.error('password', 'is required');
  return { username, password };
}

export function maskRabbitmqCredentials(credentials: RabbitmqCredentials): Record<string, unknown> {
  return { username: maskSecret(credentials.username), password: maskSecret(credentials.password) };
}
