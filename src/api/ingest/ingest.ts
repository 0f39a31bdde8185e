/**
 * Ingest: `/e/:id` and `/e/:id/*`, any method, any content type, as its own encapsulated plugin (no API key: the
 * id in the URL is the credential, and the management API's JSON parsing does not apply here).
 *
 * `:id` is a source id (one event per active connection of the source) or a connection id (`web_`, that connection
 * only). Every request that reaches a known source is stored — with a rejection cause when it makes no event — in
 * ONE durable store call, and only then answered. The store may cache the source and its connections (the SQLite
 * store does, dropping them on every change it writes), so disabling a source through the API takes effect at once.
 *
 * Order of the checks, cheapest and most protective first: the id is resolved and the source's rate limit taken
 * before the body is read (unknown id: 404, over the limit: 429 with Retry-After; neither stores anything). A body
 * over SLUICE_MAX_BODY_BYTES is refused (413) and recorded without its body, cause PAYLOAD_TOO_LARGE. Then:
 * disabled source (403), method not allowed (405), verification failed (403 VERIFICATION_FAILED), each recorded
 * with its cause and the whole request. Then each connection's rules (domain/connectionRules.ts): a connection
 * whose filter does not match makes no event and is recorded on the request as ignored (cause FILTERED); a request
 * every connection ignored is still stored and answered 200. A delay rule makes the event due later (SCHEDULED);
 * a deduplicate rule's key is settled by the store at commit (a live key: no event, ignored as DEDUPLICATED).
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { SluiceError } from '../../domain/errors.js';
import { isIdOf, newId } from '../../domain/ids.js';
import { applyRules, parseQuery, type RequestView } from '../../domain/connectionRules.js';
import { HTTP_METHODS, type Connection, type IgnoredRoute, type RejectionCause, type RequestRecord, type Source } from '../../domain/model.js';
import { credentialHeaderOf } from '../../domain/sourceAuth.js';
import type { NewEvent } from '../../store/port.js';
import type { ApiDeps } from '../deps.js';
import { ErrorResponse } from '../schemaHelpers.js';
import { IngestParams, IngestResponse, type IngestAnswer } from './schemas.js';
import { headersOf, parseJsonBody, pathAndQuery } from './readRequest.js';
import { SourceGuards } from './sourceGuards.js';

const EMPTY = Buffer.alloc(0);

const CONTENT_TYPES = {
  json: 'application/json; charset=utf-8',
  text: 'text/plain; charset=utf-8',
  xml: 'application/xml; charset=utf-8',
} as const;

interface Target {
  source: Source;
  /** Set when the URL named a connection: only it receives the request. */
  connection: { id: string; name: string } | null;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Ingest: the source (and connection) the URL names, resolved before the body is read. */
    ingestTarget: Target | null;
  }
}

type IngestRequest = FastifyRequest<{ Params: { id: string } }>;

