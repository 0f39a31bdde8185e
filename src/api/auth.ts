/**
 * Authentication of the management API.
 * - Team routes: the team's API key as `Authorization: Bearer <key>` or Basic with the key as user name (empty
 *   password, as Hookdeck does). The key is hashed and looked up; hits are cached for a few seconds so a busy
 *   client does not cost a query per call. Deleting a key through this process clears the cache at once; another
 *   process sharing the database stops accepting it within the cache's lifetime.
 * - Admin routes (`/teams`): `SLUICE_ADMIN_KEY` as a Bearer token, compared in constant time.
 * Wrong keys of either kind count against the client address's SLUICE_AUTH_FAILURE_LIMIT (authFailures.ts).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import { hashApiKey } from '../domain/apiKeys.js';
import { SluiceError } from '../domain/errors.js';
import { retryAfterSeconds, type RateLimit, type RateLimiter } from '../domain/rateLimit.js';
import type { AuthFailureGuard } from './authFailures.js';
import type { Store } from '../store/port.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The team the request's API key belongs to; set by the team auth hook on team routes. */
    teamId: string;
  }
}

const CHALLENGE = 'Bearer realm="sluice", Basic realm="sluice"';
const ADMIN_CHALLENGE = 'Bearer realm="sluice-admin"';

/** The credential in an Authorization header: the Bearer token, or the Basic user name (password if no user). */
export function credentialOf(header: string | undefined): string | null {
  if (header === undefined) return null;
  const space = header.indexOf(' ');
  if (space === -1) return null;
  const scheme = header.slice(0, space).toLowerCase();
  const value = header.slice(space + 1).trim();
  if (value === '') return null;
  if (scheme === 'bearer') return value;
  if (scheme === 'basic') {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const user = colon === -1 ? decoded : decoded.slice(0, colon);
    const password = colon === -1 ? '' : decoded.slice(colon + 1);
    const key = user !== '' ? user : password;
    return key === '' ? null : key;
  }
  return null;
}

/** Positive lookups of key hashes, for `ttlMs`. Misses are not cached: a new key must work at once. */
export class ApiKeyCache {
  private readonly entries = new Map<string, { teamId: string; expiresAt: number }>();

  constructor(
    private readonly ttlMs = 10_000,
    private readonly maxEntries = 10_000,
  ) {}

  get(hash: string, now: number): string | null {
    const entry = this.entries.get(hash);
    if (entry === undefined) return null;
    if (entry.expiresAt <= now) {
      this.entries.delete(hash);
      return null;
    }
    return entry.teamId;
  }

  set(hash: string, teamId: string, now: number): void {
    // A crude bound: clearing everything is rare (10 000 distinct live keys) and costs one query per key.
    if (this.entries.size >= this.maxEntries) this.entries.clear();
    this.entries.set(hash, { teamId, expiresAt: now + this.ttlMs });
  }

  /** After a key is deleted: its hash is not known here (only its id), so forget every key. */
  clear(): void {
    this.entries.clear();
  }
}

function unauthorized(reply: FastifyReply, message: string, challenge = CHALLENGE): SluiceError {
  void reply.header('www-authenticate', challenge);
  return new SluiceError('UNAUTHORIZED', message);
}

export interface KeyRateLimit {
  limiter: RateLimiter;
  rule: RateLimit;
}

function checkRateLimit(limit: KeyRateLimit, hash: string, now: number, reply: FastifyReply): void {
  const result = limit.limiter.take(hash, limit.rule, now);
  if (result.allowed) return;
  const seconds = retryAfterSeconds(result.retryAfterMs);
  void reply.header('retry-after', String(seconds));
  throw new SluiceError(
    'RATE_LIMITED',
    `This API key has made more than ${limit.rule.limit} requests per ${limit.rule.period} (SLUICE_API_RATE_LIMIT). Retry after ${seconds} s, and spread calls out.`,
    { retry_after_seconds: seconds },
  );
}

export function teamAuth(
  store: Store,
  cache: ApiKeyCache,
  rateLimit: KeyRateLimit | null = null,
  failures: AuthFailureGuard | null = null,
): onRequestAsyncHookHandler {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const key = credentialOf(request.headers.authorization);
    if (key === null) {
      throw unauthorized(
        reply,
        'This endpoint needs your team API key: send it as "Authorization: Bearer <key>" (or Basic, with the key as user name and an empty password).',
      );
    }
    const now = Date.now();
    failures?.check(request.ip, now, reply);
    const hash = hashApiKey(key);
    let teamId = cache.get(hash, now);
    if (teamId === null) {
      failures?.hold(request.ip, now, reply);
      teamId = await store.findTeamIdByKeyHash(hash).catch((error: unknown) => {
        failures?.release(request.ip, Date.now()); // the store failed, not the key
        throw error;
      });
      if (teamId === null) {
        throw unauthorized(
          reply,
          'The API key is not valid (it may have been deleted). Use a current key of your team; an administrator can create one with POST /teams/:id/api-keys.',
        );
      }
      failures?.release(request.ip, Date.now());
      cache.set(hash, teamId, now);
    }
    if (rateLimit !== null) checkRateLimit(rateLimit, hash, now, reply);
    request.teamId = teamId;
  };
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

export function adminAuth(adminKey: string | null, failures: AuthFailureGuard | null = null): onRequestAsyncHookHandler {
  // Comparing digests gives equal lengths for timingSafeEqual and leaks nothing about the key's length.
  const expected = adminKey === null ? null : digest(adminKey);
  return async (request: FastifyRequest, reply: FastifyReply) => {
    if (expected === null) {
      throw new SluiceError(
        'FORBIDDEN',
        'Team administration is turned off on this gateway. Set SLUICE_ADMIN_KEY (16 characters or more) and restart to use the /teams endpoints.',
      );
    }
    const header = request.headers.authorization;
    const token = header !== undefined && /^bearer /i.test(header) ? header.slice(7).trim() : null;
    if (token === null || token === '') {
      throw unauthorized(reply, 'This endpoint needs the admin key: send SLUICE_ADMIN_KEY as "Authorization: Bearer <admin key>".', ADMIN_CHALLENGE);
    }
    const now = Date.now();
    failures?.hold(request.ip, now, reply);
    if (!timingSafeEqual(digest(token), expected)) {
      throw unauthorized(reply, 'The admin key is not valid. Send the value of SLUICE_ADMIN_KEY as "Authorization: Bearer <admin key>".', ADMIN_CHALLENGE);
    }
    failures?.release(request.ip, now);
  };
}
