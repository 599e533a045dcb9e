-- strata:no-transaction
-- strata:up
create index concurrently if not exists notes_body_idx on notes (body);

-- strata:down
drop index concurrently if exists notes_body_idx;
