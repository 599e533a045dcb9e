alter table accounts add column name text;
