create table c (id int);
-- ROLLBACK:
-- drop tabel c;
