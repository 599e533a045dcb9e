create table items (id bigint primary key);
