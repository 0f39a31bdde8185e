/**
 * The one error handler and the 404 handler of the HTTP server. Every failure leaves as the inbound face's error
 * shape `{code, status, message, data?}` (FACTS.md), with a stable code from domain/errors.ts and a message that
 * says what to do. Fastify's own errors (bad JSON, body too large, unsupported media type) are translated here;
 * anything unexpected is logged and answered 500 INTERNAL_ERROR without internals.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { SluiceError, type ErrorCode } from '../domain/errors.js';
import { isStorageUnavailable } from '../store/unavailable.js';

export interface ErrorBody {
  code: string;
  status: number;
  message: string;
  data?: unknown;
}

export function errorBody(error: SluiceError): ErrorBody {
  const body: ErrorBody = { code: error.code, status: error.status, message: error.message };
  if (error.data !== undefined) body.data = error.data;
  return body;
}

/** Fastify's request-level errors, by code, as ours. */
export function fromFastifyError(error: FastifyError, bodyLimit: number): SluiceError | null {
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new SluiceError('UNPARSABLE_JSON', 'The request body is not valid JSON. Send a JSON object with Content-Type: application/json.');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new SluiceError(
        'UNPARSABLE_JSON',
        'The request body is empty but Content-Type says JSON. Send a JSON object, or leave out the Content-Type header when there is no body.',
      );
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new SluiceError(
        'PAYLOAD_TOO_LARGE',
        `The request body is larger than the ${bodyLimit} bytes this endpoint accepts. Send a smaller body.`,
        { limit_bytes: bodyLimit },
      );
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new SluiceError('UNSUPPORTED_CONTENT_TYPE', 'This endpoint takes JSON. Send the body with Content-Type: application/json.');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new SluiceError('BAD_REQUEST', 'The Content-Length header does not match the body that was sent. Send the exact length, or use chunked encoding.');
    default:
      return null;
  }
}

/** Seconds a client is asked to wait before sending again while storage is unavailable. */
export const STORE_RETRY_AFTER_SECONDS = 5;

/**
 * A storage outage (disk full, database unreachable) as 503 STORE_UNAVAILABLE with `Retry-After`, or null for any
 * other error. Nothing was acknowledged; the gateway recovers by itself when storage is back.
 */
export function fromStoreError(error: unknown, reply: FastifyReply, request: FastifyRequest): SluiceError | null {
  if (!isStorageUnavailable(error)) return null;
  request.log.warn({ err: error }, 'storage unavailable: answered 503');
  void reply.header('retry-after', String(STORE_RETRY_AFTER_SECONDS));
  return new SluiceError(
    'STORE_UNAVAILABLE',
    `Sluice cannot reach its storage right now (disk full or database unavailable), so nothing was stored. Send the request again in ${STORE_RETRY_AFTER_SECONDS} seconds.`,
  );
}

function send(reply: FastifyReply, status: number, body: ErrorBody): void {
  void reply.code(status).type('application/json; charset=utf-8').send(body);
}

/** What a route answers when the body limit is not the server's default (ingest). */
export function bodyLimitOf(request: FastifyRequest, fallback: number): number {
  return request.routeOptions.bodyLimit ?? fallback;
}

export function installErrorHandlers(app: FastifyInstance, defaultBodyLimit: number): void {
  app.setErrorHandler((error: FastifyError | SluiceError | Error, request, reply) => {
    if (error instanceof SluiceError) {
      if (error.code === 'UNAUTHORIZED' && !reply.hasHeader('www-authenticate')) {
        void reply.header('www-authenticate', 'Bearer realm="sluice", Basic realm="sluice"');
      }
      send(reply, error.status, errorBody(error));
      return;
    }
    const fastifyError = error as FastifyError;
    const translated = fromFastifyError(fastifyError, bodyLimitOf(request, defaultBodyLimit));
    if (translated !== null) {
      send(reply, translated.status, errorBody(translated));
      return;
    }
    const status = fastifyError.statusCode;
    if (status !== undefined && status >= 400 && status < 500) {
      // Another client error Fastify detected (e.g. a malformed URL); its message is about the request, not us.
      send(reply, status, { code: 'BAD_REQUEST', status, message: `${fastifyError.message}. Correct the request and send it again.` });
      return;
    }
    const unavailable = fromStoreError(error, reply, request);
    if (unavailable !== null) {
      send(reply, unavailable.status, errorBody(unavailable));
      return;
    }
    request.log.error({ err: error }, 'unexpected error');
    const code: ErrorCode = 'INTERNAL_ERROR';
    send(reply, 500, {
      code,
      status: 500,
      message: 'Sluice failed to handle this request. It was logged; try again, and report it if it persists.',
    });
  });

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? request.url;
    send(reply, 404, {
      code: 'NOT_FOUND',
      status: 404,
      message: `There is no ${request.method} ${path} endpoint. See GET /openapi.json for the routes Sluice serves.`,
    });
  });
}
