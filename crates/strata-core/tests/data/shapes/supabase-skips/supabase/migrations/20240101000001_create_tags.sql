create table public.tags (id bigint primary key);
