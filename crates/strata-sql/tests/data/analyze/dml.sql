-- UPDATE without WHERE writes every row (has_where is absent).
UPDATE users SET active = false;

-- DELETE with and without WHERE.
DELETE FROM users WHERE id = 1;
DELETE FROM users;

-- UPDATE ... FROM reads the other table under ACCESS SHARE.
UPDATE users u SET org = o.id FROM orgs o WHERE o.name = u.org_name;

-- INSERT ... SELECT from a CTE: the CTE's name is not a table, its source is read;
-- ON CONFLICT and from_query are kept.
WITH recent AS (SELECT * FROM events) INSERT INTO archive SELECT * FROM recent ON CONFLICT DO NOTHING;

-- INSERT ... VALUES: no query, no conflict clause.
INSERT INTO t (a) VALUES (1);

-- SELECT reads under ACCESS SHARE, FOR UPDATE under ROW SHARE.
SELECT * FROM a, b.c;
SELECT * FROM a FOR UPDATE;

-- SELECT INTO creates a table from a query.
SELECT * INTO TEMP snapshot FROM a;

-- MERGE writes under ROW EXCLUSIVE and reads its source.
MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN DELETE;

-- COPY ... FROM inserts; COPY ... TO is not modelled.
COPY t (a, b) FROM 'data.csv';
COPY t TO STDOUT;

-- TRUNCATE: ACCESS EXCLUSIVE on each table, CASCADE and RESTART IDENTITY.
TRUNCATE a, b RESTART IDENTITY CASCADE;

-- LOCK TABLE: the mode written, ACCESS EXCLUSIVE by default.
LOCK TABLE a, b IN SHARE ROW EXCLUSIVE MODE;
LOCK t;
LOCK t IN ACCESS SHARE MODE;
