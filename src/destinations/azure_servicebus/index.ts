/**
 * The `azure_servicebus` destination type: each event sent to an Azure Service Bus queue or topic.
 */
import type { DestinationType } from '../types.js';
import {
  CONFIG_FIELDS,
  CREDENTIAL_FIELDS,
  maskServiceBusCredentials,
  parseServiceBusConfig,
  parseServiceBusCredentials,
  TYPE,
  type ServiceBusConfig,
  type ServiceBusCredentials,
} from './config.js';
import { lazyPublisher } from '../support/lazyPublisher.js';

export const azureServicebus: DestinationType<ServiceBusConfig, ServiceBusCredentials> = {
  type: TYPE,
  label: 'Azure Service Bus',
  description: 'Sends each event to an Azure Service Bus queue or topic (body = event JSON, messageId = event id, metadata as application properties).',
  configFields: CONFIG_FIELDS,
  credentialFields: CREDENTIAL_FIELDS,
  parseConfig: parseServiceBusConfig,
  parseCredentials: (input, previous) => parseServiceBusCredentials(input, previous),
  maskCredentials: maskServiceBusCredentials,
  createPublisher: (deps) => lazyPublisher(async () => new (await import('./publisher.js')).ServiceBusPublisher(deps)),
};
