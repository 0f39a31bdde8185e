/**
 * The `rabbitmq` destination type: each event published to an exchange with publisher confirms (AMQP 0-9-1).
 */
import type { DestinationType } from '../types.js';
import {
  CONFIG_FIELDS,
  CREDENTIAL_FIELDS,
  maskRabbitmqCredentials,
  parseRabbitmqConfig,
  parseRabbitmqCredentials,
  TYPE,
  type RabbitmqConfig,
  type RabbitmqCredentials,
} from './config.js';
import { lazyPublisher } from '../support/lazyPublisher.js';

export const rabbitmq: DestinationType<RabbitmqConfig, RabbitmqCredentials> = {
  type: TYPE,
  label: 'RabbitMQ',
  description: 'Publishes each event to a RabbitMQ exchange (routing key = event type, metadata as headers, persistent, publisher confirms).',
  configFields: CONFIG_FIELDS,
  credentialFields: CREDENTIAL_FIELDS,
  parseConfig: parseRabbitmqConfig,
  parseCredentials: (input, previous) => parseRabbitmqCredentials(input, previous),
  maskCredentials: maskRabbitmqCredentials,
  createPublisher: (deps) => lazyPublisher(async () => new (await import('./publisher.js')).RabbitmqPublisher(deps)),
};
