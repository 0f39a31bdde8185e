/**
 * TypeBox schemas of the inbound face (Hookdeck-shaped management API and the seed 003 Events API): what each
 * endpoint takes (bodies reject unknown fields) and what it answers (the serializer writes exactly these fields,
 * in this order). The OpenAPI document is generated from them.
 */
import { Type, type Static } from '@sinclair/typebox';
import { HttpDestinationConfigInput, HttpDestinationConfigModel, HttpDestinationConfigPatch } from '../../destinations/http/configSchema.js';
import { MAX_DELAY_MS, MIN_DELAY_MS } from '../../domain/connectionRules.js';
import { DEDUP_FIELD_PATTERN, MAX_DEDUP_FIELDS, MAX_DEDUP_WINDOW_MS, MIN_DEDUP_WINDOW_MS } from '../../domain/dedupKey.js';
import { HTTP_METHODS } from '../../domain/model.js';
import { RATE_LIMIT_PERIODS } from '../../domain/rateLimit.js';
import { HMAC_ALGORITHMS, HMAC_ENCODINGS, SOURCE_AUTH_TYPES } from '../../domain/sourceAuth.js';
import { managementListQueryProperties, MultiValue, seedListQueryProperties, seedPageQueryProperties } from '../pagination.js';
import type { NameFilter } from '../../store/port.js';
import { IsoTime, Literals, Nullable, NullableIsoTime } from '../schemaHelpers.js';

export const NAME_PATTERN = '^[A-Za-z0-9_-]+$';

function Name(what: string) {
  return Type.String({
    minLength: 1,
    maxLength: 155,
    pattern: NAME_PATTERN,
    description: `Name of the ${what}: letters, digits, _ and -, at most 155 characters; unique in the team`,
    'x-error-message': 'must be 1 to 155 characters among letters, digits, "_" and "-" (no spaces or dots)',
  });
}

const Description = Nullable(Type.String({ maxLength: 1000 }), {
  description: 'Free text, at most 1000 characters',
  'x-error-message': 'must be a string of at most 1000 characters, or null',
});

const HttpMethod = Literals(HTTP_METHODS, { 'x-error-message': `must be one of ${HTTP_METHODS.join(', ')} (upper case)` });

// ---------------------------------------------------------------- sources

export const CustomResponse = Type.Object(
  {
    content_type: Literals(['json', 'text', 'xml']),
    body: Type.String({ maxLength: 1000, description: 'Sent as the answer to every accepted request, at most 1000 characters' }),
  },
  { additionalProperties: false, description: 'What ingest answers instead of its own JSON' },
);

const Secret = (description: string) => Type.String({ minLength: 1, maxLength: 1000, description });

const SourceAuthInput = Type.Object(
  {
    algorithm: Type.Optional(Literals(HMAC_ALGORITHMS, { description: 'HMAC: digest algorithm (default sha256)' })),
    encoding: Type.Optional(Literals(HMAC_ENCODINGS, { description: 'HMAC: how the signature is written in the header (default hex)' })),
    header_key: Type.Optional(
      Type.String({ minLength: 1, maxLength: 256, description: 'HMAC: header holding the signature (required). API_KEY: header holding the key (default x-api-key)' }),
    ),
    secret: Type.Optional(Secret('HMAC, STRIPE, GITHUB, SHOPIFY: the signing secret shared with the sender (required; never shown again)')),
    webhook_secret_key: Type.Optional(Secret("Hookdeck's name for secret; send one of the two")),
    username: Type.Optional(Type.String({ minLength: 1, maxLength: 255, description: 'BASIC_AUTH: user name (required)' })),
    password: Type.Optional(Secret('BASIC_AUTH: password (required; never shown again)')),
    api_key: Type.Optional(Secret('API_KEY: the key senders must present (required; never shown again)')),
  },
  {
    additionalProperties: false,
    description:
      'Verification settings for auth_type; the fields of other types are refused. On update, fields not sent are kept (secrets included) while auth_type stays the same.',
  },
);

