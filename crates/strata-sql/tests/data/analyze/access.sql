-- CREATE POLICY: ACCESS EXCLUSIVE on its table; command, restrictive, roles, and
-- both expressions with their volatility.
CREATE POLICY own_rows ON public.notes AS RESTRICTIVE FOR UPDATE TO authenticated USING ((select auth.uid()) = user_id) WITH CHECK (auth.uid() = user_id);

-- ALTER POLICY: PUBLIC is "public".
ALTER POLICY own_rows ON notes TO public USING (true);

-- GRANT on two tables: one effect each, privileges, grantees, grant option.
GRANT SELECT, INSERT ON TABLE a, b TO anon, authenticated WITH GRANT OPTION;

-- ALL TABLES IN SCHEMA: the object is the schema; ALL is ["all"].
GRANT ALL ON ALL TABLES IN SCHEMA public TO anon;

-- REVOKE from PUBLIC with CASCADE.
REVOKE EXECUTE ON FUNCTION app.f(int) FROM PUBLIC CASCADE;

-- Column privileges.
GRANT UPDATE (name, bio) ON profiles TO authenticated;

-- Membership in a role.
GRANT app_reader TO alice;

-- Default privileges: the object is the schema named, the target "defaults".
ALTER DEFAULT PRIVILEGES IN SCHEMA app GRANT SELECT ON TABLES TO anon;

-- Default privileges without a schema are on the database.
ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;

-- Roles: created, altered (located), dropped (located).
CREATE ROLE app_reader NOLOGIN;
ALTER ROLE app_reader WITH LOGIN;
DROP ROLE IF EXISTS app_reader, "Old Role";

-- ALTER ROLE ... SET is not modelled.
ALTER ROLE app_reader SET search_path = app;
