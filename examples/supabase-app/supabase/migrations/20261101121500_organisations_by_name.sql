-- Migration: organisations by name
-- Purpose: search organisations by name without blocking writes while the index builds.
-- strata:no-transaction
-- strata:up
create index concurrently if not exists organisations_name_idx on public.organisations (name);

-- ROLLBACK:
-- drop index concurrently if exists public.organisations_name_idx;
