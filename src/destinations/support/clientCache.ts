/**
 * SDK clients held per destination: built on first use, reused for every message, rebuilt when the settings
 * they were built with (config and credentials) change, and disposed of on evict and close.
 */
import { createHash } from 'node:crypto';

export class ClientCache<T> {
  private readonly clients = new Map<string, { fingerprint: string; client: T }>();

  constructor(private readonly dispose: (client: T) => unknown) {}

  /** `settings`: anything JSON-serialisable that determines the client. */
  get(destinationId: string, settings: unknown, build: () => T): T {
    const fingerprint = createHash('sha256').update(JSON.stringify(settings)).digest('hex');
    const held = this.clients.get(destinationId);
    if (held !== undefined && held.fingerprint === fingerprint) return held.client;
    if (held !== undefined) void Promise.resolve(this.dispose(held.client)).catch(() => undefined);
    const client = build();
    this.clients.set(destinationId, { fingerprint, client });
    return client;
  }

  async evict(destinationId: string): Promise<void> {
    const held = this.clients.get(destinationId);
    this.clients.delete(destinationId);
    if (held !== undefined) await Promise.resolve(this.dispose(held.client)).catch(() => undefined);
  }

  async close(): Promise<void> {
    await Promise.all([...this.clients.keys()].map((id) => this.evict(id)));
  }
}
