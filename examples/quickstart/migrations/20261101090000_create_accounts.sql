-- Migration: create accounts
-- Purpose: people who sign in
-- strata:up
create table accounts (
    id bigint generated always as identity primary key,
    email text not null unique,
    created_at timestamptz not null default now()
);

-- strata:down
drop table accounts;
