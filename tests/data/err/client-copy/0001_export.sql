-- An export has no place in a migration: the rows would go to strata.
create table audit (id bigint primary key, what text not null);
COPY audit TO STDOUT;
copy (select id, what from audit where id > 10) to stdout with (format csv, header);
