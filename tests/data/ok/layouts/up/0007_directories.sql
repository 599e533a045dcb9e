create table audit (id bigint primary key, at timestamptz not null default now());
