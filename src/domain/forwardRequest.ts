/**
 * The request an HTTP destination receives for one attempt, built from the stored request: the original method,
 * path, query, headers and body, with the headers that only made sense on the inbound hop removed and the
 * `x-sluice-*` delivery headers added. Pure: the publisher sends exactly what this returns.
 */
import type { AttemptTrigger, HttpDestinationConfig, RequestRecord } from './model.js';
import { signBody } from './signing.js';

export interface ForwardAttempt {
  eventId: string;
  requestId: string;
  sourceName: string;
  /** This attempt's number (1 = the first). */
  attemptNumber: number;
  trigger: AttemptTrigger;
  /** Wait before the next automatic attempt should this one fail; null when none would follow. */
  willRetryAfterMs: number | null;
  signingSecret: string;
}

export interface ForwardRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  /** null = send no body (GET and HEAD). */
  body: Buffer | null;
}

/**
 * Headers of the inbound hop (RFC 9110 §7.6.1 plus `host`, `content-length` and `expect`): they describe the
 * connection the request came in on, not the one we open, and undici refuses several of them outright.
 */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'content-length',
  'expect',
  'http2-settings',
]);

function isHopByHop(name: string, listedInConnection: Set<string>): boolean {
  // Our own headers are set below; a sender's `x-sluice-*` could otherwise pose as the gateway's.
  return HOP_BY_HOP.has(name) || name.startsWith('proxy-') || name.startsWith('x-sluice-') || listedInConnection.has(name);
}

/** Destination URL + request path (one slash between) + the request query after any query the URL has. */
export function forwardUrl(destinationUrl: string, path: string, query: string): string {
  const url = new URL(destinationUrl);
  if (path !== '' && path !== '/') {
    url.pathname = `${url.pathname.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
  }
  if (query !== '') {
    const existing = url.search.replace(/^\?/, '');
    url.search = existing === '' ? query : `${existing}&${query}`;
  }
  return url.toString();
}

function forwardedHeaders(original: Record<string, string>): Record<string, string> {
  const listed = new Set((original.connection ?? '').split(',').map((h) => h.trim().toLowerCase()).filter((h) => h !== ''));
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(original)) {
    const lower = name.toLowerCase();
    if (!isHopByHop(lower, listed)) out[lower] = value;
  }
  return out;
}

export function buildForwardRequest(request: RequestRecord, config: HttpDestinationConfig, attempt: ForwardAttempt): ForwardRequest {
  const method = (config.http_method ?? request.method).toUpperCase();
  const body = method === 'GET' || method === 'HEAD' ? null : request.body;
  const headers = forwardedHeaders(request.headers);
  for (const [name, value] of Object.entries(config.headers ?? {})) headers[name.toLowerCase()] = value;
  headers['x-sluice-event-id'] = attempt.eventId;
  headers['x-sluice-request-id'] = attempt.requestId;
  headers['x-sluice-source-name'] = attempt.sourceName;
  headers['x-sluice-attempt-count'] = String(attempt.attemptNumber);
  headers['x-sluice-attempt-trigger'] = attempt.trigger;
  if (attempt.willRetryAfterMs !== null) {
    headers['x-sluice-will-retry-after'] = String(Math.ceil(attempt.willRetryAfterMs / 1000));
  }
  // The signature covers the bytes actually sent, so a receiver can verify what it got (empty for GET/HEAD).
  headers['x-sluice-signature'] = signBody(attempt.signingSecret, body ?? Buffer.alloc(0));
  return { url: forwardUrl(config.url, request.path, request.query), method, headers, body };
}
