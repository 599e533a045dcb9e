create table fine (id int);
