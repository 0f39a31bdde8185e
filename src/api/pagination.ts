/**
 * The two list shapes of the inbound face, their query parameters and their answers:
 * - management lists (sources, destinations, connections), Hookdeck's current shape: query `order_by`, `dir`,
 *   `limit`, `next`, `prev`; answer `{pagination: {order_by, dir, limit, next, prev}, count, models}`;
 * - seed 003 lists (events, requests, attempts): query `order_by`, `order_direction`, `limit`, `after`, `before`
 *   and a `created_at` range; answer `{pagination: {order_by, order_direction, limit, after, before}, total_count,
 *   count, models}`.
 * Cursors are ids (ids sort in creation order, see domain/ids.ts). `count` is the number of models in this page.
 */
import { Type, type TSchema } from '@sinclair/typebox';
import type { IdKind } from '../domain/glossary.js';
import { isIdOf } from '../domain/ids.js';
import type { Page, PageQuery } from '../store/port.js';
import { Literals, Nullable } from './schemaHelpers.js';
import { invalidField } from './validation.js';

export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 250;

const Limit = Type.Integer({ minimum: 1, maximum: MAX_LIMIT, default: DEFAULT_LIMIT, description: `Models per page, 1–${MAX_LIMIT}` });
const OrderBy = Type.Literal('created_at', {
  default: 'created_at',
  'x-error-message': 'must be "created_at", the only order lists support',
});
const Direction = Literals(['asc', 'desc'], { default: 'desc' });

/** Query parameters of every management list. */
export const managementListQueryProperties = {
  order_by: Type.Optional(OrderBy),
  dir: Type.Optional(Direction),
  limit: Type.Optional(Limit),
  next: Type.Optional(Type.String({ description: 'Cursor from pagination.next of the previous answer' })),
  prev: Type.Optional(Type.String({ description: 'Cursor from pagination.prev of the previous answer' })),
};

/** Query parameters of every seed-003 list. */
export const seedPageQueryProperties = {
  order_by: Type.Optional(OrderBy),
  order_direction: Type.Optional(Direction),
  limit: Type.Optional(Limit),
  after: Type.Optional(Type.String({ description: 'Cursor from pagination.after of the previous answer: the next page' })),
  before: Type.Optional(Type.String({ description: 'Cursor from pagination.before of the previous answer: the previous page' })),
};

/** The created_at range of the seed-003 lists that can filter by it. */
export const seedListQueryProperties = {
  ...seedPageQueryProperties,
  'created_at[gte]': Type.Optional(Type.String({ description: 'Created at or after this ISO 8601 time' })),
  'created_at[gt]': Type.Optional(Type.String({ description: 'Created after this ISO 8601 time' })),
  'created_at[lte]': Type.Optional(Type.String({ description: 'Created at or before this ISO 8601 time' })),
  'created_at[lt]': Type.Optional(Type.String({ description: 'Created before this ISO 8601 time' })),
  created_after: Type.Optional(Type.String({ description: 'Same as created_at[gt]' })),
  created_before: Type.Optional(Type.String({ description: 'Same as created_at[lt]' })),
};

export interface ManagementListQuery {
  order_by?: 'created_at';
  dir?: 'asc' | 'desc';
  limit?: number;
  next?: string;
  prev?: string;
}

export interface SeedListQuery {
  order_by?: 'created_at';
  order_direction?: 'asc' | 'desc';
  limit?: number;
  after?: string;
  before?: string;
  'created_at[gte]'?: string;
  'created_at[gt]'?: string;
  'created_at[lte]'?: string;
  'created_at[lt]'?: string;
  created_after?: string;
  created_before?: string;
}

function cursor(kind: IdKind, name: string, value: string | undefined): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (!isIdOf(kind, value)) {
    throw invalidField(name, `must be a cursor from the pagination of a previous answer (an id of the listed objects); got "${value}"`, 'query');
  }
  return value;
}

function bothCursors(first: string, second: string): never {
  throw invalidField(second, `cannot be combined with ${first}; send one of them`, 'query');
}

export function managementPageQuery(kind: IdKind, query: ManagementListQuery): PageQuery {
  const after = cursor(kind, 'next', query.next);
  const before = cursor(kind, 'prev', query.prev);
  if (after !== undefined && before !== undefined) bothCursors('next', 'prev');
  const page: PageQuery = { orderDirection: query.dir ?? 'desc', limit: query.limit ?? DEFAULT_LIMIT };
  if (after !== undefined) page.after = after;
  if (before !== undefined) page.before = before;
  return page;
}

