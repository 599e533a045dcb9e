create table users (id int);
