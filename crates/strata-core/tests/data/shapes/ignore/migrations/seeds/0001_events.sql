insert into events values (1, now());
