-- 006 (PostgreSQL only; 005 belongs to another change): requests, events and attempts become tables partitioned by
-- RANGE of their id. Ids begin with their kind's prefix and then their creation time (src/domain/ids.ts), so a
-- range of ids of one prefix is a range of creation times: a partition holds one prefix's rows of one week
-- (partitions.ts creates them ahead of time; retention drops them whole). Partitioning on the id, not created_at,
-- keeps the primary key `id` (a partitioned table's unique indexes must contain the partition key), so an id stays
-- unique, and every lookup by id prunes to one partition (docs/postgres.md, "Time partitions").
--
-- Each table is rebuilt: renamed aside, recreated partitioned, its rows copied by explicit column lists (the
-- columns of 001 and 003; nothing else is assumed), the old table dropped, then the primary key and indexes
-- built on the parent (PostgreSQL builds them per partition). Everything written so far goes into one partition
-- per prefix covering all time up to the end of the current week: retention drops it once that week is past the
-- window, and deletes its expired rows meanwhile, as before. Ids outside every range (malformed, far future) go to
-- the DEFAULT partition, so no insert ever fails for want of a partition.
--
-- The one unique index that did not contain the id, requests_external_id (a team's published event ids), moves
-- to a table of its own, published_event_ids, unpartitioned, which two concurrent publishes of one id still meet on.

-- Base-36 creation time of an id, as encodeTime() in src/domain/ids.ts: 9 characters, zero-padded.
CREATE FUNCTION sluice_id_time(ms bigint) RETURNS text LANGUAGE plpgsql IMMUTABLE STRICT AS $$
DECLARE
  digits constant text := '0123456789abcdefghijklmnopqrstuvwxyz';
  n bigint := ms;
  out text := '';
BEGIN
  LOOP
    out := substr(digits, (n % 36)::int + 1, 1) || out;
    n := n / 36;
    EXIT WHEN n = 0;
  END LOOP;
  RETURN lpad(out, 9, '0');
END $$;

ALTER TABLE requests RENAME TO requests_before_006;
ALTER TABLE events RENAME TO events_before_006;
ALTER TABLE attempts RENAME TO attempts_before_006;

CREATE TABLE requests (
  id text COLLATE "C" NOT NULL,
  team_id text COLLATE "C" NOT NULL,
  source_id text COLLATE "C" NOT NULL,
  method text NOT NULL,
  path text NOT NULL,
  query text NOT NULL,
  headers text NOT NULL,
  body bytea NOT NULL,
  body_is_json boolean NOT NULL,
  rejection_cause text,
  event_ids text NOT NULL,
  created_at bigint NOT NULL,
  kind text NOT NULL DEFAULT 'request',
  event_type text,
  external_id text,
  origin text
) PARTITION BY RANGE (id);

CREATE TABLE events (
  id text COLLATE "C" NOT NULL,
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
  due_at bigint,
  lease_token text,
  next_trigger text NOT NULL DEFAULT 'INITIAL',
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL
) PARTITION BY RANGE (id);

CREATE TABLE attempts (
  id text COLLATE "C" NOT NULL,
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
) PARTITION BY RANGE (id);

-- One partition per prefix from the beginning of time to the end of the current week (weeks start on Monday
-- 00:00 UTC, as in partitionPlan.ts), and the DEFAULT partitions.
DO $$
DECLARE
  week constant bigint := 604800000;
  monday constant bigint := 345600000; -- 1970-01-05, the first Monday after the epoch
  now_ms bigint := (extract(epoch FROM clock_timestamp()) * 1000)::bigint;
  week_end bigint := ((now_ms - monday) / week + 1) * week + monday;
  part record;
BEGIN
  FOR part IN SELECT * FROM (VALUES ('requests', 'req'), ('requests', 'evt'), ('events', 'evt'), ('events', 'dlv'),
                                    ('attempts', 'att'), ('attempts', 'dla')) AS v(tbl, prefix) LOOP
    EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES FROM (%L) TO (%L)',
      part.tbl || '_' || part.prefix || '_until_' || to_char(to_timestamp(week_end / 1000) AT TIME ZONE 'UTC', 'YYYYMMDD'),
      part.tbl, part.prefix || '_', part.prefix || '_' || sluice_id_time(week_end));
  END LOOP;
END $$;
CREATE TABLE requests_default PARTITION OF requests DEFAULT;
CREATE TABLE events_default PARTITION OF events DEFAULT;
CREATE TABLE attempts_default PARTITION OF attempts DEFAULT;

INSERT INTO requests (id, team_id, source_id, method, path, query, headers, body, body_is_json, rejection_cause, event_ids,
                      created_at, kind, event_type, external_id, origin)
  SELECT id, team_id, source_id, method, path, query, headers, body, body_is_json, rejection_cause, event_ids,
         created_at, kind, event_type, external_id, origin
  FROM requests_before_006;
INSERT INTO events (id, team_id, request_id, connection_id, source_id, destination_id, duplicate_event_id, status, attempts,
                    response_status, error_code, last_attempt_at, next_attempt_at, successful_at, due_at, lease_token,
                    next_trigger, created_at, updated_at)
  SELECT id, team_id, request_id, connection_id, source_id, destination_id, duplicate_event_id, status, attempts,
         response_status, error_code, last_attempt_at, next_attempt_at, successful_at, due_at, lease_token,
         next_trigger, created_at, updated_at
  FROM events_before_006;
INSERT INTO attempts (id, team_id, event_id, destination_id, attempt_number, trigger, status, response_status, error_code, body,
                      requested_url, http_method, delivery_latency, response_latency, successful_at, created_at, updated_at)
  SELECT id, team_id, event_id, destination_id, attempt_number, trigger, status, response_status, error_code, body,
         requested_url, http_method, delivery_latency, response_latency, successful_at, created_at, updated_at
  FROM attempts_before_006;

-- A team's published event ids (the API's event id: the publisher's own, else the generated one), unique per team.
CREATE TABLE published_event_ids (
  team_id text COLLATE "C" NOT NULL,
  external_id text NOT NULL,
  request_id text COLLATE "C" NOT NULL,   -- the evt_ message row in requests
  PRIMARY KEY (team_id, external_id)
);
-- Retention deletes a message's entry with it (by message id, or a range of them when a partition is dropped).
CREATE INDEX published_event_ids_request ON published_event_ids(request_id);
INSERT INTO published_event_ids (team_id, external_id, request_id)
  SELECT team_id, external_id, id FROM requests_before_006 WHERE external_id IS NOT NULL;

DROP TABLE requests_before_006;
DROP TABLE events_before_006;
DROP TABLE attempts_before_006;

-- The indexes of 001–003 under their names, on the parents (each partition gets its own).
ALTER TABLE requests ADD PRIMARY KEY (id);
CREATE INDEX requests_team ON requests(team_id, id);
CREATE INDEX requests_source ON requests(source_id, id);

ALTER TABLE events ADD PRIMARY KEY (id);
CREATE INDEX events_destination_due ON events(destination_id, due_at) WHERE due_at IS NOT NULL;
CREATE INDEX events_leased ON events(destination_id, due_at) WHERE lease_token IS NOT NULL;
CREATE INDEX events_held ON events(connection_id) WHERE status = 'HOLD';
CREATE INDEX events_team ON events(team_id, id);
CREATE INDEX events_team_status ON events(team_id, status, id);
CREATE INDEX events_source ON events(source_id, id);
CREATE INDEX events_destination ON events(destination_id, id);
CREATE INDEX events_connection ON events(connection_id, id);
CREATE INDEX events_request ON events(request_id);

ALTER TABLE attempts ADD PRIMARY KEY (id);
CREATE INDEX attempts_event ON attempts(event_id, id);
CREATE INDEX attempts_team ON attempts(team_id, id);
