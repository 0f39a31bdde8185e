/**
 * Maps what undici and Node throw when an HTTP attempt gets no response to the network error codes users see
 * on attempts (FACTS.md). The precise low-level code goes into the message, so nothing is lost by the grouping.
 */
import type { NetworkErrorCode } from '../../domain/model.js';
import { BLOCKED_ADDRESS_CODE } from './addressGuard.js';

const BY_CODE: Record<string, NetworkErrorCode> = {
  [BLOCKED_ADDRESS_CODE]: 'BLOCKED_ADDRESS',
  ECONNREFUSED: 'CONNECTION_REFUSED',
  ECONNRESET: 'CONNECTION_RESET',
  EPIPE: 'CONNECTION_RESET',
  ECONNABORTED: 'CONNECTION_RESET',
  ENOTFOUND: 'DNS_LOOKUP_FAILED',
  EAI_AGAIN: 'DNS_LOOKUP_FAILED',
  EAI_FAIL: 'DNS_LOOKUP_FAILED',
  EAI_NODATA: 'DNS_LOOKUP_FAILED',
  EAI_NONAME: 'DNS_LOOKUP_FAILED',
  EHOSTUNREACH: 'HOST_UNREACHABLE',
  ENETUNREACH: 'HOST_UNREACHABLE',
  EHOSTDOWN: 'HOST_UNREACHABLE',
  ENETDOWN: 'HOST_UNREACHABLE',
  EADDRNOTAVAIL: 'HOST_UNREACHABLE',
  ETIMEDOUT: 'TIMEOUT',
  UND_ERR_CONNECT_TIMEOUT: 'TIMEOUT',
  UND_ERR_HEADERS_TIMEOUT: 'TIMEOUT',
  UND_ERR_BODY_TIMEOUT: 'TIMEOUT',
  // Certificates a client cannot trust. Hookdeck's list has no separate code for a wrong host name or an unknown
  // issuer; "self-signed" is the nearest ("not trusted"), and the message keeps Node's exact code.
  DEPTH_ZERO_SELF_SIGNED_CERT: 'SELF_SIGNED_CERT',
  SELF_SIGNED_CERT_IN_CHAIN: 'SELF_SIGNED_CERT',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'SELF_SIGNED_CERT',
  UNABLE_TO_GET_ISSUER_CERT: 'SELF_SIGNED_CERT',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'SELF_SIGNED_CERT',
  ERR_TLS_CERT_ALTNAME_INVALID: 'SELF_SIGNED_CERT',
  CERT_UNTRUSTED: 'SELF_SIGNED_CERT',
  CERT_HAS_EXPIRED: 'SSL_CERT_EXPIRED',
  CERT_NOT_YET_VALID: 'SSL_CERT_EXPIRED',
  UND_ERR_SOCKET: 'SOCKET_CLOSED',
  UND_ERR_CLOSED: 'CANCELLED',
  UND_ERR_DESTROYED: 'CANCELLED',
  UND_ERR_RES_CONTENT_LENGTH_MISMATCH: 'PROTOCOL_ERROR',
  UND_ERR_REQ_CONTENT_LENGTH_MISMATCH: 'PROTOCOL_ERROR',
  UND_ERR_INFO: 'PROTOCOL_ERROR',
  UND_ERR_RES_EXCEEDED_MAX_SIZE: 'PROTOCOL_ERROR',
  UND_ERR_HEADERS_OVERFLOW: 'PROTOCOL_ERROR',
  HPE_INVALID_CONSTANT: 'PROTOCOL_ERROR',
  ERR_INVALID_URL: 'PROTOCOL_ERROR',
};

function codeOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

/** The error and its causes, outermost first (undici wraps socket errors; AggregateError holds Happy Eyeballs tries). */
function chain(error: unknown): unknown[] {
  const out: unknown[] = [];
  const queue: unknown[] = [error];
  while (queue.length > 0 && out.length < 10) {
    const next = queue.shift();
    if (typeof next !== 'object' || next === null) continue;
    out.push(next);
    if ('cause' in next) queue.push(next.cause);
    if (next instanceof AggregateError) queue.push(...(next.errors as unknown[]));
  }
  return out;
}

function classifyCode(code: string): NetworkErrorCode | undefined {
  const known = BY_CODE[code];
  if (known !== undefined) return known;
  if (code.startsWith('HPE_') || code.startsWith('ERR_SSL_') || code === 'EPROTO') return 'PROTOCOL_ERROR';
  return undefined;
}

export interface MappedError {
  errorCode: NetworkErrorCode;
  message: string;
}

/** `aborted` says why the attempt's own signal fired, if it did: that decides TIMEOUT versus CANCELLED. */
export function mapRequestError(error: unknown, aborted: 'timeout' | 'cancelled' | null): MappedError {
  const errors = chain(error);
  const detail = errors
    .map((e) => [codeOf(e), e instanceof Error ? e.message : undefined].filter(Boolean).join(': '))
    .filter((text) => text !== '')
    .join(' <- ');
  const message = detail === '' ? 'unknown error' : detail;
  // The guard's refusal wins over whatever the aborted connection reports afterwards; its message says what to do.
  const refusal = errors.find((e) => codeOf(e) === BLOCKED_ADDRESS_CODE);
  if (refusal instanceof Error) return { errorCode: 'BLOCKED_ADDRESS', message: refusal.message };
  if (aborted === 'timeout') return { errorCode: 'TIMEOUT', message: `no complete response within the timeout (${message})` };
  if (aborted === 'cancelled') return { errorCode: 'CANCELLED', message: 'attempt cancelled (gateway shutting down)' };
  for (const e of errors) {
    const code = codeOf(e);
    const mapped = code === undefined ? undefined : classifyCode(code);
    if (mapped !== undefined) return { errorCode: mapped, message };
  }
  return { errorCode: 'UNKNOWN', message };
}
