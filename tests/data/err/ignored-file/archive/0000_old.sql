create table old (id int);
