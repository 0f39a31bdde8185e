/**
 * The outbound destination types (issue 4), one line each. The API validates `POST /v2/event-destinations` and
 * answers `GET /v2/destination-types` from this list; the dispatcher builds one publisher per type from it.
 * Adding a type is one folder under src/destinations/<type>/ and one line below.
 */
import type { DestinationType } from './types.js';
import { azureServicebus } from './azure_servicebus/index.js';
import { awsKinesis } from './aws_kinesis/index.js';
import { awsS3 } from './aws_s3/index.js';
import { awsSqs } from './aws_sqs/index.js';
import { gcpPubsub } from './gcp_pubsub/index.js';
import { hookdeck } from './hookdeck/index.js';
import { rabbitmq } from './rabbitmq/index.js';
import { webhook } from './webhook/index.js';

export const DESTINATION_TYPES: readonly DestinationType[] = [
  webhook,
  awsSqs,
  awsKinesis,
  awsS3,
  gcpPubsub,
  azureServicebus,
  rabbitmq,
  hookdeck,
];

const BY_TYPE = new Map(DESTINATION_TYPES.map((type) => [type.type, type]));

/** The type with this identifier (`webhook`, `aws_sqs`, …), or undefined. */
export function findDestinationType(type: string): DestinationType | undefined {
  return BY_TYPE.get(type);
}
