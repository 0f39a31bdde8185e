/**
 * `sluice rotate-secrets [--batch-size N]`: re-encrypts every stored secret with the current encryption key
 * (`SLUICE_ENCRYPTION_KEY`), opening those sealed before with `SLUICE_ENCRYPTION_KEY_PREVIOUS`, on the store the
 * configuration names (the embedded SQLite file, which the gateway must not hold meanwhile, or PostgreSQL, where
 * gateways keep running). Prints counts per kind, never a secret. Exit 0: every secret is under the current key;
 * 1: some secret opens with no configured key (listed by row id, left untouched); 2: bad usage or configuration.
 * docs/configuration.md, "Rotating the encryption key", gives the procedure.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, loadConfig, type Config } from '../config/loadConfig.js';
import { resolveKeyring } from '../app/encryptionKey.js';
import { rotateStoredSecrets } from '../app/rotateSecrets.js';
import { openPostgresStore } from '../store/postgres/openPostgresStore.js';
import { lockDataDir } from '../store/sqlite/dataDirLock.js';
import { openSqliteStore, StoreLockedError } from '../store/sqlite/openSqliteStore.js';
import type { Store } from '../store/port.js';

export const ROTATE_USAGE = 'usage: sluice rotate-secrets [--batch-size N]   (N from 1 to 10000, default 500)';

class UsageError extends Error {}

function batchSize(args: readonly string[]): number {
  if (args.length === 0) return 500;
  const [flag, value] = args;
  const n = Number(value);
  if (flag !== '--batch-size' || args.length !== 2 || !Number.isInteger(n) || n < 1 || n > 10_000) throw new UsageError(ROTATE_USAGE);
  return n;
}

/** The store and how to let it go (the embedded one also releases its data directory's lock). */
interface Opened {
  store: Store;
  close(): Promise<void>;
}

async function openStore(config: Config): Promise<Opened> {
  if (config.databaseUrl !== null) {
    const store = await openPostgresStore(config.databaseUrl, { poolSize: 2 });
    await store.migrate().catch(async (error: unknown) => {
      await store.close();
      throw error;
    });
    return { store, close: () => store.close() };
  }
  const file = join(config.dataDir, 'sluice.db');
  if (!existsSync(file)) throw new UsageError(`No embedded store at ${file}: point SLUICE_DATA_DIR at the gateway's data directory.`);
  if (config.encryptionKey === null && !existsSync(join(config.dataDir, 'encryption.key'))) {
    throw new UsageError(`No SLUICE_ENCRYPTION_KEY and no ${join(config.dataDir, 'encryption.key')}: without the key the stored secrets cannot be read.`);
  }
  // The data directory's lock, as the gateway takes it, then the store held exclusively: refuses to run while a
  // gateway holds this data directory (whether or not its dispatch thread shares the file).
  const lock = lockDataDir(config.dataDir);
  try {
    const store = openSqliteStore(file, { exclusive: true });
    await store.migrate();
    return {
      store,
      async close() {
        await store.close();
        lock.release();
      },
    };
  } catch (error) {
    lock.release();
    throw error;
  }
}

export async function rotateSecretsCommand(args: readonly string[], env: NodeJS.ProcessEnv, out: (line: string) => void): Promise<number> {
  let config: Config;
  let size: number;
  try {
    size = batchSize(args);
    config = loadConfig(env);
  } catch (error) {
    if (error instanceof UsageError || error instanceof ConfigError) {
      out(`sluice: ${error.message}`);
      return 2;
    }
    throw error;
  }
  let opened: Opened;
  try {
    opened = await openStore(config);
  } catch (error) {
    if (error instanceof UsageError || error instanceof StoreLockedError) {
      out(`sluice: ${error.message}`);
      return 2;
    }
    throw error;
  }
  const { store } = opened;
  try {
    const keyring = resolveKeyring(config);
    const previous = keyring.previous.map((k) => k.id).join(', ');
    out(`Re-encrypting stored secrets with key ${keyring.current.id}${previous === '' ? '' : ` (opening older ones with ${previous})`}, ${size} rows per batch.`);
    const report = await rotateStoredSecrets(store, keyring, { batchSize: size });
    for (const [kind, counts] of Object.entries(report.kinds)) {
      out(`  ${kind}: ${counts.examined} stored, ${counts.resealed} re-encrypted, ${counts.current} already current, ${counts.changedMeanwhile} replaced meanwhile by the API`);
    }
    if (report.unreadable.length > 0) {
      out(`${report.unreadable.length} stored secret(s) open with none of the configured keys and were left as they are:`);
      for (const u of report.unreadable) out(`  ${u.kind} ${u.rowId} (${u.reason})`);
      out('Add the key that sealed them to SLUICE_ENCRYPTION_KEY_PREVIOUS and run this again; keep the previous keys until it succeeds.');
      return 1;
    }
    out('Done: every stored secret is sealed with the current key. SLUICE_ENCRYPTION_KEY_PREVIOUS can now be removed.');
    return 0;
  } finally {
    await opened.close();
  }
}
