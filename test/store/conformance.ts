/**
 * The storage conformance suite: what every implementation of the `Store` port (src/store/port.ts) must do,
 * checked only through the port, so the SQLite store and a PostgreSQL store run the very same tests. Each test
 * opens a fresh store (claims are not scoped by team, so tests must not share a queue) and cleans it up.
 *
 * Usage: storeConformance('sqlite', async () => ({ store, reopen, cleanup })) inside a *.test.ts file.
 */
import { describe } from 'node:test';
import { consoleTests } from './conformance/console.js';
import { dispatchTests } from './conformance/dispatch.js';
import { ingestTests } from './conformance/ingest.js';
import { lifecycleTests } from './conformance/lifecycle.js';
import { managementTests } from './conformance/management.js';
import { outboundTests } from './conformance/outbound.js';
import { outboundDeliveryTests } from './conformance/outboundDelivery.js';
import { paginationTests } from './conformance/pagination.js';
import { rateLimitTests } from './conformance/rateLimit.js';
import { sealedSecretsTests } from './conformance/sealedSecrets.js';
import type { StoreHarness } from './fixtures.js';

export type { StoreHarness } from './fixtures.js';

/** `outbound`: the store implements the outbound face's verbs too (OutboundStore): run their tests. */
export function storeConformance(name: string, open: () => Promise<StoreHarness>, options: { outbound?: boolean } = { outbound: true }): void {
  describe(`${name} store conformance`, () => {
    managementTests(open);
    paginationTests(open);
    ingestTests(open);
    dispatchTests(open);
    rateLimitTests(open);
    lifecycleTests(open);
    consoleTests(open);
    if (options.outbound === true) {
      outboundTests(open);
      outboundDeliveryTests(open);
      sealedSecretsTests(open);
    }
  });
}
