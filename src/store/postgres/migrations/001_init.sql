-- 001: the inbound gateway core, as SQLite's 001. Times are bigint milliseconds since the epoch (read back as
-- numbers, exactly as the port gives them). Ids are time-sortable ASCII text compared under COLLATE "C" (byte
-- order), so ORDER BY id is creation order and an id is a cursor, whatever the database's default collation.
-- JSON the API only echoes (configs, rules, headers) is kept as text, byte for byte and with its key order.
CREATE TABLE teams (
  id text COLLATE "C" PRIMARY KEY,
  name text NOT NULL,
  signing_secret text NOT NULL,           -- encrypted (secretBox), bound to the team id
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL
);

CREATE TABLE api_keys (
  id text COLLATE "C" PRIMARY KEY,
  team_id text COLLATE "C" NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
  hash text NOT NULL UNIQUE,
  hint text NOT NULL,
  created_at bigint NOT NULL
);
CREATE INDEX api_keys_team ON api_keys(team_id, id);

CREATE TABLE sources (
  id text COLLATE "C" PRIMARY KEY,
  team_id text COLLATE "C" NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
  name text NOT NULL,
  description text,
  config text NOT NULL,                   -- JSON SourceConfig
  disabled_at bigint,
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL,
  UNIQUE (team_id, name)
);
CREATE INDEX sources_team ON sources(team_id, id);

CREATE TABLE destinations (
  id text COLLATE "C" PRIMARY KEY,
  team_id text COLLATE "C" NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
  name text NOT NULL,
  description text,
  type text NOT NULL,
  config text NOT NULL,                   -- JSON, per type
  concurrency integer,                    -- from config rate_limit (period concurrent); NULL = gateway default
  disabled_at bigint,
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL,
  UNIQUE (team_id, name)
);
CREATE INDEX destinations_team ON destinations(team_id, id);

CREATE TABLE connections (
  id text COLLATE "C" PRIMARY KEY,
  team_id text COLLATE "C" NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
  name text NOT NULL,
  description text,
  source_id text COLLATE "C" NOT NULL REFERENCES sources(id),
  destination_id text COLLATE "C" NOT NULL REFERENCES destinations(id),
  rules text NOT NULL,                    -- JSON Rule[]
  paused_at bigint,
  disabled_at bigint,
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL,
  UNIQUE (team_id, source_id, name)
);
CREATE INDEX connections_team ON connections(team_id, id);
CREATE INDEX connections_source ON connections(source_id, id);
CREATE INDEX connections_destination ON connections(destination_id, id);

-- The message of the inbound face. Immutable once written.
CREATE TABLE requests (
  id text COLLATE "C" PRIMARY KEY,
  team_id text COLLATE "C" NOT NULL,
  source_id text COLLATE "C" NOT NULL,
  method text NOT NULL,
  path text NOT NULL,
  query text NOT NULL,
  headers text NOT NULL,                  -- JSON object, as received (key order kept)
  body bytea NOT NULL,                    -- raw bytes as received
  body_is_json boolean NOT NULL,
  rejection_cause text,
  event_ids text NOT NULL,                -- JSON array
  created_at bigint NOT NULL
);
CREATE INDEX requests_team ON requests(team_id, id);
CREATE INDEX requests_source ON requests(source_id, id);

-- The delivery of the inbound face, and the dispatcher's queue (a transactional outbox).
CREATE TABLE events (
  id text COLLATE "C" PRIMARY KEY,
  team_id text COLLATE "C" NOT NULL,
  request_id text COLLATE "C" NOT NULL,
  connection_id text COLLATE "C" NOT NULL,
  source_id text COLLATE "C" NOT NULL,
  destination_id text COLLATE "C" NOT NULL,
  duplicate_event_id text COLLATE "C",
  status text NOT NULL,
  attempts integer NOT NULL DEFAULT 0,
  response_status integer,
  error_code text,
  last_attempt_at bigint,
  next_attempt_at bigint,
  successful_at bigint,
  -- Queue columns. due_at is set exactly while the event waits to be claimed or is leased: a claim moves it to
  -- the lease's end, so an attempt lost in a crash is due again when the lease runs out. NULL = nothing to do.
  due_at bigint,
  lease_token text,
  next_trigger text NOT NULL DEFAULT 'INITIAL',
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL
);
-- The queue is read through events_destination_due (002) alone. Unlike SQLite there is deliberately no index on
-- due_at by itself: with one, the planner may read a single destination's due events by walking every
-- destination's in due order (a good guess while the queue is even, a full walk when one destination has a big
-- backlog). nextDueAt takes the minimum of the destinations' heads instead (claim.ts).
-- Live leases per destination: the claim counts them to hold each destination's cap across processes. Small:
-- only events in flight are in it.
CREATE INDEX events_leased ON events(destination_id, due_at) WHERE lease_token IS NOT NULL;
-- Held events, found again when their connection or destination is released. Small: only HOLD events.
CREATE INDEX events_held ON events(connection_id) WHERE status = 'HOLD';
-- The Events API: every list is ordered by id within a team, and filtered by one of these.
CREATE INDEX events_team ON events(team_id, id);
CREATE INDEX events_team_status ON events(team_id, status, id);
CREATE INDEX events_source ON events(source_id, id);
CREATE INDEX events_destination ON events(destination_id, id);
CREATE INDEX events_connection ON events(connection_id, id);
CREATE INDEX events_request ON events(request_id);

CREATE TABLE attempts (
  id text COLLATE "C" PRIMARY KEY,
  team_id text COLLATE "C" NOT NULL,
  event_id text COLLATE "C" NOT NULL,
  destination_id text COLLATE "C" NOT NULL,
  attempt_number integer NOT NULL,
  trigger text NOT NULL,
  status text NOT NULL,
  response_status integer,
  error_code text,
  body text,
  requested_url text NOT NULL,
  http_method text NOT NULL,
  delivery_latency bigint,
  response_latency bigint,
  successful_at bigint,
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL
);
CREATE INDEX attempts_event ON attempts(event_id, id);
CREATE INDEX attempts_team ON attempts(team_id, id);