export function ingestRoutes(app: FastifyInstance, { config, store, engine, keyring }: ApiDeps): void {
  const guards = new SourceGuards(keyring);
  // Any content type, read as bytes up to the limit (413 beyond, with or without Content-Length).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: config.maxBodyBytes }, (_request, body, done) => {
    done(null, body);
  });
  // Fastify answers 415 to a Content-Type it cannot parse as type/subtype before any parser runs. A webhook
  // sender's odd header must not lose the request, so the parsers are not shown it: the catch-all takes every
  // body. The stored headers come from the raw header list and keep the original value.
  app.addHook('onRequest', async (request) => {
    delete request.raw.headers['content-type'];
  });
  app.decorateRequest('ingestTarget', null);
  // Before the body is read: an unknown id or a sender over its source's rate limit costs no body transfer.
  app.addHook('onRequest', async (request: IngestRequest, reply) => {
    const { id } = request.params;
    const target = await resolve(id);
    if (target === null) {
      throw new SluiceError(
        'NOT_FOUND',
        `No source or connection with id ${id}. Send webhooks to the "url" of a source (GET /sources lists them); nothing was stored.`,
      );
    }
    const retryAfter = guards.retryAfter(target.source, Date.now());
    if (retryAfter !== null) {
      const limit = target.source.config.rate_limit;
      void reply.header('retry-after', String(retryAfter));
      throw new SluiceError(
        'RATE_LIMITED',
        `Source ${target.source.name} accepts ${limit?.limit} requests per ${limit?.period}; this one was not stored. Retry after ${retryAfter} s, or raise the source's config.rate_limit.`,
        { retry_after_seconds: retryAfter },
      );
    }
    request.ingestTarget = target;
  });
  // A body over the limit is recorded without it (never truncated), so the sender's attempt shows in /requests.
  app.setErrorHandler(async (error: FastifyError, request: IngestRequest, reply) => {
    const target = request.ingestTarget;
    if (error.code !== 'FST_ERR_CTP_BODY_TOO_LARGE' || target === null) throw error;
    const record = newRecord(request, target.source, EMPTY, Date.now());
    await store.acceptRequest({ ...record, rejectionCause: 'PAYLOAD_TOO_LARGE' }, []);
    void reply.header('x-sluice-request-id', record.id);
    throw new SluiceError(
      'PAYLOAD_TOO_LARGE',
      `The request body is larger than the ${config.maxBodyBytes} bytes a source accepts (SLUICE_MAX_BODY_BYTES). It was recorded without its body (${record.id}) and will not be delivered; send a smaller body.`,
      { limit_bytes: config.maxBodyBytes, request_id: record.id },
    );
  });

  /** The request as stored: its headers without the source's own credential (see credentialHeaderOf). */
  function newRecord(
    request: IngestRequest,
    source: Source,
    body: Buffer,
    now: number,
    received = headersOf(request.raw),
    parsed: { json: unknown } | null = null,
  ): RequestRecord {
    const credential = credentialHeaderOf(source.config.auth);
    let headers = received;
    if (credential !== null && Object.hasOwn(received, credential)) {
      headers = { ...received };
      delete headers[credential];
    }
    return {
      id: newId('request', now),
      teamId: source.teamId,
      sourceId: source.id,
      method: request.method,
      ...pathAndQuery(request.raw.url ?? '', request.params.id),
      headers,
      body,
      bodyIsJson: parsed !== null,
      rejectionCause: null,
      eventIds: [],
      createdAt: now,
    };
  }

  async function resolve(id: string): Promise<Target | null> {
    if (isIdOf('source', id)) {
      const source = await store.getSourceForIngest(id);
      return source === null ? null : { source, connection: null };
    }
    if (isIdOf('connection', id)) {
      const connection = await store.getConnectionForIngest(id);
      if (connection === null) return null;
      const source = await store.getSourceForIngest(connection.sourceId);
      return source === null ? null : { source, connection: { id: connection.id, name: connection.name } };
    }
    return null;
  }

  function answer(reply: FastifyReply, source: Source, body: IngestAnswer) {
    void reply.header('x-sluice-request-id', body.request_id);
    const custom = source.config.custom_response;
    if (custom !== null) return reply.code(200).type(CONTENT_TYPES[custom.content_type]).send(custom.body);
    return reply.code(200).type(CONTENT_TYPES.json).send(JSON.stringify(body));
  }

  async function handle(request: IngestRequest, reply: FastifyReply) {
    const target = request.ingestTarget;
    if (target === null) throw new Error('ingest target not resolved'); // the onRequest hook always sets it
    const { source, connection } = target;
    const now = Date.now();
    const body = Buffer.isBuffer(request.body) ? request.body : EMPTY;
    const received = headersOf(request.raw);
    const parsed = parseJsonBody(body, received['content-type']);
    const record = newRecord(request, source, body, now, received, parsed);
    const reject = (cause: RejectionCause) => store.acceptRequest({ ...record, rejectionCause: cause }, []);

    if (source.disabledAt !== null) {
      await reject('SOURCE_DISABLED');
      void reply.header('x-sluice-request-id', record.id);
      throw new SluiceError(
        'SOURCE_DISABLED',
        `Source ${source.name} is disabled: the request was recorded (${record.id}) but will not be delivered. Enable the source with PUT /sources/${source.id}/enable to accept requests.`,
        { request_id: record.id },
      );
    }
    const allowed = source.config.allowed_http_methods;
    if (!(allowed as readonly string[]).includes(request.method)) {
      await reject('UNSUPPORTED_HTTP_METHOD');
      void reply.header('allow', allowed.join(', ')).header('x-sluice-request-id', record.id);
      throw new SluiceError(
        'UNSUPPORTED_HTTP_METHOD',
        `Source ${source.name} does not accept ${request.method} requests (it accepts ${allowed.join(', ')}); the request was recorded (${record.id}). Send one of those methods, or add ${request.method} to the source's config.allowed_http_methods.`,
        { request_id: record.id, allowed_http_methods: allowed },
      );
    }
    const verdict = guards.verify(source, { headers: received, body, now });
    if (verdict !== null && !verdict.ok) {
      await reject('VERIFICATION_FAILED');
      void reply.header('x-sluice-request-id', record.id);
      throw new SluiceError(
        'VERIFICATION_FAILED',
        `Source ${source.name} requires ${source.config.auth?.type} verification and ${verdict.reason}; the request was recorded (${record.id}) but will not be delivered. Check the sender's secret and signing against the source's config.auth.`,
        { request_id: record.id },
      );
    }

    let connections = await store.listActiveConnectionsOfSource(source.id);
    if (connection !== null) connections = connections.filter((candidate) => candidate.id === connection.id);
    if (connections.length === 0) {
      await reject('NO_CONNECTION');
      const message =
        connection === null
          ? `Request stored, but source ${source.name} has no active connection; create one to deliver future requests`
          : `Request stored, but connection ${connection.name} is not active (it or its destination is disabled); enable it to deliver future requests`;
      return answer(reply, source, { status: 'NO_CONNECTION', message, request_id: record.id, event_ids: [] });
    }

    const { events, ignored } = routeByRules(request, connections, record, parsed, now);
    const proposed = events.map((event) => event.id);
    const accepted = await store.acceptRequest({ ...record, eventIds: proposed, ...(ignored.length > 0 ? { ignored } : {}) }, events);
    const eventIds = accepted.eventIds;
    // Delayed events wake the loop too: it recomputes its next wake-up from their due time.
    const due = events.filter((event) => event.status === 'QUEUED' && eventIds.includes(event.id));
    if (due.length > 0) engine.wake(due.map((event) => event.destinationId));
    const causes = [...new Set(accepted.ignored.map((route) => route.cause))].join(', ');
    const filtered = accepted.ignored.length > 0 ? ` ${accepted.ignored.length} connection(s) ignored it (${causes}; see the request's "ignored").` : '';
    return answer(reply, source, {
      status: 'SUCCESS',
      message: `Request stored by Sluice; inspect it with GET /requests/${record.id}.${filtered}`,
      request_id: record.id,
      event_ids: eventIds,
    });
  }

  /**
   * One event per connection whose rules let the request through (a delay rule makes it due later); the others
   * are recorded as ignored. The request's view for filters is built once, and only when a connection has one.
   */
  function routeByRules(request: IngestRequest, connections: Connection[], record: RequestRecord, parsed: { json: unknown } | null, now: number) {
    let view: RequestView | null = null;
    const viewOf = (): RequestView =>
      (view ??= {
        headers: record.headers,
        body: parsed !== null ? parsed.json : record.body.length === 0 ? undefined : record.body.toString('utf8'),
        query: parseQuery(record.query),
        path: record.path,
      });
    const events: NewEvent[] = [];
    const ignored: IgnoredRoute[] = [];
    for (const route of connections) {
      const verdict = applyRules(route, viewOf, now, record.body);
      if (verdict.kind === 'ignored') {
        if (verdict.exhausted) request.log.warn({ connection: route.id }, 'filter rule ran out of steps on this request; treated as not matching');
        ignored.push({ connectionId: route.id, cause: verdict.cause });
        continue;
      }
      events.push({
        id: newId('event', now),
        connectionId: route.id,
        destinationId: route.destinationId,
        status: route.pausedAt !== null ? 'HOLD' : 'QUEUED',
        ...(verdict.dueAt > now ? { dueAt: verdict.dueAt } : {}),
        ...(verdict.dedup === undefined ? {} : { dedup: verdict.dedup }),
      });
    }
    return { events, ignored };
  }

  const description =
    'Send a webhook. The id is a source id (one event per active connection of the source) or a connection id (web_, that connection only). ' +
    'Any content type is stored as bytes, up to SLUICE_MAX_BODY_BYTES (413 beyond, recorded without the body). Any path after the id and the query string are stored and forwarded. ' +
    "Answers 200 with the request id and event ids once stored (or the source's custom_response), 403 SOURCE_DISABLED, 403 VERIFICATION_FAILED (the source's auth_type), " +
    '405 UNSUPPORTED_HTTP_METHOD, 404 for an unknown id, 429 RATE_LIMITED with Retry-After (the source\'s rate_limit), 408 REQUEST_TIMEOUT and 431 HEADERS_TOO_LARGE.';
  const routeOptions = {
    bodyLimit: config.maxBodyBytes,
    schema: {
      summary: 'Ingest a request (webhook)',
      description,
      tags: ['Ingest'],
      security: [],
      params: IngestParams,
      response: { 200: IngestResponse, '4xx': ErrorResponse, '5xx': ErrorResponse },
    },
  };
  // Every method a source can allow (the 405 for the others comes from the source's config, and is recorded).
  const method = [...HTTP_METHODS];
  app.route<{ Params: { id: string } }>({ method, url: '/e/:id', ...routeOptions, handler: handle });
  // The same, with a sub-path (documented on /e/{id}).
  app.route<{ Params: { id: string } }>({
    method,
    url: '/e/:id/*',
    ...routeOptions,
    schema: { ...routeOptions.schema, hide: true },
    handler: handle,
  });
}
