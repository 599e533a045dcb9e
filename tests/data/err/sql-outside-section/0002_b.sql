create table b (id int);
-- ROLLBACK:
-- drop table b;
drop table oops;
