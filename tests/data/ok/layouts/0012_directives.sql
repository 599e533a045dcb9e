-- strata:lock-timeout 2s
-- strata:statement-timeout 1min
-- strata:allow adding-not-null-column -- the table is empty at this point
-- strata:up
alter table labels add column name text not null;
-- strata:down
alter table labels drop column name;
