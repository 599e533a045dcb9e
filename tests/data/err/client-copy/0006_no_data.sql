-- A COPY FROM STDIN with no rows after it still waits for the client.
copy public.plans (id, name) from stdin;
