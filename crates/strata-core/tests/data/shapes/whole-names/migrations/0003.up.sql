-- A migration named by its number alone.
alter table table_a add column label text;
