-- strata's Supabase stand-in: the roles, schemas, tables and functions that a Supabase
-- project's migrations expect to find, installed into one database of a throwaway cluster.
--
-- The definitions follow Supabase's own (supabase/postgres init scripts, supabase/auth and
-- supabase/storage migrations) as they stand in a current project, cut down to what
-- migrations and row-level security policies touch. Every statement can run again: a second
-- install changes nothing. It runs on PostgreSQL 13 and later; nothing here needs a newer
-- server (no CREATE OR REPLACE TRIGGER, which is 14+; no SECURITY INVOKER views, 15+).
--
-- It must run as a superuser, in one transaction.

begin;

set local client_min_messages = warning;

-- Roles belong to the whole cluster, not to this database. Locking the shared catalog makes
-- installs into several databases of one cluster at once wait for each other instead of
-- racing to create the same roles ("tuple concurrently updated").
lock table pg_catalog.pg_authid in share row exclusive mode;

-- ---------------------------------------------------------------------------------------
-- Roles
-- ---------------------------------------------------------------------------------------

do $roles$
begin
    -- The cluster's superuser is `postgres` already; on Supabase it is a plain role with
    -- these attributes.
    if not exists (select from pg_catalog.pg_roles where rolname = 'postgres') then
        create role postgres login createrole createdb replication bypassrls;
    end if;

    -- The roles PostgREST switches to, from the JWT's `role` claim.
    if not exists (select from pg_catalog.pg_roles where rolname = 'anon') then
        create role anon nologin noinherit;
    end if;
    if not exists (select from pg_catalog.pg_roles where rolname = 'authenticated') then
        create role authenticated nologin noinherit;
    end if;
    if not exists (select from pg_catalog.pg_roles where rolname = 'service_role') then
        create role service_role nologin noinherit bypassrls;
    end if;

    -- The role PostgREST logs in as, before switching.
    if not exists (select from pg_catalog.pg_roles where rolname = 'authenticator') then
        create role authenticator login noinherit;
    end if;

    -- Supabase's own administrators. On Supabase, supabase_admin is a superuser; here it only
    -- gets what migrations might check for.
    if not exists (select from pg_catalog.pg_roles where rolname = 'supabase_admin') then
        create role supabase_admin login createrole createdb replication bypassrls;
    end if;
    if not exists (select from pg_catalog.pg_roles where rolname = 'supabase_auth_admin') then
        create role supabase_auth_admin login noinherit createrole noreplication;
    end if;
    if not exists (select from pg_catalog.pg_roles where rolname = 'supabase_storage_admin') then
        create role supabase_storage_admin login noinherit createrole noreplication;
    end if;
    if not exists (select from pg_catalog.pg_roles where rolname = 'dashboard_user') then
        create role dashboard_user nologin createdb createrole replication;
    end if;
end
$roles$;

grant anon, authenticated, service_role to authenticator;

alter role supabase_admin set search_path = "$user", public, auth, extensions;
alter role supabase_auth_admin set search_path = auth;
alter role supabase_storage_admin set search_path = storage;

-- ---------------------------------------------------------------------------------------
-- This database
-- ---------------------------------------------------------------------------------------

-- Supabase puts `extensions` on the search path (it sets it on the postgres role). Setting
-- it on this database instead keeps the rest of the cluster untouched; it takes effect in
-- new sessions. format() because ALTER DATABASE has no CURRENT before PostgreSQL 16.
do $database$
begin
    execute format(
        'alter database %I set search_path = "$user", public, extensions',
        current_database()
    );
    execute format('grant all on database %I to dashboard_user', current_database());
    execute format('grant create on database %I to supabase_storage_admin', current_database());
end
$database$;

-- ---------------------------------------------------------------------------------------
-- Schema extensions
-- ---------------------------------------------------------------------------------------

create schema if not exists extensions;
create extension if not exists "uuid-ossp" with schema extensions;
create extension if not exists pgcrypto with schema extensions;

