-- 007 (as PostgreSQL's 007): connection rules. requests.ignored: the connections a request made no event on, and
-- why (FILTERED: their filter did not match; DEDUPLICATED: a repeat within their window). JSON array of
-- {connection_id, cause, duplicate_of?}; NULL = none.
ALTER TABLE requests ADD COLUMN ignored TEXT;

-- Deduplicate rules: the key of the last request each connection made an event for, live until expires_at. A
-- request whose key is live makes no event (cause DEDUPLICATED, `event_id` = the event it repeats). Expired rows
-- are overwritten by the next request with that key, or deleted a few at a time by ingest.
CREATE TABLE dedup_keys (
  connection_id TEXT NOT NULL,
  key TEXT NOT NULL,                      -- SHA-256 hex (domain/dedupKey.ts)
  event_id TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (connection_id, key)
) STRICT, WITHOUT ROWID;
CREATE INDEX dedup_keys_expiry ON dedup_keys(expires_at);
