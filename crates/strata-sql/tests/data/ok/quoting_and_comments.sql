/* header /* nested; */ still comment; */
SELECT E'it\'s; escaped', 'doubled '';'' quote', U&'\0041;' AS "col;name", $tag$ $$ ; $tag$;
-- a comment with ; and ' and "
SELECT "weird ""quoted;"" identifier" FROM "schema;x"."table";
with ins as (insert into log values (1) returning *) select * from ins;
CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); INSERT INTO b VALUES (2));
;;
SELECT 1 -- no semicolon at the end