-- strata:up
create extension if not exists pgcrypto with schema extensions;
create schema if not exists app;

create type app.status as enum ('draft', 'published');

create table app.profiles (
  id uuid primary key references auth.users (id) on delete cascade,
  handle varchar(40) not null unique,
  created_at timestamptz not null default now()
);

create table app.posts (
  id bigint generated always as identity primary key,
  author_id uuid not null references app.profiles (id),
  status app.status not null default 'draft',
  body text
);

alter table app.posts enable row level security;

create policy "authors edit own posts" on app.posts
  for update to authenticated
  using ((select auth.uid()) = author_id)
  with check (auth.uid() = author_id);

create index concurrently if not exists posts_author_idx on app.posts (author_id);

alter table app.posts
  add column slug text,
  add column token uuid not null default gen_random_uuid(),
  alter column body set not null,
  alter column body type varchar(10000);

alter table app.posts add constraint posts_slug_key unique using index posts_slug_idx;
alter table app.posts add constraint posts_body_len check (length(body) < 10000) not valid;
alter table app.posts validate constraint posts_body_len;
alter type app.status add value if not exists 'archived' after 'published';

create or replace function app.touch() returns trigger
  language plpgsql security definer set search_path = ''
  as $$ begin new.updated_at = now(); return new; end $$;

create trigger posts_touch before update on app.posts
  for each row execute function app.touch();

create view app.public_posts with (security_invoker = true) as
  select p.id, p.body from app.posts p join app.profiles a on a.id = p.author_id
  where p.status = 'published';

grant select on app.public_posts to anon, authenticated;
grant insert, update on app.posts to anon;
comment on table app.posts is 'Blog posts';

update app.posts set slug = id::text where slug is null;
delete from app.posts;
truncate app.posts;
alter table app.profiles rename column handle to username;
drop index concurrently if exists app.posts_author_idx;
drop table if exists app.legacy cascade;
vacuum full app.posts;
set lock_timeout = '5s';
