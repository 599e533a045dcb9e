-- strata:up
create table a (id int);
-- strata:down
drop table a;
-- strata:down
drop table a;
