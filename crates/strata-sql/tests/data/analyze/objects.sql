-- Renaming a table takes ACCESS EXCLUSIVE and names the new name.
ALTER TABLE users RENAME TO accounts;

-- Renaming a column or constraint: the table is its parent, locked ACCESS EXCLUSIVE.
ALTER TABLE s.users RENAME COLUMN name TO full_name;
ALTER TABLE users RENAME CONSTRAINT a TO b;

-- Views are relations, functions and schemas are not locked.
ALTER VIEW v RENAME TO w;
ALTER FUNCTION f(int) RENAME TO g;
ALTER SCHEMA a RENAME TO b;

-- An enum value's parent is its type.
ALTER TYPE mood RENAME VALUE 'sad' TO 'blue';

-- A composite type's attribute is not told apart: the effect renames an "object"
-- named after the type, to the attribute's new name.
ALTER TYPE pair RENAME ATTRIBUTE a TO first;

-- DROP of several tables: one effect each, IF EXISTS and CASCADE on each.
DROP TABLE IF EXISTS a, app.b CASCADE;

-- DROP by kind: relations, triggers, policies and rules lock ACCESS EXCLUSIVE;
-- functions, types, schemas, extensions and roles lock nothing.
DROP VIEW v;
DROP MATERIALIZED VIEW m;
DROP SEQUENCE s;
DROP FUNCTION app.f(int, text);
DROP PROCEDURE p;
DROP TYPE IF EXISTS mood;
DROP SCHEMA app CASCADE;
DROP EXTENSION pgcrypto;
DROP POLICY p ON t;
DROP ROLE IF EXISTS r;

-- A kind not modelled (a cast) is "object" with no name.
DROP CAST (text AS int);

-- COMMENT ON a relation or a column locks the table SHARE UPDATE EXCLUSIVE.
COMMENT ON TABLE app.users IS 'people';
COMMENT ON COLUMN app.users.name IS NULL;
COMMENT ON COLUMN users.name IS NULL;

-- COMMENT ON a function or schema locks nothing.
COMMENT ON FUNCTION f(int) IS 'x';
COMMENT ON SCHEMA app IS 'x';

-- OWNER TO and SET SCHEMA of objects that are not relations.
ALTER FUNCTION f(int) OWNER TO admin;
ALTER TYPE mood SET SCHEMA app;
