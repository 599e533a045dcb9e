-- café
create table cafe (id int);