grant usage on schema extensions to postgres, anon, authenticated, service_role;
grant all on schema extensions to dashboard_user;
grant all on all tables in schema extensions to dashboard_user;
grant all on all sequences in schema extensions to dashboard_user;
grant all on all routines in schema extensions to dashboard_user;

-- ---------------------------------------------------------------------------------------
-- Schema public: what anon, authenticated and service_role may touch
-- ---------------------------------------------------------------------------------------

-- Every table, sequence and function created in public is open to the API roles; row-level
-- security policies are what restrict them. Without these grants a policy test fails with
-- "permission denied" before any policy is consulted.
grant usage on schema public to postgres, anon, authenticated, service_role;

alter default privileges in schema public
    grant all on tables to postgres, anon, authenticated, service_role;
alter default privileges in schema public
    grant all on sequences to postgres, anon, authenticated, service_role;
alter default privileges in schema public
    grant all on functions to postgres, anon, authenticated, service_role;

alter default privileges for role supabase_admin in schema public
    grant all on tables to postgres, anon, authenticated, service_role;
alter default privileges for role supabase_admin in schema public
    grant all on sequences to postgres, anon, authenticated, service_role;
alter default privileges for role supabase_admin in schema public
    grant all on functions to postgres, anon, authenticated, service_role;

-- ---------------------------------------------------------------------------------------
-- Schema auth (Supabase Auth, formerly GoTrue)
-- ---------------------------------------------------------------------------------------

create schema if not exists auth authorization supabase_admin;

create table if not exists auth.users (
    instance_id uuid,
    id uuid not null,
    aud varchar(255),
    role varchar(255),
    email varchar(255),
    encrypted_password varchar(255),
    email_confirmed_at timestamptz,
    invited_at timestamptz,
    confirmation_token varchar(255),
    confirmation_sent_at timestamptz,
    recovery_token varchar(255),
    recovery_sent_at timestamptz,
    email_change_token_new varchar(255),
    email_change varchar(255),
    email_change_sent_at timestamptz,
    last_sign_in_at timestamptz,
    raw_app_meta_data jsonb,
    raw_user_meta_data jsonb,
    is_super_admin boolean,
    created_at timestamptz,
    updated_at timestamptz,
    phone text default null,
    phone_confirmed_at timestamptz,
    phone_change text default '',
    phone_change_token varchar(255) default '',
    phone_change_sent_at timestamptz,
    confirmed_at timestamptz
        generated always as (least(email_confirmed_at, phone_confirmed_at)) stored,
    email_change_token_current varchar(255) default '',
    email_change_confirm_status smallint default 0,
    banned_until timestamptz,
    reauthentication_token varchar(255) default '',
    reauthentication_sent_at timestamptz,
    is_sso_user boolean not null default false,
    deleted_at timestamptz,
    is_anonymous boolean not null default false,
    constraint users_pkey primary key (id),
    constraint users_phone_key unique (phone),
    constraint users_email_change_confirm_status_check
        check (email_change_confirm_status >= 0 and email_change_confirm_status <= 2)
);

comment on table auth.users is 'Auth: Stores user login data within a secure schema.';
comment on column auth.users.is_sso_user is
    'Auth: Set this column to true when the account comes from SSO. These accounts can have duplicate emails.';

create index if not exists users_instance_id_idx on auth.users (instance_id);
create index if not exists users_instance_id_email_idx on auth.users (instance_id, lower(email::text));
create index if not exists users_is_anonymous_idx on auth.users (is_anonymous);
create unique index if not exists users_email_partial_key on auth.users (email)
    where is_sso_user = false;
-- Tokens are unique, but for the empty and all-digit ones (OTPs) that several users share.
create unique index if not exists confirmation_token_idx on auth.users (confirmation_token)
    where confirmation_token::text !~ '^[0-9 ]*$';
create unique index if not exists recovery_token_idx on auth.users (recovery_token)
    where recovery_token::text !~ '^[0-9 ]*$';
create unique index if not exists email_change_token_current_idx
    on auth.users (email_change_token_current)
    where email_change_token_current::text !~ '^[0-9 ]*$';
create unique index if not exists email_change_token_new_idx
    on auth.users (email_change_token_new)
    where email_change_token_new::text !~ '^[0-9 ]*$';
