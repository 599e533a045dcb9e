create table early (id int);
-- strata:up
create table a (id int);