const SourceConfigInput = Type.Object(
  {
    allowed_http_methods: Type.Optional(
      Type.Array(HttpMethod, {
        minItems: 1,
        uniqueItems: true,
        description: 'Methods ingest accepts; default POST, PUT, PATCH, DELETE. Others are answered 405 and recorded.',
      }),
    ),
    custom_response: Type.Optional(Nullable(CustomResponse)),
    auth_type: Type.Optional(
      Nullable(Literals(SOURCE_AUTH_TYPES), {
        description: 'Source verification: requests without valid proof are answered 403 VERIFICATION_FAILED and recorded. null removes it.',
        'x-error-message': `must be one of ${SOURCE_AUTH_TYPES.join(', ')}, or null for no verification`,
      }),
    ),
    auth: Type.Optional(Nullable(SourceAuthInput)),
    rate_limit: Type.Optional(
      Nullable(Type.Integer({ minimum: 1, maximum: 1_000_000 }), {
        description: 'Ingest requests accepted per rate_limit_period (per gateway process); beyond it 429 with Retry-After. null removes it.',
        'x-error-message': 'must be a whole number from 1 to 1000000, or null for no limit',
      }),
    ),
    rate_limit_period: Type.Optional(
      Nullable(Literals(RATE_LIMIT_PERIODS), { description: 'second (default), minute or hour', 'x-error-message': `must be one of ${RATE_LIMIT_PERIODS.join(', ')}` }),
    ),
  },
  { additionalProperties: false },
);

export const CreateSourceBody = Type.Object(
  { name: Name('source'), description: Type.Optional(Description), config: Type.Optional(SourceConfigInput) },
  { additionalProperties: false },
);
export type CreateSourceBody = Static<typeof CreateSourceBody>;

export const UpdateSourceBody = Type.Object(
  { name: Type.Optional(Name('source')), description: Type.Optional(Description), config: Type.Optional(SourceConfigInput) },
  { additionalProperties: false, description: 'Only the fields sent change; config fields are merged over the current config' },
);
export type UpdateSourceBody = Static<typeof UpdateSourceBody>;

export const SourceModel = Type.Object({
  id: Type.String(),
  name: Type.String(),
  description: Nullable(Type.String()),
  team_id: Type.String(),
  url: Type.String({ description: 'The ingest URL: send webhooks here' }),
  config: Type.Object({
    allowed_http_methods: Type.Array(Type.String()),
    custom_response: Nullable(Type.Object({ content_type: Type.String(), body: Type.String() })),
    auth_type: Nullable(Type.String()),
    auth: Nullable(
      Type.Record(Type.String(), Type.String(), { description: 'The verification settings, secrets masked (their last four characters at most)' }),
    ),
    rate_limit: Nullable(Type.Integer()),
    rate_limit_period: Nullable(Type.String()),
  }),
  disabled_at: NullableIsoTime,
  created_at: IsoTime,
  updated_at: IsoTime,
});

export const SourcesQuery = Type.Object(
  {
    ...managementListQueryProperties,
    name: Type.Optional(Type.String({ description: 'Exact name' })),
    name_contains: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 155,
        description: 'Names containing this text, case-insensitively (for type-ahead pickers)',
        'x-error-message': 'must be 1 to 155 characters',
      }),
    ),
  },
  { additionalProperties: false },
);
export type SourcesQuery = Static<typeof SourcesQuery>;

/** The store's name filter from a sources or destinations list query. */
export function nameFilter(query: SourcesQuery): NameFilter {
  return {
    ...(query.name === undefined ? {} : { name: query.name }),
    ...(query.name_contains === undefined ? {} : { nameContains: query.name_contains }),
  };
}

// ---------------------------------------------------------------- destinations

const DestinationType = Type.Union([Type.Literal('HTTP'), Type.Literal('http')], {
  default: 'HTTP',
  description: 'Only HTTP on the inbound face',
  'x-error-message':
    'must be "HTTP": other destination types (webhook, aws_sqs, rabbitmq, …) come with event destinations (/v2/event-destinations)',
});

export const CreateDestinationBody = Type.Object(
  {
    name: Name('destination'),
    description: Type.Optional(Description),
    type: Type.Optional(DestinationType),
    config: HttpDestinationConfigInput,
  },
  { additionalProperties: false },
);
export type CreateDestinationBody = Static<typeof CreateDestinationBody>;

