-- 003 (as SQLite's 003): the outbound face (seed 000) on the same tables. A published event is a message
-- (requests, kind 'event') from the team's implicit platform source (sources, kind 'platform'); an event
-- destination is a destination (kind 'event_destination') with a type from the catalog, sealed credentials and a
-- subscription; its route is an implicit connection (kind 'subscription'); each delivery is an events row (id
-- prefix dlv_), each of its attempts an attempts row (dla_). The inbound face's rows keep the defaults.
-- ADD COLUMN with a constant default is a catalog change in PostgreSQL (no table rewrite), even on big tables.

ALTER TABLE sources ADD COLUMN kind text NOT NULL DEFAULT 'source';          -- 'source' | 'platform'
-- One platform source per team, created on first use (concurrent first uses meet on this index).
CREATE UNIQUE INDEX sources_platform ON sources(team_id) WHERE kind = 'platform';

ALTER TABLE destinations ADD COLUMN kind text NOT NULL DEFAULT 'destination'; -- 'destination' | 'event_destination'
-- The user's name of an event destination; `name` holds an internal unique token for these rows.
ALTER TABLE destinations ADD COLUMN display_name text;
ALTER TABLE destinations ADD COLUMN credentials text;                         -- secretBox(JSON), bound to team + id
ALTER TABLE destinations ADD COLUMN subscription text;                        -- JSON array of event patterns (matched in code)
-- Attempts in a row that failed; reset by a success and by enabling. Auto-disable compares it with the limit.
ALTER TABLE destinations ADD COLUMN consecutive_failures integer NOT NULL DEFAULT 0;
CREATE INDEX destinations_team_kind ON destinations(team_id, kind, id);

ALTER TABLE connections ADD COLUMN kind text NOT NULL DEFAULT 'connection';   -- 'connection' | 'subscription'

ALTER TABLE requests ADD COLUMN kind text NOT NULL DEFAULT 'request';         -- 'request' | 'event'
ALTER TABLE requests ADD COLUMN event_type text;                              -- published events: object.action
-- The event id the API shows (the publisher's own `id`, else the generated evt_ id): unique per team.
ALTER TABLE requests ADD COLUMN external_id text;
-- Who published it: 'api' (POST /v2/events) or 'sluice' (operator events such as destination.disabled).
ALTER TABLE requests ADD COLUMN origin text;
CREATE UNIQUE INDEX requests_external_id ON requests(team_id, external_id) WHERE external_id IS NOT NULL;

-- Idempotency-Key of the /v2 API: the first successful answer to a key is replayed for 24 h. `status` is NULL
-- while the first request is still running (a concurrent repeat is refused rather than run twice).
CREATE TABLE idempotency_keys (
  team_id text COLLATE "C" NOT NULL,
  key text NOT NULL,
  fingerprint text NOT NULL,              -- SHA-256 of method, path and body
  status integer,
  response text,
  created_at bigint NOT NULL,
  PRIMARY KEY (team_id, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys(created_at);

-- An event destination's delivery log (dlv_ ids of one destination, in id order) is served by events_destination
-- (destination_id, id) from 001: no partial index is needed here, unlike SQLite's events_deliveries.
