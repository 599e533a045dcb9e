-- strata:lock-timout 5s
create table a (id int);
