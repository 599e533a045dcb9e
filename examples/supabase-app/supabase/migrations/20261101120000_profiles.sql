-- Migration: profiles
-- Purpose: one public profile per signed-up user, created by a trigger on auth.users.
-- strata:up
create table public.profiles (
    id uuid primary key references auth.users (id) on delete cascade,
    display_name text,
    created_at timestamptz not null default now()
);
alter table public.profiles enable row level security;

create policy "profiles are readable by their owner"
    on public.profiles for select to authenticated
    using ((select auth.uid()) = id);

create policy "profiles are editable by their owner"
    on public.profiles for update to authenticated
    using ((select auth.uid()) = id)
    with check ((select auth.uid()) = id);

create function public.handle_new_user()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
    insert into public.profiles (id, display_name)
    values (new.id, new.raw_user_meta_data ->> 'display_name');
    return new;
end;
$$;

create trigger on_auth_user_created
    after insert on auth.users
    for each row execute function public.handle_new_user();

-- ROLLBACK:
-- drop trigger on_auth_user_created on auth.users;
-- drop function public.handle_new_user();
-- drop table public.profiles;
