create table a (id int);
create index concurrently a_id_idx on a (id);
