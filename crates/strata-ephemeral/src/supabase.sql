-- strata's Supabase stand-in: the roles, schemas, tables and functions that a Supabase
-- project's migrations expect to find, installed into one database of a throwaway or local
-- cluster.
--
-- The definitions follow Supabase's own (supabase/postgres init scripts and migrations,
-- supabase/auth and supabase/storage migrations) as they stand in a current project, cut down
-- to what migrations and row-level security policies touch. Every statement can run again: a
-- second install changes nothing. It runs on PostgreSQL 13 and later; nothing here needs a
-- newer server (no CREATE OR REPLACE TRIGGER, which is 14+; no SECURITY INVOKER views, 15+).
--
-- It must run as a superuser, in one transaction. In a cluster made with Supabase's roles that
-- superuser is `supabase_admin`, and `postgres` is a login role that is not one: migrations
-- run as `postgres`, with what this script gives it, as on the platform. In a cluster made
-- before strata did that, `postgres` is the superuser; everything here still installs, and
-- `postgres` keeps its superuser powers.

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
    -- On Supabase `postgres` logs in with these attributes and is not a superuser; the
    -- cluster strata makes for a Supabase project creates it so. (A cluster whose bootstrap
    -- superuser is `postgres` keeps it a superuser: PostgreSQL cannot demote that one.)
    if not exists (select from pg_catalog.pg_roles where rolname = 'postgres') then
        create role postgres login nosuperuser createrole createdb replication bypassrls;
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

    -- Supabase's own administrators. supabase_admin is the superuser of a cluster made with
    -- Supabase's roles; elsewhere it only gets what migrations might check for.
    if not exists (select from pg_catalog.pg_roles where rolname = 'supabase_admin') then
        create role supabase_admin login createrole createdb replication bypassrls;
    end if;
    if not exists (select from pg_catalog.pg_roles where rolname = 'supabase_auth_admin') then
        create role supabase_auth_admin login noinherit createrole noreplication;
    end if;
    if not exists (select from pg_catalog.pg_roles where rolname = 'supabase_storage_admin') then
        create role supabase_storage_admin login noinherit createrole noreplication;
    end if;
    if not exists (select from pg_catalog.pg_roles where rolname = 'supabase_functions_admin') then
        create role supabase_functions_admin login noinherit createrole noreplication;
    end if;
    if not exists (select from pg_catalog.pg_roles where rolname = 'supabase_realtime_admin') then
        create role supabase_realtime_admin nologin noinherit noreplication;
    end if;
    if not exists (select from pg_catalog.pg_roles where rolname = 'supabase_replication_admin') then
        create role supabase_replication_admin login replication;
    end if;
    if not exists (select from pg_catalog.pg_roles where rolname = 'supabase_read_only_user') then
        create role supabase_read_only_user login bypassrls;
    end if;
    if not exists (select from pg_catalog.pg_roles where rolname = 'dashboard_user') then
        create role dashboard_user nologin createdb createrole replication;
    end if;
    if not exists (select from pg_catalog.pg_roles where rolname = 'pgbouncer') then
        create role pgbouncer login;
    end if;

    -- The roles the pgsodium extension creates on Supabase (the extension itself is not
    -- packaged outside Supabase's images); dumps and migrations grant them.
    if not exists (select from pg_catalog.pg_roles where rolname = 'pgsodium_keyiduser') then
        create role pgsodium_keyiduser nologin;
    end if;
    if not exists (select from pg_catalog.pg_roles where rolname = 'pgsodium_keyholder') then
        create role pgsodium_keyholder nologin;
    end if;
    if not exists (select from pg_catalog.pg_roles where rolname = 'pgsodium_keymaker') then
        create role pgsodium_keymaker nologin;
    end if;

    -- Supabase's postgres reads everything and may signal backends (PostgreSQL 14 added
    -- pg_read_all_data).
    if exists (select from pg_catalog.pg_roles where rolname = 'pg_read_all_data') then
        grant pg_read_all_data to postgres, supabase_read_only_user;
    end if;
end
$roles$;

grant anon, authenticated, service_role to authenticator;
grant pgsodium_keyiduser to pgsodium_keyholder;
grant pgsodium_keyholder to pgsodium_keymaker;

