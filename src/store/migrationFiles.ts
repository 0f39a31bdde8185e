/**
 * Numbered, append-only migration files, read the same way for every dialect: `NNN_name.sql` in one folder per
 * dialect (copied beside the compiled code by the build), in version order. How they are applied (transactions,
 * locks, the record of what was applied) is the dialect's own business.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

const FILE_PATTERN = /^(\d{3})_([a-z0-9_]+)\.sql$/;

/** The migrations in `dir`, in version order. Throws on a malformed name or a duplicate version. */
export function readMigrationFiles(dir: string): Migration[] {
  const migrations: Migration[] = [];
  for (const file of readdirSync(dir).sort()) {
    if (!file.endsWith('.sql')) continue;
    const match = FILE_PATTERN.exec(file);
    if (match === null) throw new Error(`Migration file ${file} must be named NNN_name.sql (three digits, lowercase name).`);
    const version = Number(match[1]);
    if (migrations.some((m) => m.version === version)) throw new Error(`Two migration files have version ${version}; each number may be used once.`);
    migrations.push({ version, name: match[2] ?? file, sql: readFileSync(join(dir, file), 'utf8') });
  }
  return migrations;
}

/** The error for a database whose schema is newer than the newest migration this build has. */
export function newerSchemaError(newestApplied: number, newestKnown: number, where: string): Error {
  return new Error(
    `The database schema is at version ${newestApplied}, newer than this Sluice knows (${newestKnown}): it was written ` +
      `by a newer release. Run that release (or newer) against ${where}, or restore a backup made for this one.`,
  );
}
