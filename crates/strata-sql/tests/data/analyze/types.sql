-- An enum and its values, in order.
CREATE TYPE app.mood AS ENUM ('sad', 'ok', 'happy');

-- A composite type's attributes, located by its name.
CREATE TYPE pair AS (a int, b text);

-- A new enum value: its parent is the type; IF NOT EXISTS and BEFORE are kept.
ALTER TYPE app.mood ADD VALUE IF NOT EXISTS 'meh' BEFORE 'ok';

-- A domain and its base type.
CREATE DOMAIN email AS citext CHECK (value ~ '@');

-- A range type and a base (shell) type.
CREATE TYPE span AS RANGE (subtype = int4);
CREATE TYPE shell;
