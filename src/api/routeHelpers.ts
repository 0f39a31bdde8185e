/**
 * Helpers every route module uses: 404 for ids that are malformed or unknown (another team's ids are unknown
 * too, by the store's scoping), and the OpenAPI security requirements of each face.
 */
import { notFound } from '../domain/errors.js';
import type { IdKind } from '../domain/glossary.js';
import { isIdOf } from '../domain/ids.js';

/** OpenAPI: team routes take the team API key as Bearer or Basic. */
export const TEAM_SECURITY: { [scheme: string]: string[] }[] = [{ bearerAuth: [] }, { basicAuth: [] }];
/** OpenAPI: /teams routes take SLUICE_ADMIN_KEY as Bearer. */
export const ADMIN_SECURITY: { [scheme: string]: string[] }[] = [{ adminKey: [] }];

/** A malformed id cannot exist: answer 404 without asking the store. */
export function checkId(kind: IdKind, what: string, id: string): void {
  if (!isIdOf(kind, id)) throw notFound(what, id);
}

/** The value, or 404 naming what was looked for. */
export function found<T>(value: T | null, what: string, id: string): T {
  if (value === null) throw notFound(what, id);
  return value;
}
