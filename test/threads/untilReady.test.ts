import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { untilReady } from '../../src/threads/untilReady.js';

function thread(code: string): Worker {
  return new Worker(`const { parentPort } = require('node:worker_threads'); ${code}`, { eval: true });
}

describe('untilReady: the worker threads start-up handshake', () => {
  test('resolves once the thread posts ready, after other messages', async () => {
    const worker = thread(`parentPort.postMessage({ kind: 'log' }); setTimeout(() => parentPort.postMessage({ kind: 'ready' }), 20);`);
    try {
      await untilReady(worker, 'test thread', () => '');
      assert.equal(worker.listenerCount('message'), 0, 'its listeners are removed');
      assert.equal(worker.listenerCount('exit'), 0);
    } finally {
      await worker.terminate();
    }
  });

  test('rejects when the thread exits before it is ready, naming it, its exit code and its last failure', async () => {
    const worker = thread(`setTimeout(() => process.exit(3), 20);`);
    await assert.rejects(untilReady(worker, 'test thread', () => 'the module failed to load'), {
      message: 'The test thread exited with code 3 while starting: the module failed to load.',
    });
  });
});
