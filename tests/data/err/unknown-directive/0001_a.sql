-- strata:no-transacion
create table a (id int);
