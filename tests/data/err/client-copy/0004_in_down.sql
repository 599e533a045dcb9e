-- strata:up
delete from public.plans where id = 4;

-- strata:down
COPY public.plans (id, name) FROM STDIN;
4	enterprise
\.