create unique index if not exists reauthentication_token_idx
    on auth.users (reauthentication_token)
    where reauthentication_token::text !~ '^[0-9 ]*$';

create table if not exists auth.identities (
    provider_id text not null,
    user_id uuid not null,
    identity_data jsonb not null,
    provider text not null,
    last_sign_in_at timestamptz,
    created_at timestamptz,
    updated_at timestamptz,
    email text generated always as (lower(identity_data ->> 'email')) stored,
    id uuid not null default gen_random_uuid(),
    constraint identities_pkey primary key (id),
    constraint identities_provider_id_provider_unique unique (provider_id, provider),
    constraint identities_user_id_fkey foreign key (user_id)
        references auth.users (id) on delete cascade
);

comment on table auth.identities is 'Auth: Stores identities associated to a user.';
comment on column auth.identities.email is
    'Auth: Email is a generated column that references the optional email property in the identity_data';

create index if not exists identities_email_idx on auth.identities (email text_pattern_ops);
create index if not exists identities_user_id_idx on auth.identities (user_id);

-- Supabase Auth enables row-level security on its tables and grants the API roles nothing
-- on them: only the auth server, postgres and the dashboard read them.
alter table auth.users enable row level security;
alter table auth.identities enable row level security;
alter table auth.users owner to supabase_auth_admin;
alter table auth.identities owner to supabase_auth_admin;

-- The claims of the request's JWT, as PostgREST sets them: `request.jwt.claims` (a JSON
-- object) since PostgREST 9, `request.jwt.claim.<name>` (one setting a claim) before.
create or replace function auth.uid() returns uuid
    language sql stable
    set search_path to ''
