create table typo (id int);
