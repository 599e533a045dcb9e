create table c (id int);
rollback;