-- What Supabase's postgres is a member of: the API roles (so that `set role authenticated`
-- works in tests and functions), the monitoring roles, the functions and realtime
-- administrators and pgsodium's roles. Not supabase_auth_admin or supabase_storage_admin:
-- Supabase revoked those, and lets postgres manage policies and triggers on their tables
-- through supautils (see "Supabase's supautils, for postgres" below).
grant anon, authenticated, service_role to postgres;
grant pg_monitor, pg_signal_backend to postgres;
grant supabase_functions_admin, supabase_realtime_admin to postgres;
grant pgsodium_keyiduser, pgsodium_keyholder, pgsodium_keymaker to postgres with admin option;

alter role supabase_admin set search_path = "$user", public, auth, extensions;
alter role supabase_auth_admin set search_path = auth;
alter role supabase_storage_admin set search_path = storage;
alter role supabase_functions_admin set search_path = supabase_functions;

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
    execute format('grant all on database %I to postgres, dashboard_user', current_database());
    execute format('grant create on database %I to supabase_storage_admin', current_database());
end
$database$;

-- ---------------------------------------------------------------------------------------
-- Schema extensions
-- ---------------------------------------------------------------------------------------

create schema if not exists extensions;
create extension if not exists "uuid-ossp" with schema extensions;
create extension if not exists pgcrypto with schema extensions;

grant all on schema extensions to postgres;
grant usage on schema extensions to anon, authenticated, service_role;
grant all on schema extensions to dashboard_user;
grant all on all tables in schema extensions to dashboard_user;
grant all on all sequences in schema extensions to dashboard_user;
grant all on all routines in schema extensions to dashboard_user;

-- ---------------------------------------------------------------------------------------
-- Schema public: what anon, authenticated and service_role may touch
-- ---------------------------------------------------------------------------------------

-- On Supabase public belongs to postgres. Every table, sequence and function that postgres
-- (or supabase_admin) creates in it is open to the API roles; row-level security policies are
-- what restrict them. Without these grants a policy test fails with "permission denied"
-- before any policy is consulted.
alter schema public owner to postgres;
grant usage on schema public to postgres, anon, authenticated, service_role;

alter default privileges for role postgres in schema public
    grant all on tables to postgres, anon, authenticated, service_role;
alter default privileges for role postgres in schema public
    grant all on sequences to postgres, anon, authenticated, service_role;
alter default privileges for role postgres in schema public
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
-- postgres uses auth's tables (references, triggers, test data) but creates nothing there.
grant usage on schema auth to postgres;
grant all on all tables in schema auth to postgres;
grant all on all sequences in schema auth to postgres;
grant all on all routines in schema auth to postgres;

-- ---------------------------------------------------------------------------------------
-- Schema storage (Supabase Storage)
-- ---------------------------------------------------------------------------------------

create schema if not exists storage authorization supabase_admin;

grant usage on schema storage to postgres with grant option;
grant usage on schema storage to anon, authenticated, service_role;
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
    to anon, authenticated, service_role, supabase_storage_admin;
grant all on storage.buckets, storage.objects to postgres with grant option;
grant all on all routines in schema storage
    to postgres, anon, authenticated, service_role, dashboard_user;
grant all on all sequences in schema storage to dashboard_user;

-- ---------------------------------------------------------------------------------------
-- Realtime
-- ---------------------------------------------------------------------------------------

-- Empty, as on a new project: migrations add their tables to it, as its owner postgres.
do $realtime$
begin
    if not exists (select from pg_catalog.pg_publication where pubname = 'supabase_realtime') then
        create publication supabase_realtime;
    end if;
end
$realtime$;
alter publication supabase_realtime owner to postgres;

-- ---------------------------------------------------------------------------------------
-- Database webhooks (supabase_functions), inert
-- ---------------------------------------------------------------------------------------

-- Supabase's database webhooks are triggers calling supabase_functions.http_request(url,
-- method, headers, params, timeout_ms), which sends the request through pg_net. Here it checks
-- its arguments as Supabase's does and records the call in supabase_functions.hooks with no
-- request id, but sends nothing: webhooks do not fire from a local or throwaway database.
create schema if not exists supabase_functions authorization supabase_admin;
grant usage on schema supabase_functions to postgres, anon, authenticated, service_role;
grant all on schema supabase_functions to supabase_functions_admin;

