-- 008 (007 belongs to another change): an event destination's own attempt timeout in ms (NULL = the gateway's
-- SLUICE_DEFAULT_TIMEOUT_MS), as an inbound destination has `config.timeout`. The dispatcher reads it through
-- the destination's engine config, as it does for inbound destinations.
ALTER TABLE destinations ADD COLUMN timeout_ms integer;
