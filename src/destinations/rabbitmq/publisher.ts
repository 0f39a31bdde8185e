/**
 * The `rabbitmq` publisher: one AMQP connection and one confirm channel per destination, opened on first use and
 * reused for every message; a dropped connection (broker restart, network, a server-side close) or a channel the
 * broker closed is replaced on the next attempt. Each attempt publishes once — routing key = event type,
 * metadata as AMQP headers, message id = event id, persistent — and waits for the broker's confirm: an ack is
 * success, a nack or a closed channel is a failure. AMQP reply codes share HTTP's numbers (404 NOT_FOUND,
 * 403 ACCESS_REFUSED), so they are the outcome's status.
 */
import { connect, type ChannelModel, type ConfirmChannel, type Options } from 'amqplib';
import { createHash } from 'node:crypto';
import { Attempt, errorText } from '../support/attempt.js';
import { createHostGuard, type HostGuard } from '../support/hostGuard.js';
import type { DestinationTarget, DestinationTypeDeps, OutboundMessage, PublishOutcome, TypedPublisher, TypedPublishOptions } from '../types.js';
import type { RabbitmqConfig, RabbitmqCredentials } from './config.js';

/** Reply codes after which the same publish cannot succeed until the destination is reconfigured. */
const PERMANENT_REPLY_CODES = new Set([
  403, // ACCESS_REFUSED: the user may not publish there (or log in)
  404, // NOT_FOUND: no such exchange (or vhost)
  406, // PRECONDITION_FAILED
  530, // NOT_ALLOWED: e.g. the vhost is not open to this user
  540, // NOT_IMPLEMENTED
]);

interface Link {
  /** Which config + credentials it was opened with: a change opens a new one. */
  fingerprint: string;
  model: ChannelModel;
  channel: Promise<ConfirmChannel> | null;
  /** Why the broker last closed the channel (carries the reply code). */
  channelError: (Error & { code?: unknown }) | null;
  open: boolean;
}

function fingerprint(config: RabbitmqConfig, credentials: RabbitmqCredentials): string {
  return createHash('sha256').update(JSON.stringify([config.server_url, config.tls, credentials.username, credentials.password])).digest('hex');
}

/** `amqp://host:port/vhost` → connect options (credentials apart, never in a URL that could be logged). */
function connectOptions(config: RabbitmqConfig, credentials: RabbitmqCredentials): Options.Connect {
  const url = new URL(config.server_url);
  const path = url.pathname.slice(1);
  return {
    protocol: config.tls ? 'amqps' : 'amqp',
    hostname: url.hostname.replace(/^\[|\]$/g, ''),
    port: Number(url.port),
    username: credentials.username,
    password: credentials.password,
    vhost: path === '' ? '/' : decodeURIComponent(path),
    heartbeat: 30,
  };
}

/** The AMQP reply code an error carries (channel/connection close), if any. */
function replyCode(error: unknown): number | null {
  if (typeof error !== 'object' || error === null) return null;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'number') return code;
  const match = /(?:server|closed): (\d{3}) \(/.exec(errorText(error));
  return match === null ? null : Number(match[1]);
}

export class RabbitmqPublisher implements TypedPublisher<RabbitmqConfig, RabbitmqCredentials> {
  private readonly links = new Map<string, Promise<Link>>();
  private readonly guard: HostGuard;

  constructor(deps: DestinationTypeDeps) {
    this.guard = createHostGuard(deps.outboundAllowlist);
  }

  async publish(message: OutboundMessage, target: DestinationTarget<RabbitmqConfig, RabbitmqCredentials>, options: TypedPublishOptions): Promise<PublishOutcome> {
    const { config } = target;
    const attempt = new Attempt(options, { requestedUrl: `${config.server_url}?exchange=${encodeURIComponent(config.exchange)}`, httpMethod: 'basic.publish' });
    let link: Link | null = null;
    try {
      link = await attempt.race(this.link(target));
      const channel = await attempt.race(this.channel(link));
      await attempt.race(this.publishConfirmed(channel, config.exchange, message));
      return attempt.success(200);
    } catch (error) {
      return this.failure(attempt, error, link);
    }
  }

