/**
 * The `aws_kinesis` publisher: one PutRecord per event, the record being the event JSON byte for byte and the
 * partition key rendered from `partition_key_template` (default the event id). Kinesis records carry no
 * attributes: the metadata is inside the event JSON (id, type, created_at). One client per destination, reused.
 */
import { KinesisClient, PutRecordCommand } from '@aws-sdk/client-kinesis';
import { parseKeyTemplate, renderKeyTemplate, TemplateError } from '../../domain/keyTemplate.js';
import { awsClientConfig } from '../aws/client.js';
import { ClientCache } from '../support/clientCache.js';
import type { AwsCredentials } from '../aws/credentials.js';
import { awsFailure } from '../aws/errors.js';
import { Attempt } from '../support/attempt.js';
import { eventData } from '../support/eventData.js';
import { createHostGuard, type HostGuard } from '../support/hostGuard.js';
import type { DestinationTarget, DestinationTypeDeps, OutboundMessage, PublishOutcome, TypedPublisher, TypedPublishOptions } from '../types.js';
import type { KinesisConfig } from './config.js';

/** Kinesis partition keys are 1–256 Unicode characters. */
const MAX_PARTITION_KEY = 256;

export function partitionKey(config: KinesisConfig, message: OutboundMessage): string {
  const template = parseKeyTemplate(config.partition_key_template);
  const key = renderKeyTemplate(template, {
    eventId: message.eventId,
    eventType: message.eventType,
    createdAt: message.createdAt,
    ...(template.readsData ? { data: eventData(message) } : {}),
  });
  if (key === '') throw new TemplateError('renders an empty partition key');
  return [...key].slice(0, MAX_PARTITION_KEY).join('');
}

export class KinesisPublisher implements TypedPublisher<KinesisConfig, AwsCredentials> {
  private readonly clients = new ClientCache<KinesisClient>((client) => client.destroy());
  private readonly guard: HostGuard;

  constructor(deps: DestinationTypeDeps) {
    this.guard = createHostGuard(deps.outboundAllowlist);
  }

  async publish(message: OutboundMessage, target: DestinationTarget<KinesisConfig, AwsCredentials>, options: TypedPublishOptions): Promise<PublishOutcome> {
    const { config } = target;
    const attempt = new Attempt(options, { requestedUrl: `kinesis://${config.region}/${config.stream_name}`, httpMethod: 'PutRecord' });
    let key: string;
    try {
      key = partitionKey(config, message);
    } catch (error) {
      if (error instanceof TemplateError) return attempt.rejected(422, `partition_key_template: ${error.message}`, true);
      throw error;
    }
    try {
      if (config.endpoint !== undefined) this.guard.checkLiteral(new URL(config.endpoint).hostname);
      const client = this.clients.get(
        target.destinationId,
        [config.region, config.endpoint, target.credentials],
        () => new KinesisClient(awsClientConfig({ region: config.region, ...(config.endpoint === undefined ? {} : { endpoint: config.endpoint }), credentials: target.credentials }, this.guard)),
      );
      const answer = await client.send(new PutRecordCommand({ StreamName: config.stream_name, Data: message.body, PartitionKey: key }), { abortSignal: attempt.signal });
      return attempt.success(answer.$metadata.httpStatusCode ?? 200, `ShardId: ${answer.ShardId ?? '?'}, SequenceNumber: ${answer.SequenceNumber ?? '?'}`);
    } catch (error) {
      return awsFailure(attempt, error);
    }
  }

  async evict(destinationId: string): Promise<void> {
    await this.clients.evict(destinationId);
  }

  async close(): Promise<void> {
    await this.clients.close();
  }
}
