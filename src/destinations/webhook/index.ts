/**
 * The `webhook` destination type: HTTP POST of each event, signed with Standard Webhooks.
 */
import type { DestinationType } from '../types.js';
import { CONFIG_FIELDS, CREDENTIAL_FIELDS, maskWebhookCredentials, parseWebhookConfig, parseWebhookCredentials, TYPE, type WebhookConfig, type WebhookCredentials } from './config.js';
import { WebhookPublisher } from './publisher.js';

export const webhook: DestinationType<WebhookConfig, WebhookCredentials> = {
  type: TYPE,
  label: 'Webhook',
  description: 'POSTs each event as JSON to an HTTP endpoint, signed with Standard Webhooks (webhook-id, webhook-timestamp, webhook-signature).',
  configFields: CONFIG_FIELDS,
  credentialFields: CREDENTIAL_FIELDS,
  parseConfig: parseWebhookConfig,
  parseCredentials: parseWebhookCredentials,
  maskCredentials: maskWebhookCredentials,
  createPublisher: (deps) => new WebhookPublisher(deps),
};
