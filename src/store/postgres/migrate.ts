/**
 * Schema migrations on PostgreSQL: the numbered, append-only files `NNN_name.sql` in ./migrations, applied at
 * start and recorded in `schema_migrations`.
 *
 * Several gateway processes may start at once against one database, so the whole check-and-apply runs in ONE
 * transaction under a transaction-scoped advisory lock keyed by the schema: the first process applies what is
 * missing, the others wait on the lock, then find nothing left to do. PostgreSQL's DDL is transactional, so a
 * failing migration leaves nothing behind (neither its tables nor its record). A schema with a version newer than
 * the newest file here was written by a newer Sluice: starting on it could corrupt data, so it is refused.
 */
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { type Migration, newerSchemaError, readMigrationFiles } from '../migrationFiles.js';
import { checkout } from './db.js';

export const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));

/** Sluice's advisory-lock namespace for migrations (first int4 of the two-key form; "SL" + 1). */
export const MIGRATION_LOCK_NAMESPACE = 0x534c0001;

/**
 * Takes the migration lock of one schema ($1; null = the connection's current schema) until the transaction ends.
 * Exported so tests can hold it from another session.
 */
export const MIGRATION_LOCK_SQL = `SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_NAMESPACE}, hashtext(coalesce($1::text, current_schema())))`;

const CREATE_TABLE = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version integer PRIMARY KEY,
  name text NOT NULL,
  applied_at bigint NOT NULL
)`;

export function readMigrations(dir: string = MIGRATIONS_DIR): Migration[] {
  return readMigrationFiles(dir);
}

export interface MigrateOptions {
  /** The schema the store lives in (created if absent); null = the connection's current schema. */
  schema: string | null;
  migrations?: Migration[];
}

/** Applies the migrations the schema lacks, all in one transaction under the lock. Returns the versions applied. */
export async function migrate(pool: pg.Pool, options: MigrateOptions): Promise<number[]> {
  const migrations = options.migrations ?? readMigrations();
  const held = await checkout(pool);
  const { client } = held;
  let broken: unknown = undefined;
  try {
    await client.query('BEGIN');
    await client.query(MIGRATION_LOCK_SQL, [options.schema]);
    if (options.schema !== null) await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(options.schema)}`);
    await client.query(CREATE_TABLE);
    const applied = new Set(
      (await client.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map((row) => row.version),
    );
    const newestKnown = migrations.reduce((max, m) => Math.max(max, m.version), 0);
    const newestApplied = Math.max(0, ...applied);
    if (newestApplied > newestKnown) {
      throw newerSchemaError(newestApplied, newestKnown, options.schema === null ? 'this database' : `schema ${options.schema} of this database`);
    }
    const done: number[] = [];
    for (const migration of migrations) {
      if (applied.has(migration.version)) continue;
      try {
        await client.query(migration.sql);
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        throw new Error(`Migration ${migration.version}_${migration.name} failed: ${reason}. Nothing was applied.`, { cause: error });
      }
      await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [
        migration.version,
        migration.name,
        Date.now(),
      ]);
      done.push(migration.version);
    }
    await client.query('COMMIT');
    return done;
  } catch (error) {
    await client.query('ROLLBACK').catch((rollbackError: unknown) => {
      broken = rollbackError;
    });
    throw error;
  } finally {
    held.release(broken);
  }
}

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/** A schema name safe to splice into SQL (lowercase letters, digits, underscores); throws otherwise. */
export function quoteIdentifier(name: string): string {
  if (!IDENTIFIER.test(name)) {
    throw new Error(`"${name}" is not a valid schema name for Sluice: use lowercase letters, digits and underscores (at most 63).`);
  }
  return `"${name}"`;
}
