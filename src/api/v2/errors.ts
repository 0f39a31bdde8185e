/**
 * The /v2 face's error shape (FACTS.md, Deck): `{errors: [{type, code, field?, message}], request_id}`. The same
 * SluiceError as the inbound face (one error type, stable codes), rendered another way: `code` is the
 * SluiceError's code in lower case (`validation_error`, `not_found`, `idempotency_error`, with Deck's
 * `rate_limit_exceeded` and `api_error` for RATE_LIMITED and INTERNAL_ERROR), `type` its family, and a validation
 * error gives one entry per field. Every /v2 answer carries its `request_id` in the `x-request-id` header too.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { SluiceError, type ErrorCode } from '../../domain/errors.js';
import { newId } from '../../domain/ids.js';
import { bodyLimitOf, fromFastifyError, fromStoreError } from '../errorHandler.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The /v2 call's id (`call_…`), in its errors and its `x-request-id` header. */
    v2RequestId: string;
  }
}

export interface V2ErrorItem {
  type: string;
  code: string;
  field?: string;
  message: string;
}

export interface V2ErrorBody {
  errors: V2ErrorItem[];
  request_id: string;
}

const CODE_OVERRIDES: Partial<Record<ErrorCode, string>> = { RATE_LIMITED: 'rate_limit_exceeded', INTERNAL_ERROR: 'api_error' };

export function errorType(error: SluiceError): string {
  if (error.code === 'IDEMPOTENCY_ERROR') return 'idempotency_error';
  if (error.status === 401 || error.status === 403) return 'authentication_error';
  if (error.status === 429) return 'rate_limit_error';
  if (error.status >= 500) return 'api_error';
  return 'invalid_request_error';
}

function problemsOf(data: unknown): { field: string; message: string }[] {
  if (!Array.isArray(data)) return [];
  return data.flatMap((item: unknown) => {
    if (typeof item !== 'object' || item === null) return [];
    const { field, message } = item as { field?: unknown; message?: unknown };
    return typeof field === 'string' && typeof message === 'string' ? [{ field, message }] : [];
  });
}

function fieldOf(data: unknown): string | undefined {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return undefined;
  const field = (data as { field?: unknown }).field;
  return typeof field === 'string' ? field : undefined;
}

export function v2ErrorBody(error: SluiceError, requestId: string): V2ErrorBody {
  const type = errorType(error);
  const code = CODE_OVERRIDES[error.code] ?? error.code.toLowerCase();
  const problems = problemsOf(error.data);
  if (problems.length > 0) {
    return { errors: problems.map((p) => ({ type, code, field: p.field, message: `${p.field} ${p.message}.` })), request_id: requestId };
  }
  const field = fieldOf(error.data);
  return { errors: [{ type, code, ...(field === undefined ? {} : { field }), message: error.message }], request_id: requestId };
}

function send(reply: FastifyReply, status: number, body: V2ErrorBody): void {
  void reply.code(status).type('application/json; charset=utf-8').send(body);
}

/** The request id hook, the error handler and the 404 handler of the /v2 scope (registered with prefix /v2). */
export function installV2ErrorHandling(scope: FastifyInstance, defaultBodyLimit: number): void {
  scope.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    request.v2RequestId = newId('apiCall');
    void reply.header('x-request-id', request.v2RequestId);
  });

  scope.setErrorHandler((error: FastifyError | SluiceError | Error, request, reply) => {
    const requestId = request.v2RequestId || newId('apiCall');
    if (error instanceof SluiceError) {
      if (error.code === 'UNAUTHORIZED' && !reply.hasHeader('www-authenticate')) void reply.header('www-authenticate', 'Bearer realm="sluice"');
      send(reply, error.status, v2ErrorBody(error, requestId));
      return;
    }
    const fastifyError = error as FastifyError;
    const translated = fromFastifyError(fastifyError, bodyLimitOf(request, defaultBodyLimit));
    if (translated !== null) {
      send(reply, translated.status, v2ErrorBody(translated, requestId));
      return;
    }
    const status = fastifyError.statusCode;
    if (status !== undefined && status >= 400 && status < 500) {
      const message = `${fastifyError.message}. Correct the request and send it again.`;
      send(reply, status, { errors: [{ type: 'invalid_request_error', code: 'bad_request', message }], request_id: requestId });
      return;
    }
    const unavailable = fromStoreError(error, reply, request);
    if (unavailable !== null) {
      send(reply, unavailable.status, v2ErrorBody(unavailable, requestId));
      return;
    }
    request.log.error({ err: error }, 'unexpected error');
    const internal = new SluiceError('INTERNAL_ERROR', 'Sluice failed to handle this request. It was logged; try again, and report it if it persists.');
    send(reply, 500, v2ErrorBody(internal, requestId));
  });

  scope.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? request.url;
    const requestId = newId('apiCall');
    void reply.header('x-request-id', requestId);
    const error = new SluiceError('NOT_FOUND', `There is no ${request.method} ${path} endpoint. See GET /openapi.json for the routes Sluice serves.`);
    send(reply, 404, v2ErrorBody(error, requestId));
  });
}
