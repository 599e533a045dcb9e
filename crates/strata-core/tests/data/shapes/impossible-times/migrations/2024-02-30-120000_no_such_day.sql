create table d (id int);
