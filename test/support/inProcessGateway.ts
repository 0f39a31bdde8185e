/**
 * Starts the whole gateway in this process (store, dispatcher, API) on a temp data dir, with test-friendly
 * config: loopback allowed as a destination, a fast poll, quiet logs.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGateway, type Gateway } from '../../src/app/gateway.js';
import { loadConfig } from '../../src/config/loadConfig.js';
import { createLogger } from '../../src/observability/logger.js';
import { after, before } from 'node:test';
import { apiClient, type ApiClient } from './apiClient.js';
import { startReceiver, type Receiver } from './receiver.js';

export const TEST_API_KEY = 'sk_test_in_process_key_00000001';

export interface TestGateway {
  gateway: Gateway;
  api: ApiClient;
  signingSecret: string;
  stop(): Promise<void>;
}

/**
 * `SLUICE_DISPATCH_THREAD` from this process's environment, so a whole suite runs with the dispatch thread on or
 * off (`SLUICE_DISPATCH_THREAD=off node scripts/run-tests.mjs test/e2e`); a test's own `env` still wins.
 */
function inheritedSettings(): Record<string, string> {
  const value = process.env.SLUICE_DISPATCH_THREAD;
  return value === undefined ? {} : { SLUICE_DISPATCH_THREAD: value };
}

export async function startTestGateway(env: Record<string, string> = {}): Promise<TestGateway> {
  const dataDir = await mkdtemp(join(tmpdir(), 'sluice-e2e-'));
  const config = loadConfig({
    ...inheritedSettings(),
    PORT: '0',
    HOST: '127.0.0.1',
    SLUICE_DATA_DIR: dataDir,
    SLUICE_API_KEY: TEST_API_KEY,
    SLUICE_OUTBOUND_ALLOWLIST: '127.0.0.1/32',
    SLUICE_POLL_INTERVAL_MS: '50',
    LOG_LEVEL: 'silent',
    ...env,
  });
  const gateway = await startGateway(config, createLogger(config));
  // The public URL defaults to the configured port (0 here); ingest URLs in answers use it, so tests build
  // their own from the listening address.
  const signingSecret = gateway.bootstrap?.createdSigningSecret ?? null;
  if (signingSecret === null) throw new Error('a fresh data dir must create the default team');
  return {
    gateway,
    api: apiClient(gateway.url, TEST_API_KEY),
    signingSecret,
    async stop() {
      await gateway.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * For the enclosing describe: an in-process gateway and a real receiver, started before its tests and stopped
 * after them. Read them through the returned object once the tests run.
 */
export function gatewayAndReceiver(env: Record<string, string> = {}): { readonly gw: TestGateway; readonly receiver: Receiver } {
  let gw: TestGateway | undefined;
  let receiver: Receiver | undefined;
  before(async () => {
    gw = await startTestGateway(env);
    receiver = await startReceiver();
  });
  after(async () => {
    await gw?.stop();
    await receiver?.close();
  });
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the gateway and receiver start in a before hook: use them inside tests');
    return value;
  };
  return {
    get gw() {
      return started(gw);
    },
    get receiver() {
      return started(receiver);
    },
  };
}