create table if not exists supabase_functions.migrations (
    version text primary key,
    inserted_at timestamptz not null default now()
);
insert into supabase_functions.migrations (version)
    values ('initial'), ('20210809183423_update_grants')
    on conflict do nothing;

create table if not exists supabase_functions.hooks (
    id bigserial primary key,
    hook_table_id integer not null,
    hook_name text not null,
    created_at timestamptz not null default now(),
    request_id bigint
);
create index if not exists supabase_functions_hooks_request_id_idx
    on supabase_functions.hooks using btree (request_id);
create index if not exists supabase_functions_hooks_h_table_id_h_name_idx
    on supabase_functions.hooks using btree (hook_table_id, hook_name);
comment on table supabase_functions.hooks is
    'Supabase Functions Hooks: Audit trail for triggered hooks.';

create or replace function supabase_functions.http_request() returns trigger
    language plpgsql security definer
    set search_path = supabase_functions
as $$
declare
    url text := tg_argv[0]::text;
    method text := tg_argv[1]::text;
begin
    if url is null or url = 'null' then
        raise exception 'url argument is missing';
    end if;
    if method is null or method = 'null' then
        raise exception 'method argument is missing';
    end if;
    if tg_argv[2] is not null and tg_argv[2] <> 'null' then
        perform tg_argv[2]::jsonb;
    end if;
    if tg_argv[3] is not null and tg_argv[3] <> 'null' then
        perform tg_argv[3]::jsonb;
    end if;
    if tg_argv[4] is not null and tg_argv[4] <> 'null' then
        perform tg_argv[4]::integer;
    end if;
    if method not in ('GET', 'POST') then
        raise exception 'method argument % is invalid', method;
    end if;
    -- strata's stand-in: no request is sent, so there is no request id.
    insert into supabase_functions.hooks (hook_table_id, hook_name, request_id)
        values (tg_relid, tg_name, null);
    return new;
end
$$;

alter table supabase_functions.migrations owner to supabase_functions_admin;
alter table supabase_functions.hooks owner to supabase_functions_admin;
alter function supabase_functions.http_request() owner to supabase_functions_admin;
grant all on all tables in schema supabase_functions to supabase_functions_admin;
grant all on all sequences in schema supabase_functions to supabase_functions_admin;
revoke all on function supabase_functions.http_request() from public;
grant execute on function supabase_functions.http_request()
    to postgres, anon, authenticated, service_role;

-- ---------------------------------------------------------------------------------------
-- Vault, unencrypted
-- ---------------------------------------------------------------------------------------

