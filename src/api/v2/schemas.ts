/**
 * TypeBox schemas of the /v2 face (seed 000, Deck's conventions): what each endpoint takes (bodies reject unknown
 * fields) and what it answers (the serializer writes these fields, in this order). The event destination schemas
 * depend on the catalog (one `<type>` key per destination type), so they are built from it.
 */
import { Type, type Static, type TObject, type TSchema } from '@sinclair/typebox';
import { EXTERNAL_ID_PATTERN, MAX_EXTERNAL_ID_LENGTH } from '../../domain/publishedEvent.js';
import { EVENT_TYPE_PATTERN, MAX_EVENT_TYPE_LENGTH } from '../../domain/subscription.js';
import { MAX_TIMEOUT_MS, MIN_TIMEOUT_MS } from '../../destinations/http/configSchema.js';
import type { DestinationType } from '../../destinations/types.js';
import { IsoTime, Literals, Nullable, NullableIsoTime } from '../schemaHelpers.js';
import { Repeatable, v2ListQueryProperties } from './list.js';

// ---------------------------------------------------------------- events

const EventType = Type.String({
  pattern: EVENT_TYPE_PATTERN,
  maxLength: MAX_EVENT_TYPE_LENGTH,
  description: '`object.action`: two or more dot-separated parts of a-z, 0-9 and _, e.g. task_run.completed',
  'x-error-message': 'must be "object.action": two or more dot-separated parts of lower-case letters, digits and "_" (e.g. task_run.completed)',
});

export const PublishEventBody = Type.Object(
  {
    type: EventType,
    data: Type.Object({}, { additionalProperties: true, description: 'The event payload: a JSON object', 'x-error-message': 'must be a JSON object' }),
    id: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: MAX_EXTERNAL_ID_LENGTH,
        pattern: EXTERNAL_ID_PATTERN,
        description: 'Your id for the event; a repeat within the team is not delivered again. Default: a generated evt_ id',
        'x-error-message': `must be 1 to ${MAX_EXTERNAL_ID_LENGTH} characters among letters, digits, "_", "-", "." and ":"`,
      }),
    ),
  },
  { additionalProperties: false },
);
export type PublishEventBody = Static<typeof PublishEventBody>;

export const EventModel = Type.Object({
  id: Type.String(),
  object: Type.Literal('event'),
  type: Type.String(),
  data: Type.Unknown(),
  created_at: IsoTime,
});

export const PublishAnswer = Type.Object({
  event: EventModel,
  destinations: Type.Array(Type.String(), { description: 'Ids of the event destinations it is being delivered to' }),
});

export const EventsQuery = Type.Object(
  {
    ...v2ListQueryProperties,
    type: Type.Optional(Repeatable),
    created_after: Type.Optional(Type.String({ description: 'ISO 8601: created strictly after' })),
    created_before: Type.Optional(Type.String({ description: 'ISO 8601: created strictly before' })),
  },
  { additionalProperties: false },
);
export type EventsQuery = Static<typeof EventsQuery>;

export const EventIdParams = Type.Object({ id: Type.String() }, { additionalProperties: false });
export type EventIdParams = Static<typeof EventIdParams>;

// ---------------------------------------------------------------- event destinations

const Name = Type.String({ minLength: 1, maxLength: 255, description: 'Display name (need not be unique)', 'x-error-message': 'must be 1 to 255 characters' });
const Status = Literals(['active', 'inactive'], { 'x-error-message': 'must be "active" or "inactive"' });
const Events = Type.Array(Type.String(), {
  description: 'Event types to receive: ["*"] for all, exact types, or "prefix.*" patterns',
});

const TIMEOUT_ERROR = `must be a whole number of milliseconds from ${MIN_TIMEOUT_MS} to ${MAX_TIMEOUT_MS}, or null for the gateway default`;
const Timeout = Nullable(Type.Integer({ minimum: MIN_TIMEOUT_MS, maximum: MAX_TIMEOUT_MS, 'x-error-message': TIMEOUT_ERROR }), {
  description: `Attempt timeout in milliseconds (${MIN_TIMEOUT_MS}–${MAX_TIMEOUT_MS}), whatever the type; null = the gateway's SLUICE_DEFAULT_TIMEOUT_MS`,
  'x-error-message': TIMEOUT_ERROR,
});

/** One optional `<type>` object per destination type: config and credential fields together. */
function typeKeys(types: readonly DestinationType[]): Record<string, TSchema> {
  return Object.fromEntries(
    types.map((t) => [
      t.type,
      Type.Optional(
        Type.Object({}, { additionalProperties: true, description: `${t.label}: ${[...t.configFields, ...t.credentialFields].map((f) => f.key).join(', ')}` }),
      ),
    ]),
  );
}

