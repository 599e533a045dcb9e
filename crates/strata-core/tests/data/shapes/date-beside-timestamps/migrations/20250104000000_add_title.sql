alter table public.notes add column title text;
