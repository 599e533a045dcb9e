-- Seed data as pg_dump writes it: COPY, then the rows, then a line \.
CREATE TABLE public.plans (
    id integer NOT NULL,
    name text NOT NULL,
    note text
);

COPY public.plans (id, name, note) FROM stdin;
1	free	\N
2	pro	O'Brien's plan
3	team	\N
\.

ALTER TABLE ONLY public.plans ADD CONSTRAINT plans_pkey PRIMARY KEY (id);
