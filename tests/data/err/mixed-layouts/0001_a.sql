-- strata:up
create table a (id int);
-- strata:down
drop table a;
