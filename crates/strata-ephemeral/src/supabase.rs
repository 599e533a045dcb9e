//! The Supabase stand-in: what a Supabase project's migrations expect to find in its database.
//!
//! [`STANDIN_SQL`] creates, in one transaction, through whatever connection runs it (strata's
//! own: no client tools are needed), the roles (`anon`, `authenticated`,
//! `service_role`, `authenticator`, `supabase_admin`, `supabase_auth_admin`,
//! `supabase_storage_admin`, `dashboard_user`), the `extensions` schema with `uuid-ossp` and
//! `pgcrypto` on the database's search path, `auth.users` and `auth.identities` with
//! `auth.uid()`, `auth.role()`, `auth.email()` and `auth.jwt()`, `storage.buckets` and
//! `storage.objects` with their helper functions, the empty `supabase_realtime` publication,
//! and Supabase's default privileges in `public`, so that row-level security policies can be
//! tested by switching to `authenticated` with `request.jwt.claims` set, as PostgREST does.
//!
//! Extensions that only Supabase ships cannot be installed here;
//! [`missing_extension_advice`] says, for a known extension, how to get it or why it cannot be
//! had.

/// The stand-in: one transaction, for a superuser, that can run again without changing
/// anything. It runs on PostgreSQL 13 and later.
pub const STANDIN_SQL: &str = include_str!("supabase.sql");

/// Whether migrations whose up sections are `texts` use what Supabase
/// provides (the `auth`, `storage` or `extensions` schemas, or its roles), so
/// that a local or throwaway database needs the stand-in. A heuristic over
/// the text, erring towards installing: the stand-in is harmless where
/// nothing uses it.
pub fn used_by<'a>(mut texts: impl Iterator<Item = &'a str>) -> bool {
    const MARKERS: &[&str] = &[
        "auth.",
        "storage.",
        "extensions.",
        " authenticated",
        " anon",
        "service_role",
    ];
    texts.any(|text| {
        let text = text.to_ascii_lowercase();
        MARKERS.iter().any(|marker| text.contains(marker))
    })
}

/// What to tell someone whose migration needs extension `name` that the local server lacks:
/// the Debian/Ubuntu package that provides it, or why nothing can. `None` for an extension
/// this does not know.
///
/// Package names hold `<major>` for the server's major version (`postgresql-17-pgvector`).
pub fn missing_extension_advice(name: &str) -> Option<String> {
    let name = name.trim().trim_matches('"');
    let source = KNOWN_EXTENSIONS
        .iter()
        .find(|(known, _)| known.eq_ignore_ascii_case(name))
        .map(|(_, source)| *source)?;
    Some(match source {
        Source::Debian(package) => format!(
            "extension `{name}` is not installed on this PostgreSQL server: install \
             `postgresql-<major>-{package}` (`apt-get install postgresql-<major>-{package}` on \
             Debian/Ubuntu, with <major> the server's major version; older releases need the \
             PostgreSQL project's apt repository, apt.postgresql.org)"
        ),
        Source::Contrib => format!(
            "extension `{name}` is one of PostgreSQL's contrib modules, missing from this server: \
             on Debian/Ubuntu it comes with `postgresql-<major>` itself (check that the server \
             strata runs is that one), elsewhere install the contrib package \
             (`postgresql-contrib` on Fedora/RHEL)"
        ),
        Source::Vendor { package, from } => format!(
            "extension `{name}` is not installed on this PostgreSQL server and not packaged by \
             Debian/Ubuntu: install `{package}` from {from}"
        ),
        Source::SupabaseImage => format!(
            "extension `{name}` is built into Supabase's own images and not packaged for \
             Debian/Ubuntu: strata's Supabase stand-in cannot provide it; keep \
             `create extension if not exists {name}` and what depends on it in a migration of \
             its own, one that verify may skip"
        ),
    })
}

