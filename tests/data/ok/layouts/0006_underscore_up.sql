create table labels (id bigint primary key);
