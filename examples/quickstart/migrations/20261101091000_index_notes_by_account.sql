-- Migration: index notes by account
-- Purpose: list an account's notes without a sequential scan; built
-- concurrently so writes to notes are not blocked while it builds.
-- strata:no-transaction
-- strata:up
create index concurrently if not exists notes_account_id_idx on notes (account_id);

-- strata:down
drop index concurrently if exists notes_account_id_idx;
