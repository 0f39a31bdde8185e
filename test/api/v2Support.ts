/**
 * Helpers for the /v2 API tests: the error shape every /v2 failure must have.
 */
/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-return --
   The API's JSON answers are `any` (harness.ts) and read field by field: the assertions are the type checks. */
import assert from 'node:assert/strict';
import type { Answer } from './harness.js';

export interface V2ErrorItem {
  type: string;
  code: string;
  field?: string;
  message: string;
}

/** Asserts the /v2 error shape and returns its errors. */
export function v2Error(answer: Answer, status: number, code: string, type = 'invalid_request_error'): V2ErrorItem[] {
  assert.equal(answer.status, status, answer.text);
  assert.deepEqual(Object.keys(answer.json).sort(), ['errors', 'request_id']);
  assert.match(answer.json.request_id, /^call_[0-9a-z]{16}$/);
  assert.equal(answer.headers.get('x-request-id'), answer.json.request_id);
  assert.ok(Array.isArray(answer.json.errors) && answer.json.errors.length > 0);
  for (const error of answer.json.errors) {
    assert.equal(error.type, type);
    assert.equal(error.code, code);
    assert.equal(typeof error.message, 'string');
    assert.ok(error.message.length > 10);
    for (const key of Object.keys(error)) assert.ok(['type', 'code', 'field', 'message'].includes(key), key);
  }
  return answer.json.errors;
}