export const UpdateDestinationBody = Type.Object(
  {
    name: Type.Optional(Name('destination')),
    description: Type.Optional(Description),
    type: Type.Optional(DestinationType),
    config: Type.Optional(HttpDestinationConfigPatch),
  },
  { additionalProperties: false, description: 'Only the fields sent change; config fields are merged over the current config' },
);
export type UpdateDestinationBody = Static<typeof UpdateDestinationBody>;

export const DestinationModel = Type.Object({
  id: Type.String(),
  name: Type.String(),
  description: Nullable(Type.String()),
  team_id: Type.String(),
  type: Type.String(),
  config: HttpDestinationConfigModel,
  disabled_at: NullableIsoTime,
  created_at: IsoTime,
  updated_at: IsoTime,
});

export const DestinationsQuery = SourcesQuery;
export type DestinationsQuery = SourcesQuery;

// ---------------------------------------------------------------- connections

export const RULE_TYPES = ['retry', 'filter', 'delay', 'deduplicate'] as const;

/** The `type` of a rule, with the one message for every unknown type. */
function RuleType<T extends (typeof RULE_TYPES)[number]>(type: T) {
  return Type.Literal(type, {
    'x-error-message': `must be one of ${RULE_TYPES.join(', ')}; transform rules (user JavaScript) are not offered (docs/api.md, "Connection rules")`,
  });
}

export const RetryRuleInput = Type.Object(
  {
    type: RuleType('retry'),
    strategy: Literals(['linear', 'exponential']),
    interval: Type.Integer({ minimum: 1, maximum: 86_400_000, description: 'Milliseconds before the first retry (exponential: doubling)' }),
    count: Type.Integer({ minimum: 0, maximum: 100, description: 'Retries after the first attempt' }),
    response_status_codes: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 20 }), {
        maxItems: 50,
        description: 'Which response statuses are retried: "500-599", ">400", "!401", "429"; absent = every non-2xx',
      }),
    ),
  },
  { additionalProperties: false },
);

const FilterJson = (part: string) =>
  Type.Optional(
    Type.Unknown({
      description: `A filter matched against the request's ${part} (docs/api.md, "Connection rules"): partial structural JSON match with $eq $neq $gt $gte $lt $lte $in $nin $startsWith $endsWith $exist $and $or $not`,
    }),
  );

export const FilterRuleInput = Type.Object(
  {
    type: RuleType('filter'),
    headers: FilterJson('headers (names lower-case)'),
    body: FilterJson('body (parsed JSON, or the text when not JSON)'),
    query: FilterJson('query string (as an object; a repeated name is an array)'),
    path: FilterJson('path after /e/:id ("" when none)'),
  },
  { additionalProperties: false, description: 'Events only for requests matching every filter given; the others are recorded as ignored (cause FILTERED)' },
);

export const DelayRuleInput = Type.Object(
  {
    type: RuleType('delay'),
    delay: Type.Integer({ minimum: MIN_DELAY_MS, maximum: MAX_DELAY_MS, description: 'Milliseconds after the request is received that its event is first attempted (at most 24 h)' }),
  },
  { additionalProperties: false },
);

const DedupFields = (what: string) =>
  Type.Optional(
    Type.Array(Type.String({ pattern: DEDUP_FIELD_PATTERN.source, maxLength: 256, 'x-error-message': 'must be a field path: path, body, body.<key>…, headers.<name> or query.<name>' }), {
      minItems: 1,
      maxItems: MAX_DEDUP_FIELDS,
      description: what,
    }),
  );

export const DeduplicateRuleInput = Type.Object(
  {
    type: RuleType('deduplicate'),
    window: Type.Integer({ minimum: MIN_DEDUP_WINDOW_MS, maximum: MAX_DEDUP_WINDOW_MS, description: 'Milliseconds (1 s to 1 h) during which a repeat makes no event' }),
    include_fields: DedupFields('Requests are repeats when these fields are equal (body.order.id, headers.x-webhook-id, query.a, path)'),
    exclude_fields: DedupFields('Requests are repeats when their JSON bodies are equal but for these fields (body.sent_at)'),
  },
  { additionalProperties: false, description: 'Without fields, requests with byte-identical bodies are repeats' },
);

