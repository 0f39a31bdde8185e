-- 007 (as SQLite's 007): connection rules. requests.ignored: the connections a request made no event on, and
-- why (FILTERED: their filter did not match; DEDUPLICATED: a repeat within their window). JSON array of
-- {connection_id, cause, duplicate_of?}; NULL = none.
-- Adding a nullable column without a default touches no row, on the partitioned table as on each partition.
ALTER TABLE requests ADD COLUMN ignored text;

-- Deduplicate rules: the key of the last request each connection made an event for, live until expires_at. A
-- request whose key is live makes no event (cause DEDUPLICATED, `event_id` = the event it repeats). Concurrent
-- duplicates meet on the primary key (INSERT … ON CONFLICT waits for the first to commit). Expired rows are
-- overwritten by the next request with that key, or deleted a few at a time by ingest.
CREATE TABLE dedup_keys (
  connection_id text COLLATE "C" NOT NULL,
  key text COLLATE "C" NOT NULL,          -- SHA-256 hex (domain/dedupKey.ts)
  event_id text COLLATE "C" NOT NULL,
  expires_at bigint NOT NULL,
  PRIMARY KEY (connection_id, key)
);
CREATE INDEX dedup_keys_expiry ON dedup_keys(expires_at);
