-- 012: events_destination (destination_id, status) is dropped. Every attempt's record changes an event's status,
-- so each status index costs a delete and an insert per attempt (and its pages in the commit); this one served
-- only holding and releasing a destination's events, which now read events_destination_due (pending events are
-- exactly those with a due time) and events_connection (held events of the destination's active connections).
-- Lists and counts by destination already walk events_destination_id. Measured with bench/sqliteCycle.ts under
-- callgrind: -4 % instructions and -4 of 38 WAL pages per claim + record.
DROP INDEX events_destination;
