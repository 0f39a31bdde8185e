/**
 * The `aws_sqs` publisher: SendMessage with the event JSON as the body and the metadata as String message
 * attributes (FIFO queues also get the event id as deduplication id and the event type as group id). One SQS
 * client per destination, reused; one try per attempt, bounded by the attempt's signal.
 */
import { SendMessageCommand, SQSClient, type MessageAttributeValue } from '@aws-sdk/client-sqs';
import { awsClientConfig } from '../aws/client.js';
import { ClientCache } from '../support/clientCache.js';
import type { AwsCredentials } from '../aws/credentials.js';
import { awsFailure } from '../aws/errors.js';
import { Attempt } from '../support/attempt.js';
import { createHostGuard, type HostGuard } from '../support/hostGuard.js';
import type { DestinationTarget, DestinationTypeDeps, OutboundMessage, PublishOutcome, TypedPublisher, TypedPublishOptions } from '../types.js';
import type { SqsConfig } from './config.js';

/** SQS allows 10 attributes; names of letters, digits, `_`, `-`, `.`. */
const MAX_ATTRIBUTES = 10;

export function sqsAttributes(metadata: Record<string, string>): Record<string, MessageAttributeValue> {
  const out: Record<string, MessageAttributeValue> = {};
  for (const [key, value] of Object.entries(metadata).slice(0, MAX_ATTRIBUTES)) {
    if (value === '') continue; // SQS refuses empty attribute values
    out[key.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 256)] = { DataType: 'String', StringValue: value };
  }
  return out;
}

export class SqsPublisher implements TypedPublisher<SqsConfig, AwsCredentials> {
  private readonly clients = new ClientCache<SQSClient>((client) => client.destroy());
  private readonly guard: HostGuard;

  constructor(deps: DestinationTypeDeps) {
    this.guard = createHostGuard(deps.outboundAllowlist);
  }

  async publish(message: OutboundMessage, target: DestinationTarget<SqsConfig, AwsCredentials>, options: TypedPublishOptions): Promise<PublishOutcome> {
    const { config } = target;
    const attempt = new Attempt(options, { requestedUrl: config.queue_url, httpMethod: 'SendMessage' });
    try {
      this.guard.checkLiteral(new URL(config.endpoint ?? config.queue_url).hostname);
      const client = this.clients.get(target.destinationId, [config, target.credentials], () => new SQSClient(awsClientConfig({ ...config, credentials: target.credentials }, this.guard)));
      const fifo = config.queue_url.endsWith('.fifo');
      const command = new SendMessageCommand({
        QueueUrl: config.queue_url,
        MessageBody: message.body.toString('utf8'),
        MessageAttributes: sqsAttributes(message.metadata),
        ...(fifo ? { MessageDeduplicationId: message.eventId, MessageGroupId: message.eventType } : {}),
      });
      const answer = await client.send(command, { abortSignal: attempt.signal });
      return attempt.success(answer.$metadata.httpStatusCode ?? 200, answer.MessageId === undefined ? null : `MessageId: ${answer.MessageId}`);
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