as $$
    select coalesce(
        nullif(current_setting('request.jwt.claim.sub', true), ''),
        (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')
    )::uuid
$$;

create or replace function auth.role() returns text
    language sql stable
    set search_path to ''
as $$
    select coalesce(
        nullif(current_setting('request.jwt.claim.role', true), ''),
        (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role')
    )::text
$$;

create or replace function auth.email() returns text
    language sql stable
    set search_path to ''
as $$
    select coalesce(
        nullif(current_setting('request.jwt.claim.email', true), ''),
        (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'email')
    )::text
$$;

create or replace function auth.jwt() returns jsonb
    language sql stable
    set search_path to ''
as $$
    select coalesce(
        nullif(current_setting('request.jwt.claim', true), ''),
        nullif(current_setting('request.jwt.claims', true), '')
    )::jsonb
$$;

comment on function auth.uid() is 'Deprecated. Use auth.jwt() -> ''sub'' instead.';
comment on function auth.role() is 'Deprecated. Use auth.jwt() -> ''role'' instead.';
comment on function auth.email() is 'Deprecated. Use auth.jwt() -> ''email'' instead.';

alter function auth.uid() owner to supabase_auth_admin;
alter function auth.role() owner to supabase_auth_admin;
alter function auth.email() owner to supabase_auth_admin;
alter function auth.jwt() owner to supabase_auth_admin;

grant usage on schema auth to anon, authenticated, service_role;
grant execute on function auth.uid(), auth.role(), auth.email(), auth.jwt()
    to anon, authenticated, service_role;
grant all on schema auth to supabase_auth_admin, dashboard_user;
grant all on all tables in schema auth to supabase_auth_admin, dashboard_user;
grant all on all sequences in schema auth to supabase_auth_admin, dashboard_user;
grant all on all routines in schema auth to supabase_auth_admin, dashboard_user;

-- ---------------------------------------------------------------------------------------
-- Schema storage (Supabase Storage)
-- ---------------------------------------------------------------------------------------

create schema if not exists storage authorization supabase_admin;

grant usage on schema storage to postgres, anon, authenticated, service_role;
grant all on schema storage to supabase_storage_admin with grant option;
grant all on schema storage to dashboard_user;

-- Supabase creates its storage tables as supabase_storage_admin, which opens them to the API
-- roles through these; the tables below are granted explicitly, since they are created here
-- by the superuser.
alter default privileges for role supabase_storage_admin in schema storage
    grant all on tables to postgres, anon, authenticated, service_role;
alter default privileges for role supabase_storage_admin in schema storage
    grant all on sequences to postgres, anon, authenticated, service_role;
alter default privileges for role supabase_storage_admin in schema storage
    grant all on functions to postgres, anon, authenticated, service_role;

create table if not exists storage.buckets (
    id text not null,
    name text not null,
    owner uuid,
    created_at timestamptz default now(),
    updated_at timestamptz default now(),
    public boolean default false,
    avif_autodetection boolean default false,
    file_size_limit bigint,
    allowed_mime_types text[],
    owner_id text,
    constraint buckets_pkey primary key (id)
);

comment on column storage.buckets.owner is 'Field is deprecated, use owner_id instead';

create unique index if not exists bname on storage.buckets (name);

create table if not exists storage.objects (
    id uuid not null default gen_random_uuid(),
    bucket_id text,
    name text,
    owner uuid,
    created_at timestamptz default now(),
    updated_at timestamptz default now(),
    last_accessed_at timestamptz default now(),
    metadata jsonb,
    path_tokens text[] generated always as (string_to_array(name, '/')) stored,
    version text,
    owner_id text,
    user_metadata jsonb,
    constraint objects_pkey primary key (id),
    constraint "objects_bucketId_fkey" foreign key (bucket_id) references storage.buckets (id)
);

comment on column storage.objects.owner is 'Field is deprecated, use owner_id instead';

create unique index if not exists bucketid_objname on storage.objects (bucket_id, name);
create index if not exists name_prefix_search on storage.objects (name text_pattern_ops);

alter table storage.buckets enable row level security;
alter table storage.objects enable row level security;

-- The helpers policies use on object names: 'a/b/c.png' has folders {a,b}, file name
-- 'c.png' and extension 'png'.
create or replace function storage.foldername(name text) returns text[]
    language plpgsql immutable
as $$
declare
    _parts text[];
begin
    select string_to_array(name, '/') into _parts;
    return _parts[1 : array_length(_parts, 1) - 1];
end
$$;

create or replace function storage.filename(name text) returns text
    language plpgsql immutable
as $$
declare
    _parts text[];
begin
    select string_to_array(name, '/') into _parts;
    return _parts[array_length(_parts, 1)];
end
$$;

create or replace function storage.extension(name text) returns text
    language plpgsql immutable
as $$
declare
    _parts text[];
    _filename text;
begin
    select string_to_array(name, '/') into _parts;
    select _parts[array_length(_parts, 1)] into _filename;
    return reverse(split_part(reverse(_filename), '.', 1));
end
$$;

create or replace function storage.update_updated_at_column() returns trigger
    language plpgsql
as $$
begin
    new.updated_at = now();
    return new;
end
$$;

-- CREATE OR REPLACE TRIGGER needs PostgreSQL 14.
drop trigger if exists update_objects_updated_at on storage.objects;
create trigger update_objects_updated_at
    before update on storage.objects
    for each row execute function storage.update_updated_at_column();

alter table storage.buckets owner to supabase_storage_admin;
alter table storage.objects owner to supabase_storage_admin;
alter function storage.foldername(text) owner to supabase_storage_admin;
alter function storage.filename(text) owner to supabase_storage_admin;
alter function storage.extension(text) owner to supabase_storage_admin;
alter function storage.update_updated_at_column() owner to supabase_storage_admin;

grant all on storage.buckets, storage.objects
    to postgres, anon, authenticated, service_role, supabase_storage_admin;
grant all on all routines in schema storage
    to postgres, anon, authenticated, service_role, dashboard_user;
grant all on all sequences in schema storage to dashboard_user;

-- ---------------------------------------------------------------------------------------
-- Realtime
-- ---------------------------------------------------------------------------------------

-- Empty, as on a new project: migrations add their tables to it.
do $realtime$
begin
    if not exists (select from pg_catalog.pg_publication where pubname = 'supabase_realtime') then
        create publication supabase_realtime;
    end if;
end
$realtime$;

commit;
