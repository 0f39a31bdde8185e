/**
 * Schema migrations: the numbered, append-only files `NNN_name.sql` in ./migrations (copied beside the compiled
 * code by the build), applied in order, each in its own transaction, and recorded in `schema_migrations`. A
 * database that has a version newer than the newest file here was written by a newer Sluice: starting on it could
 * corrupt data, so it is refused.
 */
import type Database from 'better-sqlite3';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

const FILE_PATTERN = /^(\d{3})_([a-z0-9_]+)\.sql$/;

/** The migrations in `dir`, in version order. Throws on a malformed name or a duplicate version. */
export function readMigrations(dir: string = MIGRATIONS_DIR): Migration[] {
  const migrations: Migration[] = [];
  for (const file of readdirSync(dir).sort()) {
    if (!file.endsWith('.sql')) continue;
    const match = FILE_PATTERN.exec(file);
    if (match === null) throw new Error(`Migration file ${file} must be named NNN_name.sql (three digits, lowercase name).`);
    const version = Number(match[1]);
    if (migrations.some((m) => m.version === version)) throw new Error(`Two migration files have version ${version}; each number may be used once.`);
    migrations.push({ version, name: match[2] ?? file, sql: readFileSync(`${dir}/${file}`, 'utf8') });
  }
  return migrations;
}

/** Applies the migrations the database lacks. Returns the versions applied. */
export function migrate(db: Database.Database, migrations: Migration[] = readMigrations()): number[] {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL) STRICT');
  const applied = new Set(
    (db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map((row) => row.version),
  );
  const newestKnown = migrations.reduce((max, m) => Math.max(max, m.version), 0);
  const newestApplied = Math.max(0, ...applied);
  if (newestApplied > newestKnown) {
    throw new Error(
      `The database schema is at version ${newestApplied}, newer than this Sluice knows (${newestKnown}): it was written ` +
        'by a newer release. Run that release (or newer) against this data directory, or restore a backup made for this one.',
    );
  }
  const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
  const done: number[] = [];
  for (const migration of migrations) {
    if (applied.has(migration.version)) continue;
    db.transaction(() => {
      db.exec(migration.sql);
      record.run(migration.version, migration.name, Date.now());
    }).immediate();
    done.push(migration.version);
  }
  return done;
}
