/**
 * Which errors mean "storage unavailable" (503 STORE_UNAVAILABLE) and which do not (a bug or a bad request stays
 * a 500 or its own 4xx).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isStorageUnavailable } from '../../src/store/unavailable.js';

const withCode = (code: string, message = 'x') => Object.assign(new Error(message), { code });

test('disk full, I/O errors and unreachable databases are storage outages', () => {
  for (const error of [
    withCode('SQLITE_FULL'),
    withCode('SQLITE_IOERR_WRITE'),
    withCode('SQLITE_BUSY'),
    withCode('ENOSPC'),
    withCode('EIO'),
    withCode('ECONNREFUSED'),
    withCode('ECONNRESET'),
    withCode('57P01'), // admin_shutdown
    withCode('08006'), // connection_failure
    withCode('53100'), // disk_full
    new Error('Connection terminated unexpectedly'),
    new Error('timeout exceeded when trying to connect'),
    new AggregateError([withCode('ECONNREFUSED')], 'connect failed'),
    new Error('wrapped', { cause: withCode('SQLITE_FULL') }),
  ]) {
    assert.equal(isStorageUnavailable(error), true, String((error as { code?: string }).code ?? error.message));
  }
});

test('everything else is not', () => {
  for (const error of [
    withCode('SQLITE_CONSTRAINT_UNIQUE'),
    withCode('SQLITE_ERROR'),
    withCode('23505'), // unique_violation
    withCode('42P01'), // undefined_table: a bug, not an outage
    new TypeError('x is undefined'),
    'a string',
    null,
    undefined,
  ]) {
    assert.equal(isStorageUnavailable(error), false, String(error));
  }
});
