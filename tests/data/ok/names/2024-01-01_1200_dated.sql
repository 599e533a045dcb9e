create table five (id int);
