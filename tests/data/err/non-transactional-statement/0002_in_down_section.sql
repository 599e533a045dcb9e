-- strata:up
-- strata:no-transaction
create index concurrently b_idx on a (id);
-- strata:down
drop index concurrently b_idx;
