-- strata:no-transaction
create index concurrently plans_name_idx on public.plans (name);
copy public.plans (id, name) from stdin with (format csv);
4,enterprise
\.
