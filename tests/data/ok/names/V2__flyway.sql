create table two (id int);
