create table table_a (id bigint primary key);
