//! The Supabase stand-in: what a Supabase project's migrations expect to find in its database.
//!
//! [`STANDIN_SQL`] creates, in one transaction, through whatever connection runs it (strata's
//! own: no client tools are needed), the roles (`anon`, `authenticated`, `service_role`,
//! `authenticator`, the `supabase_*` administrators, `dashboard_user`, `pgbouncer`, pgsodium's
//! `pgsodium_keyiduser`, `pgsodium_keyholder` and `pgsodium_keymaker`), the `extensions`
//! schema with `uuid-ossp` and `pgcrypto` on the database's search path, `auth.users` and
//! `auth.identities` with `auth.uid()`, `auth.role()`, `auth.email()` and `auth.jwt()`,
//! `storage.buckets` and `storage.objects` with their helper functions, the empty
//! `supabase_realtime` publication, `supabase_functions` with an inert `http_request()` (database
//! webhooks record their calls and send nothing), a `vault` with Supabase Vault's table, view
//! and functions that stores secrets unencrypted, and Supabase's grants and default privileges,
//! so that row-level security policies can be tested by switching to `authenticated` with
//! `request.jwt.claims` set, as PostgREST does.
//!
//! # Running as Supabase's `postgres`
//!
//! In a cluster made with [`Roles::Supabase`](crate::Roles::Supabase) the stand-in is
//! installed by the superuser `supabase_admin`, and migrations run as `postgres`, which is not
//! a superuser: what the platform refuses (`ALTER SYSTEM`, C functions, `COPY ... PROGRAM`,
//! superuser roles) fails here too. `postgres` gets what it has on Supabase: membership in
//! `anon`, `authenticated`, `service_role`, `pg_read_all_data`, `pg_monitor`,
//! `pg_signal_backend`; ownership of `public` and of the `supabase_realtime` publication;
//! all privileges on `auth`'s and `storage`'s tables but no `CREATE` in those schemas, whose
//! tables stay their administrators'. Supabase's supautils module lets `postgres` create the
//! extensions on Supabase's list, and manage policies and drop triggers on auth's and
//! storage's tables; event triggers in schema `strata_supabase` do the same here, for the
//! length of one command. Not the same: an extension created that way belongs to `postgres`
//! (to `supabase_admin` on Supabase); `CREATE EVENT TRIGGER` and superuser-only settings such
//! as `session_replication_role`, which supautils allows `postgres`, are refused here.
//!
//! Extensions that only Supabase ships (pg_net, pgsodium, pg_graphql...) cannot be installed
//! here; `strata_pg::setup::extension_advice` says, for a known extension, how to get it or
//! why it cannot be had.

/// The stand-in: one transaction, for a superuser, that can run again without changing
/// anything. It runs on PostgreSQL 13 and later.
pub const STANDIN_SQL: &str = include_str!("supabase.sql");

/// A relation this version of [`STANDIN_SQL`] creates: where it is missing, the stand-in is
/// not installed, or an older version is (installing this one over it is safe).
pub const STANDIN_MARKER: &str = "strata_supabase.installed_v2";

/// Whether migrations whose up sections are `texts` use what Supabase
/// provides (the `auth`, `storage`, `extensions`, `supabase_functions` or `vault`
/// schemas, or its roles), so
/// that a local or throwaway database needs the stand-in. A heuristic over
/// the text, erring towards installing, except that migrations which create
/// the `auth` schema themselves (a plain PostgreSQL project imitating
/// Supabase's `auth.users` for its own tests) bring their own: with the
/// stand-in, `auth` would be Supabase's and theirs would be refused.
pub fn used_by<'a>(texts: impl Iterator<Item = &'a str> + Clone) -> bool {
    let lowered = || {
        texts
            .clone()
            .map(|text| squeeze(&text.to_ascii_lowercase()))
    };
    let creates_auth = lowered().any(|text| {
        [
            "create schema auth",
            "create schema if not exists auth",
            "create schema \"auth\"",
            "create schema if not exists \"auth\"",
        ]
        .iter()
        .any(|own| {
            text.match_indices(own).any(|(at, _)| {
                // `create schema authz` is another schema.
                text[at + own.len()..]
                    .chars()
                    .next()
                    .is_none_or(|c| !(c.is_alphanumeric() || c == '_'))
            })
        })
    });
    !creates_auth && used_by_text(texts)
}

/// Runs of whitespace as one space.
fn squeeze(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn used_by_text<'a>(mut texts: impl Iterator<Item = &'a str>) -> bool {
    const MARKERS: &[&str] = &[
        "auth.",
        "storage.",
        "extensions.",
        " authenticated",
        " anon",
        "service_role",
        "supabase_functions.",
        "vault.",
    ];
    texts.any(|text| {
        let text = text.to_ascii_lowercase();
        MARKERS.iter().any(|marker| text.contains(marker))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_that_create_auth_themselves_need_no_stand_in() {
        let own = [
            "create extension pgcrypto;\nCREATE SCHEMA IF NOT EXISTS\n  auth;\ncreate table auth.users (id uuid primary key);",
        ];
        assert!(!used_by(own.iter().copied()));
        let supabase = ["create table public.profiles (id uuid references auth.users);"];
        assert!(used_by(supabase.iter().copied()));
        let other = [
            "create schema authz; create table authz.t (id int);",
            "grant select on x to anon;",
        ];
        assert!(used_by(other.iter().copied()));
    }

    #[test]
    fn the_sql_is_one_transaction() {
        let statements: Vec<&str> = STANDIN_SQL
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty() && !line.starts_with("--"))
            .collect();
        assert_eq!(statements.first(), Some(&"begin;"));
        assert_eq!(statements.last(), Some(&"commit;"));
    }
}
