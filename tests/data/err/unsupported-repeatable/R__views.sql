create or replace view v as select 1;
