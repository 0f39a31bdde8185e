/**
 * A thin layer over better-sqlite3 for the query modules: statements prepared once and cached by their SQL text,
 * typed row access, and the recognition of constraint errors. Dynamic SQL (list filters) yields a bounded number
 * of distinct texts, so caching by text is safe; the cache is cleared if it ever grows past a sane size.
 */
import Database from 'better-sqlite3';

export type SqlValue = string | number | bigint | Buffer | null;
/** Positional values, or one object for `@name` parameters. */
export type SqlParam = SqlValue | Readonly<Record<string, SqlValue>>;

const MAX_CACHED_STATEMENTS = 2000;

export class Sql {
  private readonly statements = new Map<string, Database.Statement<SqlParam[]>>();

  constructor(readonly db: Database.Database) {}

  statement(source: string): Database.Statement<SqlParam[]> {
    let statement = this.statements.get(source);
    if (statement === undefined) {
      if (this.statements.size >= MAX_CACHED_STATEMENTS) this.statements.clear();
      statement = this.db.prepare<SqlParam[]>(source);
      this.statements.set(source, statement);
    }
    return statement;
  }

  /** The first row, or undefined. `R` is the caller's description of the selected columns (rows are untyped). */
  get<R>(source: string, ...params: SqlParam[]): R | undefined {
    return this.statement(source).get(...params) as R | undefined;
  }

  all<R>(source: string, ...params: SqlParam[]): R[] {
    return this.statement(source).all(...params) as R[];
  }

  /** Runs a write; returns the number of rows it changed. */
  run(source: string, ...params: SqlParam[]): number {
    return this.statement(source).run(...params).changes;
  }
}

/** True for a UNIQUE or PRIMARY KEY violation (the caller turns it into a CONFLICT that says what to do). */
export function isUniqueViolation(error: unknown): boolean {
  return (
    error instanceof Database.SqliteError &&
    (error.code === 'SQLITE_CONSTRAINT_UNIQUE' || error.code === 'SQLITE_CONSTRAINT_PRIMARYKEY')
  );
}

/** A JSON array for `IN (SELECT value FROM json_each(?))`: one SQL text whatever the number of values. */
export function jsonList(values: readonly (string | number)[]): string {
  return JSON.stringify(values);
}
