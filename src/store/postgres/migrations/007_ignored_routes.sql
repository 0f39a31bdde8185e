-- 007 (as SQLite's 007): the connections a request made no event on, and why (connection rules: a filter that
-- did not match gives cause FILTERED). JSON array of {connection_id, cause}; NULL = none. Adding a nullable
-- column without a default touches no row, on the partitioned table as on each partition.
ALTER TABLE requests ADD COLUMN ignored text;
