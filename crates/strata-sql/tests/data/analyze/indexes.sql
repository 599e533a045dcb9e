-- CREATE INDEX: SHARE, no scan flag; columns, expressions, INCLUDE and the predicate.
CREATE INDEX orders_user_idx ON app.orders (user_id, lower(email)) INCLUDE (total) WHERE deleted_at IS NULL;

-- Unique and concurrent: SHARE UPDATE EXCLUSIVE, scans; btree is not named as a method.
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS u ON t USING btree (a);

-- An unnamed index has an empty name; another method is named.
CREATE INDEX ON t USING gin (doc);

-- ON ONLY a partitioned table.
CREATE INDEX parent_idx ON ONLY events (at);

-- DROP INDEX takes ACCESS EXCLUSIVE, one effect per index.
DROP INDEX IF EXISTS a, s.b;

-- DROP INDEX CONCURRENTLY takes SHARE UPDATE EXCLUSIVE.
DROP INDEX CONCURRENTLY a;

-- ALTER INDEX ... RENAME and SET take SHARE UPDATE EXCLUSIVE.
ALTER INDEX a RENAME TO b;
ALTER INDEX a SET (fillfactor = 90);
