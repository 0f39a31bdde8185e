-- 007 (as PostgreSQL's 007): the connections a request made no event on, and why (connection rules: a filter that
-- did not match gives cause FILTERED). JSON array of {connection_id, cause}; NULL = none.
ALTER TABLE requests ADD COLUMN ignored TEXT;
