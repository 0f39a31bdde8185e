/**
 * `Idempotency-Key` on the /v2 API's POST, PATCH and DELETE (FACTS.md, Deck): the first successful answer to a key
 * is stored and replayed, byte for byte with its status, to every repeat within 24 h (with `idempotent-replayed:
 * true`); the same key with another request (method, path or body) is refused 409 `idempotency_error`, and so is a
 * repeat while the first is still running (rather than running it twice). An answer that is not a success is not
 * kept: the key can be used again. Keys are per team.
 *
 * The record is written before the answer leaves, so a client that got an answer can rely on its replay.
 */
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { SluiceError } from '../../domain/errors.js';
import type { OutboundStore } from '../../store/port.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The Idempotency-Key this request reserved, when it did. */
    idempotencyKey: string | null;
  }
}

export const IDEMPOTENCY_HEADER = 'idempotency-key';
export const REPLAY_WINDOW_MS = 24 * 60 * 60 * 1000;
/** A reservation older than this was left by a request that cannot still be running (its process stopped). */
export const ABANDONED_AFTER_MS = 10 * 60 * 1000;
const MAX_KEY_LENGTH = 255;
const KEY_PATTERN = /^[\x21-\x7e]+$/;
const METHODS = new Set(['POST', 'PATCH', 'DELETE']);

/** What identifies "the same request": method, path (with its query) and the JSON body. */
export function fingerprint(method: string, url: string, body: unknown): string {
  return createHash('sha256').update(`${method}\n${url}\n${JSON.stringify(body ?? null)}`).digest('hex');
}

function keyOf(request: FastifyRequest): string | null {
  const raw = request.headers[IDEMPOTENCY_HEADER];
  if (raw === undefined) return null;
  const key = Array.isArray(raw) ? raw.join(',') : raw;
  if (key.length === 0 || key.length > MAX_KEY_LENGTH || !KEY_PATTERN.test(key)) {
    throw new SluiceError(
      'VALIDATION_ERROR',
      `The Idempotency-Key header must be 1 to ${MAX_KEY_LENGTH} visible ASCII characters (a UUID is a good choice). Correct it and send the request again.`,
      [{ location: 'headers', field: 'Idempotency-Key', message: `must be 1 to ${MAX_KEY_LENGTH} visible ASCII characters` }],
    );
  }
  return key;
}

export function installIdempotency(scope: FastifyInstance, store: Pick<OutboundStore, 'claimIdempotencyKey' | 'completeIdempotencyKey' | 'releaseIdempotencyKey'>): void {
  scope.decorateRequest('idempotencyKey', null);

  // After authentication and validation: a request that fails those never touches a key.
  scope.addHook('preHandler', async (request: FastifyRequest, reply: FastifyReply) => {
    if (!METHODS.has(request.method)) return;
    const key = keyOf(request);
    if (key === null) return;
    const now = Date.now();
    const claim = await store.claimIdempotencyKey(request.teamId, key, fingerprint(request.method, request.url, request.body), now, {
      expiredBefore: now - REPLAY_WINDOW_MS,
      abandonedBefore: now - ABANDONED_AFTER_MS,
    });
    switch (claim.state) {
      case 'new':
        request.idempotencyKey = key;
        return;
      case 'replay':
        return reply.code(claim.status).header('idempotent-replayed', 'true').type('application/json; charset=utf-8').send(claim.response);
      case 'mismatch':
        throw new SluiceError(
          'IDEMPOTENCY_ERROR',
          'This Idempotency-Key was already used with a different request (method, path or body) in the last 24 hours. Use a new key for a new request.',
          { field: 'Idempotency-Key' },
        );
      case 'in_progress':
        throw new SluiceError(
          'IDEMPOTENCY_ERROR',
          'A request with this Idempotency-Key is still being processed. Wait for its answer, then repeat the request to have it replayed.',
          { field: 'Idempotency-Key' },
        );
    }
  });

  scope.addHook('onSend', async (request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    const key = request.idempotencyKey;
    if (key === null) return payload;
    request.idempotencyKey = null;
    const status = reply.statusCode;
    try {
      if (status >= 200 && status <= 299 && typeof payload === 'string') await store.completeIdempotencyKey(request.teamId, key, status, payload);
      else await store.releaseIdempotencyKey(request.teamId, key);
    } catch (error) {
      // The request itself is done: its answer goes out. The key stays reserved until it counts as abandoned.
      request.log.error({ err: error }, 'could not record the Idempotency-Key answer');
    }
    return payload;
  });
}