/// Where an extension comes from.
#[derive(Debug, Clone, Copy)]
enum Source {
    /// The Debian/Ubuntu package `postgresql-<major>-<this>`.
    Debian(&'static str),
    /// PostgreSQL's contrib modules.
    Contrib,
    /// A package from its vendor's repository.
    Vendor {
        package: &'static str,
        from: &'static str,
    },
    /// Built into Supabase's images, with no Debian/Ubuntu package.
    SupabaseImage,
}

/// Extensions Supabase offers (and a few more that migrations commonly need), by where they
/// come from.
const KNOWN_EXTENSIONS: &[(&str, Source)] = &[
    ("vector", Source::Debian("pgvector")),
    ("pg_cron", Source::Debian("cron")),
    ("http", Source::Debian("http")),
    ("postgis", Source::Debian("postgis-3")),
    ("postgis_raster", Source::Debian("postgis-3")),
    ("postgis_topology", Source::Debian("postgis-3")),
    ("postgis_sfcgal", Source::Debian("postgis-3")),
    ("postgis_tiger_geocoder", Source::Debian("postgis-3")),
    ("address_standardizer", Source::Debian("postgis-3")),
    ("address_standardizer_data_us", Source::Debian("postgis-3")),
    ("pgrouting", Source::Debian("pgrouting")),
    ("pgaudit", Source::Debian("pgaudit")),
    ("pg_repack", Source::Debian("repack")),
    ("pg_partman", Source::Debian("partman")),
    ("hypopg", Source::Debian("hypopg")),
    ("pgtap", Source::Debian("pgtap")),
    ("plpgsql_check", Source::Debian("plpgsql-check")),
    ("rum", Source::Debian("rum")),
    ("orafce", Source::Debian("orafce")),
    (
        "timescaledb",
        Source::Vendor {
            package: "timescaledb-2-postgresql-<major>",
            from: "Timescale's apt repository",
        },
    ),
    (
        "pgroonga",
        Source::Vendor {
            package: "postgresql-<major>-pgdg-pgroonga",
            from: "the Groonga project's apt repository",
        },
    ),
    ("pg_net", Source::SupabaseImage),
    ("pgsodium", Source::SupabaseImage),
    ("pg_graphql", Source::SupabaseImage),
    ("pgjwt", Source::SupabaseImage),
    ("supabase_vault", Source::SupabaseImage),
    ("pg_jsonschema", Source::SupabaseImage),
    ("wrappers", Source::SupabaseImage),
    ("index_advisor", Source::SupabaseImage),
    ("pg_hashids", Source::SupabaseImage),
    ("pg_tle", Source::SupabaseImage),
    ("plv8", Source::SupabaseImage),
    ("amcheck", Source::Contrib),
    ("autoinc", Source::Contrib),
    ("bloom", Source::Contrib),
    ("btree_gin", Source::Contrib),
    ("btree_gist", Source::Contrib),
    ("citext", Source::Contrib),
    ("cube", Source::Contrib),
    ("dblink", Source::Contrib),
    ("dict_int", Source::Contrib),
    ("dict_xsyn", Source::Contrib),
    ("earthdistance", Source::Contrib),
    ("file_fdw", Source::Contrib),
    ("fuzzystrmatch", Source::Contrib),
    ("hstore", Source::Contrib),
    ("insert_username", Source::Contrib),
    ("intarray", Source::Contrib),
    ("isn", Source::Contrib),
    ("lo", Source::Contrib),
    ("ltree", Source::Contrib),
    ("moddatetime", Source::Contrib),
    ("pageinspect", Source::Contrib),
    ("pg_buffercache", Source::Contrib),
    ("pg_freespacemap", Source::Contrib),
    ("pg_prewarm", Source::Contrib),
    ("pg_stat_statements", Source::Contrib),
    ("pg_trgm", Source::Contrib),
    ("pg_visibility", Source::Contrib),
    ("pg_walinspect", Source::Contrib),
    ("pgcrypto", Source::Contrib),
    ("pgrowlocks", Source::Contrib),
    ("pgstattuple", Source::Contrib),
    ("postgres_fdw", Source::Contrib),
    ("refint", Source::Contrib),
    ("seg", Source::Contrib),
    ("sslinfo", Source::Contrib),
    ("tablefunc", Source::Contrib),
    ("tcn", Source::Contrib),
    ("tsm_system_rows", Source::Contrib),
    ("tsm_system_time", Source::Contrib),
    ("unaccent", Source::Contrib),
    ("uuid-ossp", Source::Contrib),
    ("xml2", Source::Contrib),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_known_extension_is_listed_once() {
        let mut names: Vec<&str> = KNOWN_EXTENSIONS.iter().map(|(name, _)| *name).collect();
        let count = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), count, "a name is listed twice");
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
