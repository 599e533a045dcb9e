-- CREATE VIEW: no lock on the new view; the tables of its query are read under
-- ACCESS SHARE, each once; WITH options are kept.
CREATE VIEW app.active WITH (security_invoker = true) AS SELECT u.* FROM app.users u JOIN app.orgs o ON o.id = u.org;

-- OR REPLACE is taken to replace: Alter under ACCESS EXCLUSIVE; a LOCAL CHECK OPTION.
CREATE OR REPLACE VIEW v AS SELECT 1 AS one WITH LOCAL CHECK OPTION;

-- A materialized view WITH NO DATA, IF NOT EXISTS.
CREATE MATERIALIZED VIEW IF NOT EXISTS stats AS SELECT count(*) FROM orders WITH NO DATA;

-- CREATE TABLE AS reads its source.
CREATE TABLE copy AS SELECT * FROM src;
