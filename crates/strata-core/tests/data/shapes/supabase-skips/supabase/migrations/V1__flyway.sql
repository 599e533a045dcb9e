create table public.skipped_flyway (id int);
