/**
 * The one error type of the API. Every failure a client can see has a stable machine-readable `code`, an HTTP
 * status and a message that says what to do. Faces render it in their own shape (inbound: `{code, status,
 * message, data}`; /v2: `{errors: [{type, code, field?, message}], request_id}`).
 */

export const ERROR_STATUS = {
  BAD_REQUEST: 400,
  VALIDATION_ERROR: 422,
  UNPARSABLE_JSON: 400,
  /** A connection filter rule that is not a well-formed filter; `data[0].field` names the bad place. */
  INVALID_FILTER: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  VERIFICATION_FAILED: 403,
  SOURCE_DISABLED: 403,
  NOT_FOUND: 404,
  UNSUPPORTED_HTTP_METHOD: 405,
  UNSUPPORTED_CONTENT_TYPE: 415,
  CONFLICT: 409,
  /** /v2: an Idempotency-Key reused with another request, or while its first request is still running. */
  IDEMPOTENCY_ERROR: 409,
  PAYLOAD_TOO_LARGE: 413,
  /** The request (headers and body) did not arrive within SLUICE_REQUEST_TIMEOUT_MS (slow upload). */
  REQUEST_TIMEOUT: 408,
  HEADERS_TOO_LARGE: 431,
  RATE_LIMITED: 429,
  INTERNAL_ERROR: 500,
  STORE_UNAVAILABLE: 503,
  SHUTTING_DOWN: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export class SluiceError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly data: unknown;

  constructor(code: ErrorCode, message: string, data?: unknown) {
    super(message);
    this.name = 'SluiceError';
    this.code = code;
    this.status = ERROR_STATUS[code];
    this.data = data;
  }
}

export function notFound(what: string, id: string): SluiceError {
  return new SluiceError('NOT_FOUND', `No ${what} with id ${id} in this team. Check the id, and that the API key belongs to the team that owns it.`);
}