export interface EventDestinationSchemas {
  create: TObject;
  update: TObject;
  model: TObject;
  query: TObject;
}

export function eventDestinationSchemas(types: readonly DestinationType[]): EventDestinationSchemas {
  const typeNames = types.map((t) => t.type);
  const TypeName = Type.String({ description: `One of ${typeNames.join(', ')} (GET /v2/destination-types)` });
  return {
    create: Type.Object(
      { name: Name, type: TypeName, events: Events, status: Type.Optional(Status), timeout: Type.Optional(Timeout), ...typeKeys(types) },
      { additionalProperties: false },
    ),
    update: Type.Object(
      {
        name: Type.Optional(Name),
        type: Type.Optional(TypeName),
        events: Type.Optional(Events),
        status: Type.Optional(Status),
        timeout: Type.Optional(Timeout),
        ...typeKeys(types),
      },
      { additionalProperties: false, description: 'Only the fields sent change; <type> fields merge over the current ones' },
    ),
    model: Type.Object(
      {
        id: Type.String(),
        object: Type.Literal('event_destination'),
        name: Type.String(),
        type: Type.String(),
        events: Type.Array(Type.String()),
        status: Type.String({ description: 'active or inactive' }),
        timeout: Nullable(Type.Integer({ description: "Attempt timeout in ms; null = the gateway's default" })),
        ...Object.fromEntries(
          typeNames.map((name) => [name, Type.Optional(Type.Object({}, { additionalProperties: true, description: 'Config, and credentials masked' }))]),
        ),
        created_at: IsoTime,
        updated_at: IsoTime,
      },
      { additionalProperties: false },
    ),
    query: Type.Object(
      { ...v2ListQueryProperties, type: Type.Optional(Repeatable), status: Type.Optional(Status) },
      { additionalProperties: false },
    ),
  };
}

export interface EventDestinationBody {
  name?: string;
  type?: string;
  events?: unknown;
  status?: 'active' | 'inactive';
  timeout?: number | null;
  [typeKey: string]: unknown;
}

export const DeletedEventDestination = Type.Object({ id: Type.String(), object: Type.Literal('event_destination'), deleted: Type.Literal(true) });

// ---------------------------------------------------------------- deliveries

export const DeliveryAttemptModel = Type.Object({
  id: Type.String(),
  object: Type.Literal('event_delivery_attempt'),
  attempt_number: Type.Integer(),
  trigger: Type.String({ description: 'initial, automatic, manual or unpause' }),
  status: Type.String({ description: 'success or failure' }),
  response_status: Nullable(Type.Integer()),
  error_code: Nullable(Type.String()),
  response_body: Type.Unknown(),
  duration_ms: Nullable(Type.Integer()),
  created_at: IsoTime,
});

export const DeliveryModel = Type.Object({
  id: Type.String(),
  object: Type.Literal('event_delivery'),
  status: Type.String({ description: 'success, failure or pending' }),
  event_type: Type.String(),
  event_id: Type.String(),
  event_destination_id: Type.String(),
  attempts: Type.Array(DeliveryAttemptModel),
  next_attempt_at: NullableIsoTime,
  response_status: Nullable(Type.Integer()),
  error_code: Nullable(Type.String()),
  created_at: IsoTime,
  delivered_at: NullableIsoTime,
});

export const DeliveriesQuery = Type.Object(
  {
    ...v2ListQueryProperties,
    status: Type.Optional(Repeatable),
    type: Type.Optional(Repeatable),
  },
  { additionalProperties: false },
);
export type DeliveriesQuery = Static<typeof DeliveriesQuery>;

export const DeliveryParams = Type.Object({ id: Type.String(), delivery_id: Type.String() }, { additionalProperties: false });
export type DeliveryParams = Static<typeof DeliveryParams>;

// ---------------------------------------------------------------- destination types

const FieldModel = Type.Object({
  key: Type.String(),
  label: Type.String(),
  type: Type.String({ description: 'text, url, number, boolean, select, json or secret' }),
  required: Type.Boolean(),
  sensitive: Type.Boolean(),
  description: Type.String(),
  default: Type.Optional(Type.Union([Type.String(), Type.Number(), Type.Boolean()])),
  options: Type.Optional(Type.Array(Type.String())),
});

export const DestinationTypeModel = Type.Object({
  type: Type.String(),
  label: Type.String(),
  description: Type.String(),
  config_fields: Type.Array(FieldModel),
  credential_fields: Type.Array(FieldModel),
});
