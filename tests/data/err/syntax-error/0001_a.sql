-- strata:up
create table a (id int);
selec 1;
-- strata:down
drop table a;
