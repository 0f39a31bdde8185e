/**
 * The /v2 list convention (FACTS.md, Deck): query `limit` (1–100, default 20) and `cursor`; answer
 * `{data, has_more, next_cursor}`, newest first. A cursor is the id of the last object of the previous page
 * (ids sort in creation order, domain/ids.ts), to be sent back as is.
 */
import { Type, type TSchema } from '@sinclair/typebox';
import type { IdKind } from '../../domain/glossary.js';
import { isIdOf } from '../../domain/ids.js';
import type { Page, PageQuery } from '../../store/port.js';
import { Nullable } from '../schemaHelpers.js';
import { invalidField } from '../validation.js';

export const V2_DEFAULT_LIMIT = 20;
export const V2_MAX_LIMIT = 100;

export const v2ListQueryProperties = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: V2_MAX_LIMIT, default: V2_DEFAULT_LIMIT, description: `Objects per page, 1–${V2_MAX_LIMIT}` })),
  cursor: Type.Optional(Type.String({ description: 'next_cursor of the previous page' })),
};

export function v2PageQuery(kind: IdKind, query: { limit?: number; cursor?: string }): PageQuery {
  const page: PageQuery = { orderDirection: 'desc', limit: query.limit ?? V2_DEFAULT_LIMIT };
  if (query.cursor !== undefined && query.cursor !== '') {
    if (!isIdOf(kind, query.cursor)) {
      throw invalidField('cursor', `must be the next_cursor of a previous answer of this list; got "${query.cursor.slice(0, 100)}"`, 'query');
    }
    page.after = query.cursor;
  }
  return page;
}

export function v2List<T, M>(page: Page<T>, render: (model: T) => M) {
  return { data: page.models.map(render), has_more: page.next !== null, next_cursor: page.next };
}

export function V2ListResponse<T extends TSchema>(model: T) {
  return Type.Object({
    data: Type.Array(model),
    has_more: Type.Boolean({ description: 'True when another page follows' }),
    next_cursor: Nullable(Type.String(), { description: 'Send as `cursor` for the next page; null on the last page' }),
  });
}

/** A repeatable query parameter (`type=a&type=b`), also accepting commas (`type=a,b`). */
export const Repeatable = Type.Union([Type.String(), Type.Array(Type.String())], { description: 'Repeat the parameter, or separate values with commas' });
