-- strata:no-transaction
CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_customer_idx ON orders (customer_id);
CREATE UNIQUE INDEX CONCURRENTLY orders_ref_key ON orders (reference) WHERE reference IS NOT NULL;
DROP INDEX CONCURRENTLY IF EXISTS orders_old_idx;
REINDEX INDEX CONCURRENTLY orders_customer_idx;
REINDEX (VERBOSE) TABLE orders;
CREATE INDEX orders_plain_idx ON orders (created_at);
