-- Migration: organisations
-- Purpose: organisations and their members; members see their organisations.
-- strata:up
create table public.organisations (
    id uuid primary key default extensions.uuid_generate_v4(),
    name text not null,
    created_at timestamptz not null default now()
);

create table public.members (
    organisation_id uuid not null references public.organisations (id) on delete cascade,
    user_id uuid not null references auth.users (id) on delete cascade,
    role text not null default 'member' check (role in ('owner', 'member')),
    primary key (organisation_id, user_id)
);
create index members_user_id_idx on public.members (user_id);

alter table public.organisations enable row level security;
alter table public.members enable row level security;

create policy "members see their organisations"
    on public.organisations for select to authenticated
    using (exists (
        select 1 from public.members m
        where m.organisation_id = organisations.id and m.user_id = (select auth.uid())
    ));

create policy "members see their own memberships"
    on public.members for select to authenticated
    using (user_id = (select auth.uid()));

-- ROLLBACK:
-- drop policy "members see their organisations" on public.organisations;
-- drop table public.members;
-- drop table public.organisations;
