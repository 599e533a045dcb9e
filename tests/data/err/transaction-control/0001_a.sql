create table a (id int);
commit;
begin;
create table b (id int);
