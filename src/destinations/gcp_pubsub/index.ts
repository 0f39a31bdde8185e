/**
 * The `gcp_pubsub` destination type: each event published to a Google Cloud Pub/Sub topic.
 */
import type { DestinationType } from '../types.js';
import { CONFIG_FIELDS, CREDENTIAL_FIELDS, maskPubsubCredentials, parsePubsubConfig, parsePubsubCredentials, TYPE, type PubsubConfig, type PubsubCredentials } from './config.js';
import { lazyPublisher } from '../support/lazyPublisher.js';

export const gcpPubsub: DestinationType<PubsubConfig, PubsubCredentials> = {
  type: TYPE,
  label: 'GCP Pub/Sub',
  description: 'Publishes each event to a Google Cloud Pub/Sub topic (data = event JSON, metadata as attributes).',
  configFields: CONFIG_FIELDS,
  credentialFields: CREDENTIAL_FIELDS,
  parseConfig: parsePubsubConfig,
  parseCredentials: (input, previous) => parsePubsubCredentials(input, previous),
  maskCredentials: maskPubsubCredentials,
  createPublisher: (deps) => lazyPublisher(async () => new (await import('./publisher.js')).PubsubPublisher(deps)),
};
