/**
 * The start-up handshake of the gateway's worker threads (the dispatch thread, the HTTP sender thread): a thread
 * posts `{ kind: 'ready' }` once it has loaded; if it exits before that, the start failed.
 */
import type { Worker } from 'node:worker_threads';

/**
 * Resolves when `worker` posts its ready message; rejects if it exits first, naming the thread (`what`) and its
 * last uncaught error (`failure()`, read at the exit; '' when none was seen).
 */
export function untilReady(worker: Worker, what: string, failure: () => string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onMessage = (message: { kind?: unknown }) => {
      if (message.kind !== 'ready') return;
      worker.off('exit', onExit);
      worker.off('message', onMessage);
      resolve();
    };
    const onExit = (code: number) => {
      worker.off('message', onMessage);
      const cause = failure();
      reject(new Error(`The ${what} exited with code ${code} while starting${cause === '' ? '' : `: ${cause}`}.`));
    };
    worker.on('message', onMessage);
    worker.once('exit', onExit);
  });
}
