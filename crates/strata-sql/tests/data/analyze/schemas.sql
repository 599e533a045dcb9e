-- CREATE SCHEMA with elements: the schema, then the effects of each element.
CREATE SCHEMA app CREATE TABLE app.t (id int) CREATE VIEW app.v AS SELECT 1;

-- An extension's schema, version and CASCADE.
CREATE EXTENSION IF NOT EXISTS pgcrypto WITH SCHEMA extensions VERSION '1.3' CASCADE;

-- A sequence, IF NOT EXISTS.
CREATE SEQUENCE IF NOT EXISTS s;

-- ALTER SEQUENCE takes SHARE ROW EXCLUSIVE.
ALTER SEQUENCE s RESTART;