-- Supabase Vault (the supabase_vault extension, not packaged outside Supabase's images) keeps
-- secrets encrypted and decrypts them in vault.decrypted_secrets. This stand-in has the same
-- table, view and functions, but stores secrets as given: it is for local and throwaway
-- databases, never for real secrets.
create schema if not exists vault authorization supabase_admin;

create table if not exists vault.secrets (
    id uuid not null default gen_random_uuid(),
    name text,
    description text not null default '',
    secret text not null,
    key_id uuid,
    nonce bytea,
    created_at timestamptz not null default current_timestamp,
    updated_at timestamptz not null default current_timestamp,
    constraint secrets_pkey primary key (id)
);
create unique index if not exists secrets_name_idx on vault.secrets (name) where name is not null;
comment on table vault.secrets is
    'strata''s stand-in for Supabase Vault: secrets are stored unencrypted.';

create or replace view vault.decrypted_secrets as
    select id, name, description, secret, secret as decrypted_secret, key_id, nonce,
           created_at, updated_at
    from vault.secrets;

create or replace function vault.create_secret(
    new_secret text,
    new_name text default null,
    new_description text default '',
    new_key_id uuid default null
) returns uuid
    language sql security definer
    set search_path = ''
as $$
    insert into vault.secrets (secret, name, description, key_id)
    values (new_secret, new_name, new_description, new_key_id)
    returning id
$$;

create or replace function vault.update_secret(
    secret_id uuid,
    new_secret text default null,
    new_name text default null,
    new_description text default null,
    new_key_id uuid default null
) returns void
    language sql security definer
    set search_path = ''
as $$
    update vault.secrets set
        secret = coalesce(new_secret, secret),
        name = coalesce(new_name, name),
        description = coalesce(new_description, description),
        key_id = coalesce(new_key_id, key_id),
        updated_at = now()
    where id = secret_id
$$;

revoke all on function vault.create_secret(text, text, text, uuid) from public;
revoke all on function vault.update_secret(uuid, text, text, text, uuid) from public;
grant usage on schema vault to postgres with grant option;
grant select, delete on vault.secrets, vault.decrypted_secrets to postgres with grant option;
grant execute on function vault.create_secret(text, text, text, uuid),
    vault.update_secret(uuid, text, text, text, uuid) to postgres with grant option;

-- ---------------------------------------------------------------------------------------
-- Supabase's supautils, for postgres
-- ---------------------------------------------------------------------------------------

-- On Supabase, the supautils module lets postgres, which is not a superuser, do three things
-- PostgreSQL keeps for superusers or owners: create, update and drop the extensions on
-- Supabase's list (as if by the superuser); manage policies on the auth and storage tables
-- it does not own; drop triggers on them. supautils is a server module; here event triggers
-- do the same for the length of the one command: before it, postgres is made a superuser
-- (an extension) or a member of the owners of auth's and storage's tables (a policy or
-- DROP TRIGGER); after it, that is taken back. All of it happens inside the command's
-- transaction, so a failure takes it back too. What is not the same: an extension's objects
-- belong to postgres here, to supabase_admin on Supabase; and an extension that is not on
-- the list but needs a superuser is refused after its script ran (its transaction rolled
-- back), where Supabase refuses it before.
create schema if not exists strata_supabase authorization supabase_admin;
revoke all on schema strata_supabase from public;
grant usage on schema strata_supabase to postgres;
comment on schema strata_supabase is
    'strata''s Supabase stand-in: what supautils lets postgres do on Supabase.';

-- Marks this version of the stand-in as installed (strata installs it when this is missing).
create table if not exists strata_supabase.installed_v2 (at timestamptz default now());

-- supautils.privileged_extensions, as Supabase sets it.
create or replace function strata_supabase.privileged_extensions() returns text[]
    language sql immutable
    set search_path = ''
as $$
    select array[
        'address_standardizer', 'address_standardizer_data_us', 'autoinc', 'bloom',
        'btree_gin', 'btree_gist', 'citext', 'cube', 'dblink', 'dict_int', 'dict_xsyn',
        'earthdistance', 'fuzzystrmatch', 'hstore', 'http', 'hypopg', 'index_advisor',
        'insert_username', 'intarray', 'isn', 'ltree', 'moddatetime', 'orioledb',
        'pg_buffercache', 'pg_cron', 'pg_graphql', 'pg_hashids', 'pg_jsonschema', 'pg_net',
        'pg_prewarm', 'pg_repack', 'pg_stat_monitor', 'pg_stat_statements', 'pg_tle',
        'pg_trgm', 'pg_walinspect', 'pgaudit', 'pgcrypto', 'pgjwt', 'pgroonga',
        'pgroonga_database', 'pgrouting', 'pgrowlocks', 'pgsodium', 'pgstattuple', 'pgtap',
        'plcoffee', 'pljava', 'plls', 'plpgsql', 'plpgsql_check', 'plv8', 'postgis',
        'postgis_raster', 'postgis_sfcgal', 'postgis_tiger_geocoder', 'postgis_topology',
        'postgres_fdw', 'refint', 'rum', 'seg', 'sslinfo', 'supabase_vault', 'supautils',
        'tablefunc', 'tcn', 'timescaledb', 'tsm_system_rows', 'tsm_system_time', 'unaccent',
        'uuid-ossp', 'vector', 'wrappers'
    ]::text[]
$$;

-- Gives postgres, for one command, what supautils would ('extension': superuser; 'policy':
-- membership in the owners of auth's and storage's tables), or takes it back. Returns
-- whether it changed anything. Only postgres may call it, and only for itself.
create or replace function strata_supabase.lend(what text, give boolean) returns boolean
    language plpgsql security definer
    set search_path = ''
as $$
begin
    if what = 'extension' then
        if give then
            alter role postgres superuser;
        else
            alter role postgres nosuperuser;
        end if;
        return true;
    elsif what = 'policy' then
        if give then
            if pg_catalog.pg_has_role('postgres', 'supabase_auth_admin', 'member') then
                return false;
            end if;
            grant supabase_auth_admin, supabase_storage_admin to postgres;
        else
            revoke supabase_auth_admin, supabase_storage_admin from postgres;
        end if;
        return true;
    end if;
    return false;
end
$$;
revoke all on function strata_supabase.lend(text, boolean) from public;
grant execute on function strata_supabase.lend(text, boolean) to postgres;

-- Before the command: lend what it needs, when postgres (not a superuser) runs it.
create or replace function strata_supabase.before_command() returns event_trigger
    language plpgsql
    set search_path = ''
as $$
declare
    what text := case
        when tg_tag in ('CREATE EXTENSION', 'ALTER EXTENSION', 'DROP EXTENSION') then 'extension'
        else 'policy'
    end;
begin
    if current_user <> 'postgres'
        or (select rolsuper from pg_catalog.pg_roles where rolname = 'postgres') then
        return;
    end if;
    if strata_supabase.lend(what, true) then
        perform pg_catalog.set_config('strata_supabase.lent_' || what, 'on', true);
    end if;
end
$$;

-- After the command: take back what was lent; refuse an extension that is not on Supabase's
-- list and needs a superuser, as Supabase does.
create or replace function strata_supabase.after_command() returns event_trigger
    language plpgsql
    set search_path = ''
as $$
declare
    what text := case
        when tg_tag in ('CREATE EXTENSION', 'ALTER EXTENSION', 'DROP EXTENSION') then 'extension'
        else 'policy'
    end;
    refused text;
begin
    if coalesce(pg_catalog.current_setting('strata_supabase.lent_' || what, true), '') <> 'on' then
        return;
    end if;
    perform pg_catalog.set_config('strata_supabase.lent_' || what, '', true);
    perform strata_supabase.lend(what, false);
    if what = 'extension' then
        select e.extname into refused
        from pg_catalog.pg_event_trigger_ddl_commands() c
        join pg_catalog.pg_extension e on e.oid = c.objid
        join pg_catalog.pg_available_extension_versions v
            on v.name = e.extname and v.version = e.extversion
        where c.classid = 'pg_catalog.pg_extension'::pg_catalog.regclass
            and v.superuser and not v.trusted
            and e.extname <> all (strata_supabase.privileged_extensions())
        limit 1;
        if refused is not null then
            raise exception 'permission denied to create extension "%"', refused
                using errcode = '42501',
                      detail = 'On Supabase, postgres may create only the extensions on '
                          || 'Supabase''s list (supautils.privileged_extensions), and this '
                          || 'one needs a superuser.',
                      hint = 'Must be superuser to create this extension.';
        end if;
    end if;
end
$$;

alter function strata_supabase.privileged_extensions() owner to supabase_admin;
alter function strata_supabase.before_command() owner to supabase_admin;
alter function strata_supabase.after_command() owner to supabase_admin;
grant execute on function strata_supabase.privileged_extensions(),
    strata_supabase.before_command(), strata_supabase.after_command() to postgres;

-- Event triggers belong to the cluster's database, not to a schema: made once, and fired
-- whatever session_replication_role says (ENABLE ALWAYS).
do $triggers$
begin
    if not exists (select from pg_catalog.pg_event_trigger
                   where evtname = 'strata_supabase_before_command') then
        create event trigger strata_supabase_before_command on ddl_command_start
            when tag in ('CREATE EXTENSION', 'ALTER EXTENSION', 'DROP EXTENSION',
                         'CREATE POLICY', 'ALTER POLICY', 'DROP POLICY', 'DROP TRIGGER')
            execute function strata_supabase.before_command();
        alter event trigger strata_supabase_before_command enable always;
    end if;
    if not exists (select from pg_catalog.pg_event_trigger
                   where evtname = 'strata_supabase_after_command') then
        create event trigger strata_supabase_after_command on ddl_command_end
            when tag in ('CREATE EXTENSION', 'ALTER EXTENSION', 'DROP EXTENSION',
                         'CREATE POLICY', 'ALTER POLICY', 'DROP POLICY', 'DROP TRIGGER')
            execute function strata_supabase.after_command();
        alter event trigger strata_supabase_after_command enable always;
    end if;
end
$triggers$;

commit;
