create table public.skipped_dated (id int);
