create table events (id bigint primary key, at timestamptz not null);
