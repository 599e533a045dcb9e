create table notes (id bigint primary key, body text);
-- ROLLBACK:
-- drop table notes;
