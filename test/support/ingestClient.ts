/**
 * Sends test bodies to an ingest URL and keeps what each answer acknowledged, for fault tests that count
 * acknowledged, stored and delivered requests. A request is acknowledged only by a 2xx with its ids.
 */
import { Agent, request, type Dispatcher } from 'undici';
import type { TestBody } from './mixedBodies.js';

export interface IngestOutcome {
  seq: number;
  status: number | 'network-error';
  /** Set on a 2xx. */
  requestId?: string;
  eventIds?: string[];
  /** Set on an error answer. */
  code?: string;
  retryAfter?: string;
}

export async function postBody(url: string, body: TestBody, seq: number, dispatcher?: Dispatcher): Promise<IngestOutcome> {
  const headers: Record<string, string> = { 'x-test-seq': String(seq) };
  if (body.contentType !== undefined) headers['content-type'] = body.contentType;
  try {
    const res = await request(url, { method: 'POST', body: body.bytes, headers, ...(dispatcher === undefined ? {} : { dispatcher }) });
    const text = await res.body.text();
    const outcome: IngestOutcome = { seq, status: res.statusCode };
    if (res.statusCode >= 200 && res.statusCode <= 299) {
      const parsed = JSON.parse(text) as { request_id: string; event_ids: string[] };
      outcome.requestId = parsed.request_id;
      outcome.eventIds = parsed.event_ids;
    } else {
      try {
        outcome.code = (JSON.parse(text) as { code?: string }).code;
      } catch {
        outcome.code = `unparsable: ${text.slice(0, 100)}`;
      }
      const retryAfter = res.headers['retry-after'];
      if (typeof retryAfter === 'string') outcome.retryAfter = retryAfter;
    }
    return outcome;
  } catch {
    return { seq, status: 'network-error' }; // the connection died: not acknowledged, so not owed
  }
}

/**
 * Runs `workers` clients that each send `bodyFor(seq)` until `stop()` or `total` requests; calls `onOutcome` for
 * every answer (or network error) as it comes.
 */
export async function runIngestLoad(options: {
  url: string;
  total: number;
  workers: number;
  bodyFor: (seq: number) => TestBody;
  stop: () => boolean;
  onOutcome: (outcome: IngestOutcome, body: TestBody) => void;
}): Promise<void> {
  const agent = new Agent({ connections: options.workers, pipelining: 1 });
  let next = 0;
  const worker = async () => {
    while (next < options.total && !options.stop()) {
      const seq = next++;
      const body = options.bodyFor(seq);
      options.onOutcome(await postBody(options.url, body, seq, agent), body);
    }
  };
  try {
    await Promise.all(Array.from({ length: options.workers }, worker));
  } finally {
    await agent.close().catch(() => undefined);
  }
}
