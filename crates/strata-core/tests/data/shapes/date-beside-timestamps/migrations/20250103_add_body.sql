alter table public.notes add column body text;
