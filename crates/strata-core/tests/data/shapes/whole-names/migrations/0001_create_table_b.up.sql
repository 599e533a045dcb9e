create table table_b (id bigint primary key, a_id bigint references table_a);