  private failure(attempt: Attempt, error: unknown, link: Link | null): PublishOutcome {
    if (attempt.aborted() !== null) return attempt.networkFailure(error);
    // A confirm callback only says "channel closed"; the broker's reason arrived just before, on the channel.
    const cause = link?.channelError ?? error;
    const code = replyCode(cause) ?? replyCode(error);
    if (error instanceof NackError) return attempt.rejected(503, 'the broker refused the message (basic.nack)', false);
    if (code !== null) return attempt.rejected(code, errorText(cause), PERMANENT_REPLY_CODES.has(code));
    return attempt.networkFailure(error);
  }

  private publishConfirmed(channel: ConfirmChannel, exchange: string, message: OutboundMessage): Promise<void> {
    return new Promise((resolve, reject) => {
      try {
        channel.publish(
          exchange,
          message.eventType,
          message.body,
          {
            persistent: true,
            contentType: message.contentType,
            messageId: message.eventId,
            type: message.eventType,
            timestamp: Math.floor(message.createdAt / 1000),
            appId: 'sluice',
            headers: { ...message.metadata },
          },
          (error: unknown) => {
            if (error === null || error === undefined) resolve();
            else reject(errorText(error) === 'message nacked' ? new NackError() : error instanceof Error ? error : new Error(errorText(error)));
          },
        );
      } catch (error) {
        // A channel already closed throws at once.
        reject(error instanceof Error ? error : new Error(errorText(error)));
      }
    });
  }

  /** The destination's open connection, or a new one when there is none, it dropped, or its settings changed. */
  private async link(target: DestinationTarget<RabbitmqConfig, RabbitmqCredentials>): Promise<Link> {
    const wanted = fingerprint(target.config, target.credentials);
    const existing = this.links.get(target.destinationId);
    if (existing !== undefined) {
      const link = await existing.catch(() => null);
      if (link !== null && link.open && link.fingerprint === wanted) return link;
      if (this.links.get(target.destinationId) === existing) this.links.delete(target.destinationId);
      if (link !== null && link.open) await link.model.close().catch(() => undefined);
    }
    const opening = this.open(target, wanted);
    this.links.set(target.destinationId, opening);
    opening.catch(() => {
      if (this.links.get(target.destinationId) === opening) this.links.delete(target.destinationId);
    });
    return opening;
  }

  private async open(target: DestinationTarget<RabbitmqConfig, RabbitmqCredentials>, print: string): Promise<Link> {
    const options = connectOptions(target.config, target.credentials);
    this.guard.checkLiteral(options.hostname ?? '');
    const model = await connect(options, {
      lookup: this.guard.lookup,
      timeout: 10_000,
      noDelay: true,
      clientProperties: { connection_name: `sluice:${target.destinationId}` },
    });
    const link: Link = { fingerprint: print, model, channel: null, channelError: null, open: true };
    // 'error' is always followed by 'close'; listening to it keeps an unhandled 'error' from crashing the process.
    model.on('error', () => undefined);
    model.on('close', () => {
      link.open = false;
    });
    return link;
  }

  private channel(link: Link): Promise<ConfirmChannel> {
    if (link.channel !== null) return link.channel;
    const opening = link.model.createConfirmChannel().then((channel) => {
      link.channelError = null;
      channel.on('error', (error: Error) => {
        link.channelError = error;
      });
      channel.on('close', () => {
        if (link.channel === opening) link.channel = null;
      });
      return channel;
    });
    link.channel = opening;
    opening.catch(() => {
      if (link.channel === opening) link.channel = null;
    });
    return opening;
  }

  async evict(destinationId: string): Promise<void> {
    const existing = this.links.get(destinationId);
    this.links.delete(destinationId);
    const link = await existing?.catch(() => null);
    if (link?.open === true) await link.model.close().catch(() => undefined);
  }

  async close(): Promise<void> {
    await Promise.all([...this.links.keys()].map((id) => this.evict(id)));
  }
}

class NackError extends Error {
  constructor() {
    super('message nacked');
    this.name = 'NackError';
  }
}
