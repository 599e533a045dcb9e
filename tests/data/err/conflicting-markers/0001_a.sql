-- strata:up
create table a (id int);
-- migrate:down
drop table a;
