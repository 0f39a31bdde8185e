/**
 * What an AWS SDK failure means for the delivery. An answer from AWS is `rejected` with the HTTP status from the
 * SDK's `$metadata`: throttling and 5xx retry; a missing queue/bucket/stream, denied access, bad credentials and
 * malformed requests are permanent (retrying cannot help until the destination is fixed). No answer at all (DNS,
 * refused, reset, TLS, the deadline) is `unreachable`, mapped like HTTP errors.
 */
import { BLOCKED_ADDRESS_CODE } from '../http/addressGuard.js';
import { errorText, type Attempt } from '../support/attempt.js';
import type { PublishOutcome } from '../types.js';

const THROTTLING = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestThrottled',
  'RequestThrottledException',
  'TooManyRequestsException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'LimitExceededException',
  'SlowDown',
  'KMSThrottlingException',
  'TransactionInProgressException',
  'RequestTimeout',
  'RequestTimeoutException',
  'PriorRequestNotComplete',
  'EC2ThrottledException',
  'ServiceUnavailable',
  'InternalError',
  'InternalFailure',
  'InternalServerError',
]);

const PERMANENT = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'AllAccessDisabled',
  'AWS.SimpleQueueService.NonExistentQueue',
  'QueueDoesNotExist',
  'NonExistentQueue',
  'NoSuchBucket',
  'ResourceNotFoundException',
  'InvalidAccessKeyId',
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  'SignatureDoesNotMatch',
  'IncompleteSignature',
  'ExpiredToken',
  'ExpiredTokenException',
  'InvalidToken',
  'MissingAuthenticationToken',
  'ValidationException',
  'ValidationError',
  'InvalidParameterValue',
  'InvalidParameterException',
  'InvalidArgument',
  'InvalidArgumentException',
  'InvalidMessageContents',
  'InvalidStorageClass',
  'InvalidBucketName',
  'KeyTooLongError',
  'EntityTooLarge',
  'MessageTooLong',
  'InvalidAddress',
  'KMSDisabledException',
  'KMSNotFoundException',
  'KMSAccessDeniedException',
  'KMSInvalidStateException',
  'PermanentRedirect',
]);

interface SdkErrorShape {
  name?: unknown;
  Code?: unknown;
  code?: unknown;
  $metadata?: { httpStatusCode?: unknown };
  $fault?: unknown;
}

function errorName(error: SdkErrorShape): string {
  for (const candidate of [error.Code, error.name]) if (typeof candidate === 'string' && candidate !== 'Error') return candidate;
  return 'Error';
}

/** 4xx answers that may succeed later; every other 4xx is the request's fault, and stays so. */
const RETRYABLE_4XX = new Set([408, 409, 425, 429]);

export function awsFailure(attempt: Attempt, error: unknown): PublishOutcome {
  const shape = (typeof error === 'object' && error !== null ? error : {}) as SdkErrorShape;
  const status = typeof shape.$metadata?.httpStatusCode === 'number' ? shape.$metadata.httpStatusCode : null;
  const name = errorName(shape);
  const blocked = shape.code === BLOCKED_ADDRESS_CODE || errorText(error).includes('SLUICE_OUTBOUND_ALLOWLIST');
  // No status: AWS never answered (network, TLS, guard, deadline). The SDK names an abort "AbortError".
  if (status === null || blocked || attempt.aborted() !== null) return attempt.networkFailure(error);
  const body = `${name}: ${errorText(error)}`.slice(0, 1000);
  if (THROTTLING.has(name) || status >= 500 || RETRYABLE_4XX.has(status)) return attempt.rejected(status, body, false);
  if (PERMANENT.has(name) || status >= 400) return attempt.rejected(status, body, true);
  return attempt.rejected(status, body, false);
}
