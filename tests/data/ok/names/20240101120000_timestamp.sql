create table six (id int);
