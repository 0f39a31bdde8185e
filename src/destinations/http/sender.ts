/**
 * The HTTP sender every HTTP-speaking destination shares (inbound `HTTP`, outbound `webhook` and `hookdeck`): one
 * keep-alive pool (undici) whose every connection passes the SSRF guard, one request per call within the
 * attempt's time budget, redirects not followed (a 3xx is a refusal, as Svix), the response body capped, and
 * whatever goes wrong returned as a typed outcome, never thrown.
 */
import { Agent, buildConnector, request } from 'undici';
import { isIP } from 'node:net';
import { MAX_RETRY_DELAY_MS } from '../../domain/backoff.js';
import type { PublishOutcome } from '../types.js';
import { BlockedAddressError, createAddressGuard } from './addressGuard.js';
import { AttemptSignal } from './attemptSignal.js';
import { mapRequestError } from './errorCodes.js';
import { bodyForRecord, readCapped } from './responseBody.js';

export interface HttpSenderOptions {
  /** Bytes of the response body kept on the attempt. */
  responseBodyLimit: number;
  /** CIDR ranges the SSRF guard lets through (config `outboundAllowlist`). */
  outboundAllowlist: readonly string[];
}

export interface OutgoingHttpRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  /** null = send no body. */
  body: Uint8Array | null;
}

/**
 * `Retry-After` as milliseconds from now: delta-seconds or an HTTP date (RFC 9110 §10.2.3), at most
 * MAX_RETRY_DELAY_MS (a day): "999…9" seconds would otherwise be Infinity, and no wait is longer than that anyway.
 */
export function parseRetryAfter(value: string | string[] | undefined, now: number = Date.now()): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined || text.trim() === '') return undefined;
  if (/^\d+$/.test(text.trim())) return Math.min(Number(text.trim()) * 1000, MAX_RETRY_DELAY_MS);
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.min(Math.max(0, at - now), MAX_RETRY_DELAY_MS);
}

function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}

/** One pool for every destination: connections to the same origin are reused across events and destinations. */
function createAgent(options: HttpSenderOptions): Agent {
  const guard = createAddressGuard(options.outboundAllowlist);
  const connect = buildConnector({ lookup: guard.lookup });
  return new Agent({
    keepAliveTimeout: 10_000,
    keepAliveMaxTimeout: 60_000,
    connect: (opts, callback) => {
      // Node does not call `lookup` for an IP literal, so judge those here (the URL parser has already turned
      // 2130706433, 0x7f000001 and 0177.0.0.1 into 127.0.0.1).
      const host = opts.hostname.replace(/^\[|\]$/g, '');
      if (isIP(host) !== 0 && guard.isBlocked(host)) {
        callback(new BlockedAddressError(host, host), null);
        return;
      }
      connect(opts, callback);
    },
  });
}

/**
 * What the HTTP publishers send through: the in-thread HttpSender below, or the ThreadedHttpSender
 * (senderThread.ts) that runs one of these on a worker thread. Same outcomes, same guarantees.
 */
export interface HttpSend {
  send(outgoing: OutgoingHttpRequest, timeoutMs: number, signal: AbortSignal): Promise<PublishOutcome>;
  close(): Promise<void>;
}

export class HttpSender implements HttpSend {
  private readonly agent: Agent;

  constructor(private readonly options: HttpSenderOptions) {
    this.agent = createAgent(options);
  }

  /** One request. `timeoutMs` bounds connect + headers + body together; `signal` cancels (shutdown). */
  async send(outgoing: OutgoingHttpRequest, timeoutMs: number, signal: AbortSignal): Promise<PublishOutcome> {
    const started = performance.now();
    const latency = () => Math.round(performance.now() - started);
    const target = { requestedUrl: outgoing.url, httpMethod: outgoing.method };
    const limit = new AttemptSignal(signal, timeoutMs);
    const combined = limit.signal;
    try {
      const response = await request(outgoing.url, {
        dispatcher: this.agent,
        method: outgoing.method as 'POST',
        headers: outgoing.headers,
        body: outgoing.body,
        signal: combined,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      const body = await readCapped(response.body, this.options.responseBodyLimit);
      const base = {
        ...target,
        status: response.statusCode,
        body: this.options.responseBodyLimit === 0 ? null : bodyForRecord(body, headerText(response.headers['content-type'])),
        responseLatency: latency(),
      };
      if (response.statusCode >= 200 && response.statusCode <= 299) return { kind: 'success', ...base };
      const retryAfterMs = parseRetryAfter(response.headers['retry-after']);
      return retryAfterMs === undefined ? { kind: 'rejected', ...base } : { kind: 'rejected', ...base, retryAfterMs };
    } catch (error) {
      const aborted = limit.timedOut ? 'timeout' : signal.aborted ? 'cancelled' : null;
      const mapped = mapRequestError(error, aborted);
      // A refused address is refused again on every retry: only a config or allowlist change helps.
      const permanent = mapped.errorCode === 'BLOCKED_ADDRESS' ? { permanent: true } : {};
      return { kind: 'unreachable', ...target, ...mapped, ...permanent, responseLatency: latency() };
    } finally {
      limit.dispose();
    }
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}
