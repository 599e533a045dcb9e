-- CREATE TABLE: columns with their types (int -> int4, numeric(10, 2) -> numeric(10,2)),
-- identity (volatile fill), a stable default, every constraint kind in order, a
-- primary key, and a lock on the referenced table only (not on the self-reference).
CREATE TABLE IF NOT EXISTS app.orders (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
    parent_id bigint REFERENCES app.orders,
    total numeric(10, 2) DEFAULT 0 CHECK (total >= 0),
    note varchar(200),
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT orders_note_unique UNIQUE (note)
);

-- A partition locks its parent ACCESS EXCLUSIVE.
CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');

-- The default partition names its parent in partition_of.
CREATE TABLE p PARTITION OF events DEFAULT;

-- Unlogged and partitioned, without a primary key.
CREATE UNLOGGED TABLE cache (k text) PARTITION BY HASH (k);

-- An inheritance parent is locked SHARE UPDATE EXCLUSIVE.
CREATE TABLE child () INHERITS (parent);

-- Quoted names keep their case, and are located with their quotes.
CREATE TEMPORARY TABLE "Audit"."Log Lines" ("When" timestamptz, "by" text REFERENCES "Users");