const Rules = Type.Array(Type.Union([RetryRuleInput, FilterRuleInput, DelayRuleInput, DeduplicateRuleInput]), {
  maxItems: 10,
  description: 'Connection rules; at most one of each type',
});

export const CreateConnectionBody = Type.Object(
  {
    name: Name('connection'),
    description: Type.Optional(Description),
    source_id: Type.String({ description: 'A source of this team' }),
    destination_id: Type.String({ description: 'A destination of this team' }),
    rules: Type.Optional(Rules),
  },
  { additionalProperties: false },
);
export type CreateConnectionBody = Static<typeof CreateConnectionBody>;

export const UpdateConnectionBody = Type.Object(
  { name: Type.Optional(Name('connection')), description: Type.Optional(Description), rules: Type.Optional(Rules) },
  {
    additionalProperties: false,
    description: 'Only the fields sent change. The source and destination cannot change: create another connection.',
  },
);
export type UpdateConnectionBody = Static<typeof UpdateConnectionBody>;

const RetryRuleModel = Type.Object({
  type: Type.Literal('retry'),
  strategy: Type.String(),
  interval: Type.Integer(),
  count: Type.Integer(),
  response_status_codes: Type.Optional(Type.Array(Type.String())),
});

const FilterRuleModel = Type.Object({
  type: Type.Literal('filter'),
  headers: Type.Optional(Type.Unknown()),
  body: Type.Optional(Type.Unknown()),
  query: Type.Optional(Type.Unknown()),
  path: Type.Optional(Type.Unknown()),
});

const DelayRuleModel = Type.Object({ type: Type.Literal('delay'), delay: Type.Integer() });

const DeduplicateRuleModel = Type.Object({
  type: Type.Literal('deduplicate'),
  window: Type.Integer(),
  include_fields: Type.Optional(Type.Array(Type.String())),
  exclude_fields: Type.Optional(Type.Array(Type.String())),
});

export const ConnectionModel = Type.Object({
  id: Type.String(),
  name: Type.String(),
  full_name: Type.String({ description: '"<source name> -> <connection name>"' }),
  description: Nullable(Type.String()),
  team_id: Type.String(),
  source: SourceModel,
  destination: DestinationModel,
  rules: Type.Array(Type.Union([RetryRuleModel, FilterRuleModel, DelayRuleModel, DeduplicateRuleModel])),
  paused_at: NullableIsoTime,
  disabled_at: NullableIsoTime,
  created_at: IsoTime,
  updated_at: IsoTime,
});

export const ConnectionsQuery = Type.Object(
  {
    ...managementListQueryProperties,
    name: Type.Optional(Type.String({ description: 'Exact name' })),
    source_id: Type.Optional(Type.String()),
    destination_id: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
export type ConnectionsQuery = Static<typeof ConnectionsQuery>;

// ---------------------------------------------------------------- events, requests, attempts (seed 003)

const eventProperties = {
  id: Type.String(),
  team_id: Type.String(),
  webhook_id: Type.String({ description: 'The connection (web_) the event goes through' }),
  source_id: Type.String(),
  destination_id: Type.String(),
  request_id: Type.String(),
  duplicate_event_id: Nullable(Type.String()),
  status: Type.String({ description: 'SCHEDULED, QUEUED, HOLD, SUCCESSFUL, FAILED or CANCELLED' }),
  attempts: Type.Integer({ description: 'Attempts made so far' }),
  response_status: Nullable(Type.Integer(), { description: 'Status of the last response' }),
  error_code: Nullable(Type.String(), { description: 'Why the last attempt got no response (TIMEOUT, CONNECTION_REFUSED, …)' }),
  last_attempt_at: NullableIsoTime,
  next_attempt_at: NullableIsoTime,
  successful_at: NullableIsoTime,
  updated_at: IsoTime,
  created_at: IsoTime,
};

export const EventModel = Type.Object(eventProperties);

const bodyProperties = {
  body: Type.Unknown({
    description:
      'The body: parsed JSON when it was JSON, else the text when it is UTF-8, else base64 (then body_encoding is "base64"); null when empty',
  }),
  body_encoding: Type.Optional(Type.Literal('base64', { description: 'Present only when body is base64 (binary bodies)' })),
};

export const EventWithRequestModel = Type.Object({
  ...eventProperties,
  request: Type.Object({
    headers: Type.Record(Type.String(), Type.String(), { description: 'The original request headers (names lower-cased)' }),
    ...bodyProperties,
  }),
});

export const EventsQuery = Type.Object(
  {
    ...seedListQueryProperties,
    status: Type.Optional(MultiValue),
    source_id: Type.Optional(Type.String()),
    destination_id: Type.Optional(Type.String()),
    webhook_id: Type.Optional(Type.String({ description: 'Connection id' })),
    request_id: Type.Optional(Type.String()),
    response_status: Type.Optional(MultiValue),
    error_code: Type.Optional(MultiValue),
    q: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 256,
        description:
          'Text the request body must contain: exact bytes (UTF-8), case-sensitive. Searches the newest 50,000 events matching the other filters; when older ones were left out, the answer has the header x-sluice-search-from (the creation time of the oldest event searched): narrow the time range to search further back',
      }),
    ),
  },
  { additionalProperties: false },
);
export type EventsQuery = Static<typeof EventsQuery>;

