/**
 * What crosses between the main thread and the dispatch thread (dispatchThread.ts, dispatchWorker.ts). Almost
 * nothing: the thread reads events and bodies from SQLite itself, so only wake-ups (a set of destination ids per
 * turn of the main thread's event loop), forgotten destinations, the stop order and the thread's log lines cross.
 */
import type { Config } from '../config/loadConfig.js';

/**
 * SQLite page caches with the thread on, in KiB: each connection has its own, and the two together must keep the
 * backlog's peak RSS within the memory target (BENCHMARKS.md). The thread's claims and records walk the queue's
 * indexes; the main thread's connection inserts and serves the API's reads.
 */
export const DISPATCH_THREAD_CACHE_KIB = 32 * 1024;
export const MAIN_THREAD_CACHE_KIB = 32 * 1024;

export interface DispatchThreadData {
  /** Read once by the main thread; Buffers arrive as Uint8Arrays (reviveConfig). */
  config: Config;
}

export type ToDispatchThread =
  /** The store is migrated and its stale claims released: open the connection and start dispatching. */
  | { kind: 'start' }
  /** New due work; `destinationIds` null when some wake-up named none (then the thread claims for all). */
  | { kind: 'wake'; destinationIds: string[] | null }
  | { kind: 'forget'; destinationId: string }
  /** Drain within `deadlineMs`, flush the records, release unattempted claims, close the connection. */
  | { kind: 'stop'; deadlineMs: number };

export type FromDispatchThread =
  | { kind: 'ready' }
  /** Log lines (JSON) written by the thread's logger, for the main thread's log stream. */
  | { kind: 'logs'; lines: string[] }
  | { kind: 'stopped' };

/** The config as the thread receives it, with its keys as Buffers again (structured clone drops the subclass). */
export function reviveConfig(config: Config): Config {
  return {
    ...config,
    encryptionKey: config.encryptionKey === null ? null : Buffer.from(config.encryptionKey),
    previousEncryptionKeys: config.previousEncryptionKeys.map((key) => Buffer.from(key)),
  };
}
