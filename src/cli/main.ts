#!/usr/bin/env node
/**
 * `npm start`: reads the configuration once, starts the gateway in its role (`SLUICE_ROLE`), prints where it
 * listens (and, on first start, the API key it created), and shuts down gracefully on SIGTERM/SIGINT.
 * `sluice rotate-secrets` re-encrypts the stored secrets with the current encryption key (see rotateSecrets.ts).
 */
import { ConfigError, loadConfig, type Config } from '../config/loadConfig.js';
import { startGateway, type Gateway } from '../app/gateway.js';
import { createLogger } from '../observability/logger.js';
import { redact } from '../store/postgres/openPostgresStore.js';
import { rotateSecretsCommand } from './rotateSecrets.js';

const ROLE_SUMMARY = {
  all: 'API, ingest and delivery',
  api: 'API and ingest; worker processes deliver',
  worker: 'delivery and retention; health checks only on HTTP',
} as const;

/** After the shutdown deadline, how long closing the store and the clients may still take before a forced exit. */
const SHUTDOWN_GRACE_MS = 5000;

function banner(config: Config, gateway: Gateway): string {
  const { url, bootstrap } = gateway;
  const lines = ['', `  Sluice is running on ${url}`, `  Role:     ${config.role} (${ROLE_SUMMARY[config.role]})`];
  if (config.role !== 'worker') lines.push(`  API:      ${config.publicUrl}   (OpenAPI at ${config.publicUrl}/openapi.json)`);
  lines.push(config.databaseUrl === null ? `  Data:     ${config.dataDir}` : `  Database: ${redact(config.databaseUrl)}`);
  const apiKey = bootstrap?.createdApiKey ?? null;
  const signingSecret = bootstrap?.createdSigningSecret ?? null;
  if (apiKey !== null) {
    lines.push(`  API key:  ${apiKey}`, '            (shown once: store it now; only its hash is kept)');
  }
  if (signingSecret !== null) {
    lines.push(`  Signing secret (x-sluice-signature): ${signingSecret}`, '            (shown once; rotate with POST /team/signing-secret/rotate)');
  }
  if (config.outboundAllowlist.length === 0) {
    lines.push('  Outbound: private and loopback addresses are refused; to deliver to a local receiver set', '            SLUICE_OUTBOUND_ALLOWLIST=127.0.0.1/32,::1/128');
  }
  return `${lines.join('\n')}\n`;
}

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`sluice: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const log = createLogger(config);
  const gateway = await startGateway(config, log);
  process.stdout.write(banner(config, gateway));

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down: draining in-flight attempts');
    // The drain ends at the deadline; should anything still hang after it (storage unreachable while the last
    // records are written, a client that never finishes its upload), stop anyway: what was not recorded keeps
    // its lease and is attempted again after the restart (at least once, nothing lost).
    setTimeout(() => {
      log.error({ deadlineMs: config.shutdownTimeoutMs, graceMs: SHUTDOWN_GRACE_MS }, 'shutdown did not finish in time: exiting now');
      process.exit(1);
    }, config.shutdownTimeoutMs + SHUTDOWN_GRACE_MS).unref();
    gateway.close().then(
      () => process.exit(0),
      (error: unknown) => {
        log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

const [command, ...args] = process.argv.slice(2);
if (command === 'rotate-secrets') {
  rotateSecretsCommand(args, process.env, (line) => process.stdout.write(`${line}\n`)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`sluice: rotate-secrets failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
} else if (command !== undefined && command !== 'start') {
  process.stderr.write(`sluice: unknown command "${command}"; run \`sluice\` (or \`sluice start\`) to start the gateway, or \`sluice rotate-secrets\`.\n`);
  process.exit(2);
} else {
  main().catch((error: unknown) => {
    process.stderr.write(`sluice: failed to start: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
    process.exit(1);
  });
}