const requestListProperties = {
  id: Type.String(),
  team_id: Type.String(),
  source_id: Type.String(),
  method: Type.String(),
  path: Type.String({ description: 'The path after /e/:id ("" when none)' }),
  query: Type.String({ description: 'The raw query string, without "?"' }),
  rejection_cause: Nullable(Type.String(), { description: 'Why no event was created (SOURCE_DISABLED, NO_CONNECTION, …), or null' }),
  event_ids: Type.Array(Type.String()),
  events_count: Type.Integer(),
  ignored_count: Type.Integer({ description: 'Connections that made no event for the request (Hookdeck: ignored events)' }),
  ignored: Type.Array(
    Type.Object({
      webhook_id: Type.String({ description: 'The connection' }),
      cause: Type.String({ description: 'FILTERED: its filter rule did not match the request. DEDUPLICATED: its deduplicate rule found a repeat within the window' }),
      duplicate_event_id: Type.Optional(Type.String({ description: 'DEDUPLICATED: the event of the request this one repeats' })),
    }),
  ),
  created_at: IsoTime,
};

/** A request in a list: without headers and body, which can be large; GET /requests/:id has them. */
export const RequestListModel = Type.Object(requestListProperties);

export const RequestModel = Type.Object({
  ...requestListProperties,
  headers: Type.Record(Type.String(), Type.String()),
  ...bodyProperties,
});

export const RequestsQuery = Type.Object(
  { ...seedListQueryProperties, source_id: Type.Optional(Type.String()), rejection_cause: Type.Optional(MultiValue) },
  { additionalProperties: false },
);
export type RequestsQuery = Static<typeof RequestsQuery>;

export const AttemptModel = Type.Object({
  id: Type.String(),
  team_id: Type.String(),
  event_id: Type.String(),
  destination_id: Type.String(),
  attempt_number: Type.Integer(),
  trigger: Type.String({ description: 'INITIAL, AUTOMATIC, MANUAL or UNPAUSE' }),
  status: Type.String({ description: 'SUCCESSFUL or FAILED' }),
  response_status: Nullable(Type.Integer()),
  error_code: Nullable(Type.String()),
  body: Type.Unknown({ description: 'The response body (capped): parsed when it is JSON, else text; null when none' }),
  requested_url: Type.String(),
  http_method: Type.String(),
  delivery_latency: Nullable(Type.Integer(), { description: 'Milliseconds from due to response' }),
  response_latency: Nullable(Type.Integer(), { description: 'Milliseconds from request sent to response' }),
  successful_at: NullableIsoTime,
  updated_at: IsoTime,
  created_at: IsoTime,
});

export const AttemptsQuery = Type.Object(
  { ...seedPageQueryProperties, event_id: Type.Optional(Type.String()) },
  { additionalProperties: false },
);
export type AttemptsQuery = Static<typeof AttemptsQuery>;
