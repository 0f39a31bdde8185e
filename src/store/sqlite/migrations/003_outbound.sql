-- 003: the outbound face (seed 000) on the same tables. A published event is a message (requests, kind 'event')
-- from the team's implicit platform source (sources, kind 'platform'); an event destination is a destination
-- (kind 'event_destination') with a type from the catalog, sealed credentials and a subscription; its route is an
-- implicit connection (kind 'subscription'); each delivery is an events row (id prefix dlv_). The inbound face's
-- rows keep the defaults, so nothing they do changes.

ALTER TABLE sources ADD COLUMN kind TEXT NOT NULL DEFAULT 'source';          -- 'source' | 'platform'
-- One platform source per team, created on first use.
CREATE UNIQUE INDEX sources_platform ON sources(team_id) WHERE kind = 'platform';

ALTER TABLE destinations ADD COLUMN kind TEXT NOT NULL DEFAULT 'destination'; -- 'destination' | 'event_destination'
-- The user's name of an event destination. Event destinations store an internal unique token in `name`, so
-- their names neither collide with the inbound face's nor need to be unique (as in Deck and Outpost).
ALTER TABLE destinations ADD COLUMN display_name TEXT;
ALTER TABLE destinations ADD COLUMN credentials TEXT;                          -- secretBox(JSON), bound to team + id
ALTER TABLE destinations ADD COLUMN subscription TEXT;                         -- JSON array of event patterns
-- Attempts in a row that failed; reset by a success and by enabling. Auto-disable compares it with the limit.
ALTER TABLE destinations ADD COLUMN consecutive_failures INTEGER NOT NULL DEFAULT 0;
CREATE INDEX destinations_team_kind ON destinations(team_id, kind, id);

ALTER TABLE connections ADD COLUMN kind TEXT NOT NULL DEFAULT 'connection';    -- 'connection' | 'subscription'

ALTER TABLE requests ADD COLUMN kind TEXT NOT NULL DEFAULT 'request';          -- 'request' | 'event'
ALTER TABLE requests ADD COLUMN event_type TEXT;                               -- published events: object.action
-- The event id the API shows (the publisher's own `id`, else the generated evt_ id): ids are per team.
ALTER TABLE requests ADD COLUMN external_id TEXT;
-- Who published it: 'api' (POST /v2/events) or 'sluice' (operator events such as destination.disabled).
ALTER TABLE requests ADD COLUMN origin TEXT;
CREATE UNIQUE INDEX requests_external_id ON requests(team_id, external_id) WHERE external_id IS NOT NULL;

-- Idempotency-Key of the /v2 API: the first successful answer to a key is replayed for 24 h. `status` is NULL
-- while the first request is still running (a concurrent repeat is refused rather than run twice).
CREATE TABLE idempotency_keys (
  team_id TEXT NOT NULL,
  key TEXT NOT NULL,
  fingerprint TEXT NOT NULL,              -- SHA-256 of method, path and body
  status INTEGER,
  response TEXT,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (team_id, key)
) STRICT;
CREATE INDEX idempotency_keys_created ON idempotency_keys(created_at);

-- An event destination's deliveries in id order (its delivery log). Partial: inbound events (evt_) never pay for it.
CREATE INDEX events_deliveries ON events(destination_id, id) WHERE id >= 'dlv_' AND id < 'dlv`';
