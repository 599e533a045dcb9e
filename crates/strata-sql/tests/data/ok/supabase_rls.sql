create extension if not exists "uuid-ossp" with schema extensions;
create table public.profiles (
  id uuid references auth.users on delete cascade not null primary key,
  username text unique
);
alter table public.profiles enable row level security;
create policy "Public profiles are viewable by everyone." on public.profiles
  for select using (true);
create policy "Users can update own profile." on public.profiles
  for update using ((select auth.uid()) = id);
grant select on public.profiles to anon, authenticated;
revoke all on function public.secret() from public;
grant authenticated to service_role;
comment on table public.profiles is 'Profile data; one row per user.';
