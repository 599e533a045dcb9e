-- A dump kept beside the migrations for reference.
create table accounts (id bigint primary key, name text);
