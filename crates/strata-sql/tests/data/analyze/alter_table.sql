-- ADD COLUMN without a default: no rewrite, no scan; IF NOT EXISTS is kept.
ALTER TABLE users ADD COLUMN IF NOT EXISTS bio text;

-- A constant default spares the rewrite, and NOT NULL with it the scan.
ALTER TABLE users ADD COLUMN active boolean NOT NULL DEFAULT true;

-- Stable defaults (now(), CURRENT_TIMESTAMP) are computed once: no rewrite.
ALTER TABLE users ADD COLUMN seen timestamptz DEFAULT now();
ALTER TABLE users ADD COLUMN seen timestamptz DEFAULT CURRENT_TIMESTAMP;

-- Volatile defaults are computed per row: each of these rewrites.
ALTER TABLE users ADD COLUMN x uuid DEFAULT gen_random_uuid();
ALTER TABLE users ADD COLUMN x uuid DEFAULT extensions.uuid_generate_v4();
ALTER TABLE users ADD COLUMN x uuid DEFAULT random();
ALTER TABLE users ADD COLUMN x uuid DEFAULT clock_timestamp();
ALTER TABLE users ADD COLUMN x uuid DEFAULT timeofday()::timestamptz;
ALTER TABLE users ADD COLUMN x uuid DEFAULT nextval('s');
ALTER TABLE users ADD COLUMN x uuid DEFAULT (random() * 10)::int;

-- A function not known here may be volatile: it rewrites, volatility unknown.
ALTER TABLE users ADD COLUMN x int DEFAULT my_fn();

-- serial, identity and stored generated columns fill every row: rewrites.
ALTER TABLE users ADD COLUMN n bigserial;
ALTER TABLE users ADD COLUMN n int GENERATED ALWAYS AS IDENTITY;
ALTER TABLE users ADD COLUMN n int GENERATED ALWAYS AS (a + 1) STORED;

-- NOT NULL without a default scans the existing rows, without a rewrite.
ALTER TABLE users ADD COLUMN n int NOT NULL;

-- Constraints written in added columns: a foreign key (SHARE ROW EXCLUSIVE on both
-- tables, scanning) and a unique constraint, each after its column.
ALTER TABLE posts ADD COLUMN author_id bigint REFERENCES users (id), ADD COLUMN slug text UNIQUE;

-- The table holds ACCESS EXCLUSIVE, the referenced one SHARE ROW EXCLUSIVE.
ALTER TABLE posts ADD COLUMN author_id bigint REFERENCES users (id);

-- ALTER COLUMN subcommands: each a column of t, with its lock, rewrite and scan.
ALTER TABLE t ALTER COLUMN c TYPE bigint;
ALTER TABLE t ALTER COLUMN c SET DEFAULT 0;
ALTER TABLE t ALTER COLUMN c DROP DEFAULT;
ALTER TABLE t ALTER COLUMN c SET NOT NULL;
ALTER TABLE t ALTER COLUMN c DROP NOT NULL;
ALTER TABLE t ALTER COLUMN c SET STATISTICS 500;
ALTER TABLE t ALTER COLUMN c SET (n_distinct = 100);
ALTER TABLE t ALTER COLUMN c SET STORAGE EXTERNAL;
ALTER TABLE t ALTER COLUMN c SET COMPRESSION lz4;
ALTER TABLE t ALTER COLUMN c ADD GENERATED ALWAYS AS IDENTITY;
ALTER TABLE t ALTER COLUMN c DROP IDENTITY;
ALTER TABLE t ALTER COLUMN c SET EXPRESSION AS (a * 2);
ALTER TABLE t ALTER COLUMN c DROP EXPRESSION;
ALTER TABLE t DROP COLUMN c;

-- A type change keeps its new type and USING expression.
ALTER TABLE t ALTER COLUMN c TYPE varchar(100) USING c::varchar;

-- A new volatile default applies to new rows only: no rewrite.
ALTER TABLE t ALTER COLUMN c SET DEFAULT gen_random_uuid();

-- DROP COLUMN keeps IF EXISTS and CASCADE.
ALTER TABLE t DROP COLUMN IF EXISTS c CASCADE;

-- Subcommands on the table as a whole: row-level security, persistence (rewrites),
-- tablespace (rewrites), storage parameters (SHARE UPDATE EXCLUSIVE for the known
-- storage ones, ACCESS EXCLUSIVE for the others), clustering, replica identity.
ALTER TABLE t ENABLE ROW LEVEL SECURITY;
ALTER TABLE t DISABLE ROW LEVEL SECURITY;
ALTER TABLE t FORCE ROW LEVEL SECURITY;
ALTER TABLE t NO FORCE ROW LEVEL SECURITY;
ALTER TABLE t SET LOGGED;
ALTER TABLE t SET UNLOGGED;
ALTER TABLE t SET TABLESPACE fast;
ALTER TABLE t SET (fillfactor = 70);
ALTER TABLE t SET (autovacuum_vacuum_scale_factor = 0.01);
ALTER TABLE t RESET (fillfactor);
ALTER TABLE t SET (user_catalog_table = true);
ALTER TABLE t CLUSTER ON t_pkey;
ALTER TABLE t SET WITHOUT CLUSTER;
ALTER TABLE t REPLICA IDENTITY FULL;

-- OWNER TO takes ACCESS EXCLUSIVE and names the new owner.
ALTER TABLE t OWNER TO admin;

-- ALTER VIEW shares ALTER TABLE's parse node: the object is a view.
ALTER VIEW v SET (security_invoker = true);

-- ATTACH PARTITION: SHARE UPDATE EXCLUSIVE on the parent, ACCESS EXCLUSIVE on the
-- partition, whose rows are scanned against the bound.
ALTER TABLE events ATTACH PARTITION events_2024 FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');

-- DETACH PARTITION: ACCESS EXCLUSIVE on both.
ALTER TABLE events DETACH PARTITION events_2024;

-- DETACH PARTITION CONCURRENTLY: SHARE UPDATE EXCLUSIVE on both.
ALTER TABLE events DETACH PARTITION events_2024 CONCURRENTLY;
