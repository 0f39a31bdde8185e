/**
 * The `aws_s3` publisher: one PutObject per event at the key its template names (the same key on every retry,
 * so a retry overwrites instead of duplicating), with the content type, the metadata as object metadata
 * (`x-amz-meta-*`) and the storage class. One S3 client per destination, reused; path-style addressing with an
 * endpoint override (emulators, MinIO).
 */
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { parseKeyTemplate, renderKeyTemplate, TemplateError } from '../../domain/keyTemplate.js';
import { awsClientConfig } from '../aws/client.js';
import { ClientCache } from '../support/clientCache.js';
import type { AwsCredentials } from '../aws/credentials.js';
import { awsFailure } from '../aws/errors.js';
import { Attempt } from '../support/attempt.js';
import { eventData } from '../support/eventData.js';
import { createHostGuard, type HostGuard } from '../support/hostGuard.js';
import type { DestinationTarget, DestinationTypeDeps, OutboundMessage, PublishOutcome, TypedPublisher, TypedPublishOptions } from '../types.js';
import type { S3Config } from './config.js';

/** Object metadata names: lower case (S3 lower-cases them anyway), letters, digits and `-`. */
export function s3Metadata(metadata: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  // Metadata travels as HTTP headers: keep it to printable ASCII, as S3 requires.
  for (const [key, value] of Object.entries(metadata)) out[key.toLowerCase().replace(/[^a-z0-9-]/g, '-')] = value.replace(/[^\x20-\x7e]/g, '?');
  return out;
}

export function objectKey(config: S3Config, message: OutboundMessage): string {
  const template = parseKeyTemplate(config.key_template);
  return renderKeyTemplate(template, {
    eventId: message.eventId,
    eventType: message.eventType,
    createdAt: message.createdAt,
    ...(template.readsData ? { data: eventData(message) } : {}),
  });
}

export class S3Publisher implements TypedPublisher<S3Config, AwsCredentials> {
  private readonly clients = new ClientCache<S3Client>((client) => client.destroy());
  private readonly guard: HostGuard;

  constructor(deps: DestinationTypeDeps) {
    this.guard = createHostGuard(deps.outboundAllowlist);
  }

  async publish(message: OutboundMessage, target: DestinationTarget<S3Config, AwsCredentials>, options: TypedPublishOptions): Promise<PublishOutcome> {
    const { config } = target;
    let key: string;
    try {
      key = objectKey(config, message);
    } catch (error) {
      if (!(error instanceof TemplateError)) throw error;
      const attempt = new Attempt(options, { requestedUrl: `s3://${config.bucket}/${config.key_template}`, httpMethod: 'PutObject' });
      return attempt.rejected(422, `key_template: ${error.message}`, true);
    }
    const attempt = new Attempt(options, { requestedUrl: `s3://${config.bucket}/${key}`, httpMethod: 'PutObject' });
    try {
      if (config.endpoint !== undefined) this.guard.checkLiteral(new URL(config.endpoint).hostname);
      const client = this.clients.get(
        target.destinationId,
        [config.region, config.endpoint, target.credentials],
        () =>
          new S3Client({
            ...awsClientConfig({ region: config.region, ...(config.endpoint === undefined ? {} : { endpoint: config.endpoint }), credentials: target.credentials }, this.guard),
            forcePathStyle: config.endpoint !== undefined,
          }),
      );
      const command = new PutObjectCommand({
        Bucket: config.bucket,
        Key: key,
        Body: message.body,
        ContentType: message.contentType,
        Metadata: s3Metadata(message.metadata),
        StorageClass: config.storage_class,
      });
      const answer = await client.send(command, { abortSignal: attempt.signal });
      return attempt.success(answer.$metadata.httpStatusCode ?? 200, answer.ETag === undefined ? null : `ETag: ${answer.ETag}`);
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
