-- migrate:up
alter table accounts add column name text;

-- migrate:down
alter table accounts drop column name;
