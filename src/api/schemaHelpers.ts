/**
 * Small TypeBox building blocks shared by every face of the API: nullable values, ISO times, the error answer,
 * and `x-error-message`, the schema keyword our validator (validation.ts) shows instead of TypeBox's generic text
 * when a value fails that schema — the place to say what to do for the mistakes users actually make.
 */
import { Type, type Static, type TLiteral, type TSchema, type TUnion } from '@sinclair/typebox';

/** Key of the custom error message in a schema's options. `x-` so that OpenAPI tools accept it. */
export const ERROR_MESSAGE_KEY = 'x-error-message';

export function Nullable<T extends TSchema>(schema: T, options: Record<string, unknown> = {}) {
  return Type.Union([schema, Type.Null()], options);
}

/** A time on the wire: ISO 8601 in UTC (`2020-03-22T18:24:01.031Z`). */
export const IsoTime = Type.String({ format: 'date-time', description: 'ISO 8601 time in UTC' });
export const NullableIsoTime = Nullable(IsoTime);

/** The inbound face's error shape (FACTS.md, Hookdeck): `{code, status, message, data?}`. */
export const ErrorResponse = Type.Object(
  {
    code: Type.String({ description: 'Stable machine-readable code, e.g. VALIDATION_ERROR, NOT_FOUND' }),
    status: Type.Integer({ description: 'The HTTP status, repeated' }),
    message: Type.String({ description: 'What went wrong and what to do about it' }),
    data: Type.Optional(Type.Unknown({ description: 'Details; for VALIDATION_ERROR a list of {location, field, message}' })),
  },
  { description: 'An error' },
);

/** Error answers every authenticated route can give, for the OpenAPI document. */
export const COMMON_ERRORS = {
  '4xx': ErrorResponse,
  '5xx': ErrorResponse,
} as const;

/** `{id}` path parameter. Any string: a malformed id answers 404, like an unknown one. */
export const IdParams = Type.Object({ id: Type.String({ description: 'Object id' }) }, { additionalProperties: false });
export type IdParams = Static<typeof IdParams>;

/** `{id}` answer of a DELETE. */
export const DeletedResponse = Type.Object({ id: Type.String() });

/** A union of string literals, e.g. `Literals(['asc', 'desc'])`; its static type is `'asc' | 'desc'`. */
export function Literals<const T extends string>(values: readonly T[], options: Record<string, unknown> = {}): TUnion<TLiteral<T>[]> {
  return Type.Union(
    values.map((value) => Type.Literal(value)),
    options,
  );
}

/** The /v2 face's error shape (FACTS.md, Deck): `{errors: [{type, code, field?, message}], request_id}`. */
export const V2ErrorResponse = Type.Object(
  {
    errors: Type.Array(
      Type.Object({
        type: Type.String({ description: 'invalid_request_error, authentication_error, idempotency_error, rate_limit_error or api_error' }),
        code: Type.String({ description: 'Stable machine-readable code, e.g. validation_error, not_found, idempotency_error' }),
        field: Type.Optional(Type.String({ description: 'The field at fault, e.g. webhook.url, events[0]' })),
        message: Type.String({ description: 'What went wrong and what to do about it' }),
      }),
    ),
    request_id: Type.String({ description: 'Also in the x-request-id header' }),
  },
  { description: 'An error' },
);

export const V2_ERRORS = { '4xx': V2ErrorResponse, '5xx': V2ErrorResponse } as const;
