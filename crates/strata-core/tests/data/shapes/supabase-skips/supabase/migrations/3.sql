create table public.skipped_bare (id int);
