create table four (id int);
