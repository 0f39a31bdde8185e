/**
 * Reads what a stopped (or killed) gateway left in its SQLite file: the requests with their raw body bytes and
 * their events, to check byte for byte what was acknowledged. Opened read-write (a WAL left by a SIGKILL needs its
 * recovery), and closed before the gateway starts again.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';

export interface StoredRequest {
  id: string;
  sha256: string;
  contentType: string | undefined;
  /** The `x-test-seq` header the test client sent, when it did. */
  seq: string | undefined;
  eventIds: string[];
}

export interface StoredEvent {
  id: string;
  requestId: string;
  status: string;
  attempts: number;
  /** Claimed by an attempt whose result was never recorded. */
  leased: boolean;
}

export function sha256(bytes: Buffer | Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function readStore(dataDir: string): { requests: Map<string, StoredRequest>; events: Map<string, StoredEvent> } {
  const db = new Database(join(dataDir, 'sluice.db'));
  try {
    const requests = new Map<string, StoredRequest>();
    const rows = db.prepare('SELECT id, body, headers, event_ids FROM requests').all() as { id: string; body: Buffer; headers: string; event_ids: string }[];
    for (const row of rows) {
      const headers = JSON.parse(row.headers) as Record<string, string>;
      requests.set(row.id, {
        id: row.id,
        sha256: sha256(row.body),
        contentType: headers['content-type'],
        seq: headers['x-test-seq'],
        eventIds: JSON.parse(row.event_ids) as string[],
      });
    }
    const events = new Map<string, StoredEvent>();
    const eventRows = db.prepare('SELECT id, request_id, status, attempts, lease_token FROM events').all() as {
      id: string;
      request_id: string;
      status: string;
      attempts: number;
      lease_token: string | null;
    }[];
    for (const row of eventRows) {
      events.set(row.id, { id: row.id, requestId: row.request_id, status: row.status, attempts: row.attempts, leased: row.lease_token !== null });
    }
    return { requests, events };
  } finally {
    db.close();
  }
}