export function seedPageQuery(kind: IdKind, query: SeedListQuery): PageQuery {
  const after = cursor(kind, 'after', query.after);
  const before = cursor(kind, 'before', query.before);
  if (after !== undefined && before !== undefined) bothCursors('after', 'before');
  const page: PageQuery = { orderDirection: query.order_direction ?? 'desc', limit: query.limit ?? DEFAULT_LIMIT };
  if (after !== undefined) page.after = after;
  if (before !== undefined) page.before = before;
  return page;
}

function parseTime(name: string, value: string): number {
  // Date.parse takes many shapes ("2020", "March 7"); insist on the ISO 8601 date at least.
  const ms = /^\d{4}-\d{2}-\d{2}/.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(ms)) {
    throw invalidField(name, `must be an ISO 8601 time such as 2024-05-01T12:00:00Z; got "${value}"`, 'query');
  }
  return ms;
}

/** The created_at range as the store takes it: `createdAfter` inclusive, `createdBefore` exclusive, in ms. */
export function createdRange(query: SeedListQuery): { createdAfter?: number; createdBefore?: number } {
  const lower: number[] = [];
  const upper: number[] = [];
  if (query['created_at[gte]'] !== undefined) lower.push(parseTime('created_at[gte]', query['created_at[gte]']));
  if (query['created_at[gt]'] !== undefined) lower.push(parseTime('created_at[gt]', query['created_at[gt]']) + 1);
  if (query.created_after !== undefined) lower.push(parseTime('created_after', query.created_after) + 1);
  if (query['created_at[lte]'] !== undefined) upper.push(parseTime('created_at[lte]', query['created_at[lte]']) + 1);
  if (query['created_at[lt]'] !== undefined) upper.push(parseTime('created_at[lt]', query['created_at[lt]']));
  if (query.created_before !== undefined) upper.push(parseTime('created_before', query.created_before));
  const range: { createdAfter?: number; createdBefore?: number } = {};
  if (lower.length > 0) range.createdAfter = Math.max(...lower);
  if (upper.length > 0) range.createdBefore = Math.min(...upper);
  return range;
}

/** A parameter that may be sent once with commas (`status=FAILED,HOLD`) or repeated (`status=FAILED&status=HOLD`). */
export const MultiValue = Type.Union([Type.String(), Type.Array(Type.String())], {
  description: 'One value, several separated by commas, or the parameter repeated',
});

export function splitMulti(value: string | string[] | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const parts = (Array.isArray(value) ? value : [value]).flatMap((part) => part.split(',')).map((part) => part.trim());
  const values = parts.filter((part) => part !== '');
  return values.length === 0 ? undefined : values;
}

/** Validates each value of a multi-valued parameter against the allowed ones. */
export function oneOfEach<T extends string>(name: string, values: string[] | undefined, allowed: readonly T[]): T[] | undefined {
  if (values === undefined) return undefined;
  for (const value of values) {
    if (!(allowed as readonly string[]).includes(value)) {
      throw invalidField(name, `has "${value}", which is not one of ${allowed.join(', ')}`, 'query');
    }
  }
  return values as T[];
}

export function managementList<T, M>(page: Page<T>, query: PageQuery, render: (model: T) => M) {
  return {
    pagination: { order_by: 'created_at' as const, dir: query.orderDirection, limit: query.limit, next: page.next, prev: page.prev },
    count: page.models.length,
    models: page.models.map(render),
  };
}

export function seedList<T, M>(page: Page<T>, query: PageQuery, render: (model: T) => M) {
  return {
    pagination: {
      order_by: 'created_at' as const,
      order_direction: query.orderDirection,
      limit: query.limit,
      after: page.next,
      before: page.prev,
    },
    total_count: page.totalCount,
    count: page.models.length,
    models: page.models.map(render),
  };
}

export function ManagementListResponse<T extends TSchema>(model: T) {
  return Type.Object({
    pagination: Type.Object({
      order_by: Type.String(),
      dir: Type.String(),
      limit: Type.Integer(),
      next: Nullable(Type.String()),
      prev: Nullable(Type.String()),
    }),
    count: Type.Integer({ description: 'Models in this page' }),
    models: Type.Array(model),
  });
}

export function SeedListResponse<T extends TSchema>(model: T) {
  return Type.Object({
    pagination: Type.Object({
      order_by: Type.String(),
      order_direction: Type.String(),
      limit: Type.Integer(),
      after: Nullable(Type.String(), { description: 'Cursor of the next page (send as `after`), null when none' }),
      before: Nullable(Type.String(), { description: 'Cursor of the previous page (send as `before`), null when none' }),
    }),
    total_count: Type.Integer({ description: 'Models matching the filters, all pages' }),
    count: Type.Integer({ description: 'Models in this page' }),
    models: Type.Array(model),
  });
}
