-- Migration: create notes
-- Purpose: what accounts write
-- strata:up
create table notes (
    id bigint generated always as identity primary key,
    account_id bigint not null references accounts (id) on delete cascade,
    body text not null,
    created_at timestamptz not null default now()
);

-- strata:down
drop table notes;
