delete from public.plans where id = 3;
-- ROLLBACK:
-- copy public.plans (id, name) from stdin;
-- 3	team
-- \.
