-- 001: the inbound gateway core. Times are INTEGER milliseconds since the epoch; ids are time-sortable text.
CREATE TABLE teams (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  signing_secret TEXT NOT NULL,           -- encrypted (secretBox), bound to the team id
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
) STRICT;

CREATE TABLE api_keys (
  id TEXT PRIMARY KEY,
  team_id TEXT NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
  hash TEXT NOT NULL UNIQUE,
  hint TEXT NOT NULL,
  created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX api_keys_team ON api_keys(team_id);

CREATE TABLE sources (
  id TEXT PRIMARY KEY,
  team_id TEXT NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  description TEXT,
  config TEXT NOT NULL,                   -- JSON SourceConfig
  disabled_at INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  UNIQUE (team_id, name)
) STRICT;

CREATE TABLE destinations (
  id TEXT PRIMARY KEY,
  team_id TEXT NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  description TEXT,
  type TEXT NOT NULL,
  config TEXT NOT NULL,                   -- JSON, per type
  concurrency INTEGER,                    -- from config rate_limit (period concurrent); NULL = gateway default
  disabled_at INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  UNIQUE (team_id, name)
) STRICT;

CREATE TABLE connections (
  id TEXT PRIMARY KEY,
  team_id TEXT NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  description TEXT,
  source_id TEXT NOT NULL REFERENCES sources(id),
  destination_id TEXT NOT NULL REFERENCES destinations(id),
  rules TEXT NOT NULL,                    -- JSON Rule[]
  paused_at INTEGER,
  disabled_at INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  UNIQUE (team_id, source_id, name)
) STRICT;
CREATE INDEX connections_source ON connections(source_id);
CREATE INDEX connections_destination ON connections(destination_id);

-- The message of the inbound face. Immutable once written.
CREATE TABLE requests (
  id TEXT PRIMARY KEY,
  team_id TEXT NOT NULL,
  source_id TEXT NOT NULL,
  method TEXT NOT NULL,
  path TEXT NOT NULL,
  query TEXT NOT NULL,
  headers TEXT NOT NULL,                  -- JSON object
  body BLOB NOT NULL,                     -- raw bytes as received
  body_is_json INTEGER NOT NULL,
  rejection_cause TEXT,
  event_ids TEXT NOT NULL,                -- JSON array
  created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX requests_team ON requests(team_id, id);
CREATE INDEX requests_source ON requests(source_id, id);

-- The delivery of the inbound face, and the dispatcher's queue (a transactional outbox).
CREATE TABLE events (
  id TEXT PRIMARY KEY,
  team_id TEXT NOT NULL,
  request_id TEXT NOT NULL,
  connection_id TEXT NOT NULL,
  source_id TEXT NOT NULL,
  destination_id TEXT NOT NULL,
  duplicate_event_id TEXT,
  status TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  response_status INTEGER,
  error_code TEXT,
  last_attempt_at INTEGER,
  next_attempt_at INTEGER,
  successful_at INTEGER,
  -- Queue columns. due_at is set exactly while the event waits to be claimed or is leased: a claim moves it to
  -- the lease's end, so an attempt lost in a crash is due again when the lease runs out. NULL = nothing to do.
  due_at INTEGER,
  lease_token TEXT,
  next_trigger TEXT NOT NULL DEFAULT 'INITIAL',
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
) STRICT;
CREATE INDEX events_due ON events(due_at, destination_id) WHERE due_at IS NOT NULL;
CREATE INDEX events_team ON events(team_id, id);
CREATE INDEX events_team_status ON events(team_id, status, id);
CREATE INDEX events_connection ON events(connection_id, status);
CREATE INDEX events_destination ON events(destination_id, status);
CREATE INDEX events_request ON events(request_id);

CREATE TABLE attempts (
  id TEXT PRIMARY KEY,
  team_id TEXT NOT NULL,
  event_id TEXT NOT NULL,
  destination_id TEXT NOT NULL,
  attempt_number INTEGER NOT NULL,
  trigger TEXT NOT NULL,
  status TEXT NOT NULL,
  response_status INTEGER,
  error_code TEXT,
  body TEXT,
  requested_url TEXT NOT NULL,
  http_method TEXT NOT NULL,
  delivery_latency INTEGER,
  response_latency INTEGER,
  successful_at INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
) STRICT;
CREATE INDEX attempts_event ON attempts(event_id, id);
CREATE INDEX attempts_team ON attempts(team_id, id);
