begin;
create table wrapped (id int);
commit;
