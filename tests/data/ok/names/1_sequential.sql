create table one (id int);
