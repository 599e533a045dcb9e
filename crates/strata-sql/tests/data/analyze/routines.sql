-- A function: OUT arguments are not arguments; language, volatility, security
-- definer and its search_path.
CREATE OR REPLACE FUNCTION app.owner_of(p_id uuid, OUT owner uuid) LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$ select owner from app.items where id = p_id $$;

-- SECURITY DEFINER without a search_path.
CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql SECURITY DEFINER AS $$ begin return 1; end $$;

-- An empty search_path is "".
CREATE FUNCTION f() RETURNS int LANGUAGE sql SET search_path = '' AS 'select 1';

-- A procedure.
CREATE PROCEDURE p() LANGUAGE sql AS 'select 1';

-- ALTER FUNCTION: SECURITY INVOKER and SET search_path FROM CURRENT.
ALTER FUNCTION f() SECURITY INVOKER SET search_path FROM CURRENT;

-- CREATE TRIGGER: SHARE ROW EXCLUSIVE on the table; timing, events, row level, function.
CREATE OR REPLACE TRIGGER set_updated BEFORE INSERT OR UPDATE ON app.posts FOR EACH ROW EXECUTE FUNCTION app.touch();

-- ENABLE / DISABLE TRIGGER: SHARE ROW EXCLUSIVE; named, all or user triggers.
ALTER TABLE posts DISABLE TRIGGER set_updated;
ALTER TABLE posts ENABLE TRIGGER set_updated;
ALTER TABLE posts DISABLE TRIGGER ALL;
ALTER TABLE posts ENABLE TRIGGER USER;
ALTER TABLE posts ENABLE ALWAYS TRIGGER set_updated;

-- DROP TRIGGER: ACCESS EXCLUSIVE on its table.
DROP TRIGGER IF EXISTS set_updated ON app.posts;

-- A rule: ACCESS EXCLUSIVE on its table.
CREATE OR REPLACE RULE no_delete AS ON DELETE TO posts DO INSTEAD NOTHING;
