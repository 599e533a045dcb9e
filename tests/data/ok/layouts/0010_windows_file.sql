-- strata:up
create table windows (id int);
-- strata:down
drop table windows;
