alter table items add column price numeric;
