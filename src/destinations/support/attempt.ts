/**
 * One attempt of a non-HTTP publisher: its time budget (the dispatcher's `timeoutMs`) and cancel signal merged,
 * its latency clock, and the outcome shapes, so each type says only what its protocol answered. SDK calls that
 * take no AbortSignal are raced against the attempt's signal instead: the attempt ends at the deadline, and a
 * late completion is harmless (receivers deduplicate on the event id).
 */
import type { NetworkErrorCode } from '../../domain/model.js';
import { mapRequestError } from '../http/errorCodes.js';
import type { PublishOutcome, PublishRejected, PublishSuccess, PublishUnreachable, TypedPublishOptions } from '../types.js';

/** Where an attempt went, as recorded on it (`requested_url`, `http_method`; for non-HTTP protocols the operation). */
export interface AttemptTarget {
  requestedUrl: string;
  httpMethod: string;
}

export class Attempt {
  readonly signal: AbortSignal;
  private readonly timeout: AbortSignal;
  private readonly started = performance.now();

  constructor(
    private readonly options: TypedPublishOptions,
    readonly target: AttemptTarget,
  ) {
    this.timeout = AbortSignal.timeout(options.timeoutMs);
    this.signal = AbortSignal.any([options.signal, this.timeout]);
  }

  latency(): number {
    return Math.round(performance.now() - this.started);
  }

  /** Why the attempt's signal fired, if it did. */
  aborted(): 'timeout' | 'cancelled' | null {
    if (this.options.signal.aborted) return 'cancelled';
    return this.timeout.aborted ? 'timeout' : null;
  }

  /** `promise`, or a rejection as soon as the attempt is cancelled or out of time. */
  race<T>(promise: Promise<T>): Promise<T> {
    if (this.signal.aborted) return Promise.reject(new AttemptAbortedError());
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => reject(new AttemptAbortedError());
      this.signal.addEventListener('abort', onAbort, { once: true });
      promise.then(
        (value) => {
          this.signal.removeEventListener('abort', onAbort);
          resolve(value);
        },
        (error: unknown) => {
          this.signal.removeEventListener('abort', onAbort);
          reject(error instanceof Error ? error : new Error(String(error)));
        },
      );
    });
  }

  success(status = 200, body: string | null = null): PublishSuccess {
    return { kind: 'success', ...this.target, status, body, responseLatency: this.latency() };
  }

  rejected(status: number, body: string | null, permanent: boolean, retryAfterMs?: number): PublishRejected {
    const outcome: PublishRejected = { kind: 'rejected', ...this.target, status, body, responseLatency: this.latency() };
    if (permanent) outcome.permanent = true;
    if (retryAfterMs !== undefined) outcome.retryAfterMs = retryAfterMs;
    return outcome;
  }

  unreachable(errorCode: NetworkErrorCode, message: string, permanent = false): PublishUnreachable {
    const outcome: PublishUnreachable = { kind: 'unreachable', ...this.target, errorCode, message, responseLatency: this.latency() };
    if (permanent || errorCode === 'BLOCKED_ADDRESS') outcome.permanent = true;
    return outcome;
  }

  /** A failure with no answer from the peer: the network, TLS, the SSRF guard, the deadline or a cancel. */
  networkFailure(error: unknown): PublishOutcome {
    const mapped = mapRequestError(error, this.aborted());
    return this.unreachable(mapped.errorCode, mapped.message);
  }
}

export class AttemptAbortedError extends Error {
  constructor() {
    super('attempt aborted');
    this.name = 'AttemptAbortedError';
  }
}

/** The message of anything thrown, without its stack. */
export function errorText(error: unknown): string {
  if (error instanceof Error) return error.message;
  return typeof error === 'string' ? error : JSON.stringify(error) ?? String(error);
}

/**
 * The network failure an SDK describes only in its message (gRPC's UNAVAILABLE, Service Bus's
 * ServiceCommunicationProblem), or null when the message names none.
 */
export function connectionFailure(message: string): NetworkErrorCode | null {
  if (/ECONNREFUSED/.test(message)) return 'CONNECTION_REFUSED';
  if (/ENOTFOUND|EAI_AGAIN|getaddrinfo|Name resolution failed|DNS resolution failed/i.test(message)) return 'DNS_LOOKUP_FAILED';
  if (/ECONNRESET|EPIPE|Connection dropped|socket closed|ended by the other party|disconnected/i.test(message)) return 'CONNECTION_RESET';
  if (/ETIMEDOUT/.test(message)) return 'TIMEOUT';
  if (/EHOSTUNREACH|ENETUNREACH|No connection established|Failed to connect/i.test(message)) return 'HOST_UNREACHABLE';
  return null;
}
