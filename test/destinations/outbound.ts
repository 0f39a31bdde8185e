/**
 * Fixtures for outbound destination tests: a seed-000 event as the dispatcher would hand it to a publisher, and
 * attempt options.
 */
import { randomBytes } from 'node:crypto';
import type { OutboundMessage, PublishOutcome, TypedPublishOptions } from '../../src/destinations/types.js';
import assert from 'node:assert/strict';

let counter = 0;

/** A fresh event id per call, so tests never see each other's messages. */
export function eventId(): string {
  counter += 1;
  return `evt_${Date.now().toString(36)}${counter.toString(36)}${randomBytes(3).toString('hex')}`;
}

export function outboundMessage(overrides: Partial<OutboundMessage> & { data?: unknown } = {}): OutboundMessage {
  const id = overrides.eventId ?? eventId();
  const type = overrides.eventType ?? 'task_run.completed';
  const createdAt = overrides.createdAt ?? Date.parse('2025-01-15T09:31:15Z');
  const event = {
    id,
    object: 'event',
    type,
    data: overrides.data ?? { id: 'trun_a1b2c3d4', object: 'task_run', status: 'completed', note: 'ünïcødé ✓' },
    created_at: new Date(createdAt).toISOString(),
  };
  return {
    eventId: id,
    eventType: type,
    body: overrides.body ?? Buffer.from(JSON.stringify(event)),
    contentType: overrides.contentType ?? 'application/json',
    createdAt,
    metadata: overrides.metadata ?? { 'event-id': id, 'event-type': type, timestamp: new Date(createdAt).toISOString() },
    attemptNumber: overrides.attemptNumber ?? 1,
  };
}

export function options(overrides: Partial<TypedPublishOptions> = {}): TypedPublishOptions {
  return { timeoutMs: 5000, signal: new AbortController().signal, now: Date.now(), ...overrides };
}

export function expectOutcome<K extends PublishOutcome['kind']>(outcome: PublishOutcome, kind: K): Extract<PublishOutcome, { kind: K }> {
  assert.equal(outcome.kind, kind, JSON.stringify(outcome));
  return outcome as Extract<PublishOutcome, { kind: K }>;
}

/** Asserts `fn` throws a VALIDATION_ERROR naming `field`. */
export function assertInvalid(fn: () => unknown, field: string, message?: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    const e = error as { code?: string; data?: { field: string; message: string }[]; message?: string };
    assert.equal(e.code, 'VALIDATION_ERROR', String(e.message));
    assert.equal(e.data?.[0]?.field, field, e.message);
    if (message !== undefined) assert.match(e.message ?? '', message);
    return true;
  });
}
