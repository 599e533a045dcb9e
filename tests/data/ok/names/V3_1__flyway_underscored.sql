create table three (id int);
