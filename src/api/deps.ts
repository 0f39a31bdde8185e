/**
 * What the API's route modules are given: configuration, the store, the delivery engine, the key that seals
 * secrets at rest, the API-key cache shared by the auth hook and the key-deleting route, and the per-key rate
 * limit shared by the management API and /v2 (one budget per key across both).
 */
import type { Config } from '../config/loadConfig.js';
import type { DeliveryEngine } from '../dispatch/port.js';
import type { GatewayStore } from '../store/port.js';
import type { ApiKeyCache, KeyRateLimit } from './auth.js';
import type { AuthFailureGuard } from './authFailures.js';
import type { SecretKeyring } from '../domain/secretBox.js';

export interface ApiDeps {
  config: Config;
  store: GatewayStore;
  engine: DeliveryEngine;
  keyring: SecretKeyring;
  keyCache: ApiKeyCache;
  /** SLUICE_API_RATE_LIMIT, per API key, per process; null = no limit. */
  keyRateLimit: KeyRateLimit | null;
  /** SLUICE_AUTH_FAILURE_LIMIT, per client address, per process; null = no limit. */
  authFailures: AuthFailureGuard | null;
}
