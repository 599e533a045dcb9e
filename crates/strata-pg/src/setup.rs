//! Setting a database up before migrations run (the Supabase stand-in, say),
//! and what the platform a database stands for means for advice on its errors
//! ([`advice_for`]: the extension a server lacks and the package that has it,
//! statements only a superuser may run, Supabase's roles).

use tokio_postgres::Client;

use crate::error::{PgError, ServerError};
use crate::history::{exec, relation_exists};
use crate::migrator::advice;
use crate::sql::literal;

/// Runs `sql` (a script such as the Supabase stand-in) unless the relation
/// `marker` already exists, so the setup happens once per database. Returns
/// whether it ran.
pub async fn install_once(
    client: &Client,
    marker: &str,
    sql: &str,
    what: &str,
) -> Result<bool, PgError> {
    if relation_exists(client, marker, "cannot look for an installed setup").await? {
        return Ok(false);
    }
    client
        .batch_execute(sql)
        .await
        .map_err(|e| PgError::Server {
            context: format!("cannot install {what}"),
            error: Box::new(ServerError::from_driver(&e)),
        })?;
    Ok(true)
}

/// Creates extension `name` in schema `schema` unless it is there, when the
/// server has it (as `supabase test db` enables pgTAP before running tests);
/// returns whether the extension is there afterwards.
pub async fn create_extension_if_available(
    client: &Client,
    name: &str,
    schema: &str,
) -> Result<bool, PgError> {
    let rows = exec(
        client,
        &format!(
            "SELECT 1 FROM pg_available_extensions WHERE name = {}",
            literal(name)
        ),
        "cannot list the server's extensions",
    )
    .await?;
    if rows.is_empty() {
        return Ok(false);
    }
    exec(
        client,
        &format!(
            "CREATE EXTENSION IF NOT EXISTS {} WITH SCHEMA {}",
            crate::sql::ident(name),
            crate::sql::ident(schema)
        ),
        &format!("cannot create extension {name}"),
    )
    .await?;
    Ok(true)
}

/// Whose rules the database follows, for advice that depends on it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Platform {
    /// PostgreSQL, as far as strata knows.
    #[default]
    Plain,
    /// Supabase (a project with `compat = "supabase"` or Supabase's schemas): migrations
    /// run as Supabase's `postgres` role, which is not a superuser.
    Supabase,
}

/// strata's advice for a server error: what the message says where one SQLSTATE has several
/// causes (a missing extension, a statement that needs a superuser, a missing Supabase role),
/// else [`advice`] for the SQLSTATE.
pub fn advice_for(error: &ServerError, platform: Platform) -> Option<String> {
    if let Some(name) = missing_extension(&error.message)
        && let Some(text) = extension_advice(&name)
    {
        return Some(text);
    }
    if error.sqlstate == "42501" && needs_superuser(&error.message) {
        let event_trigger = error.message.contains("to create event trigger");
        return Some(match platform {
            Platform::Supabase if event_trigger => SUPABASE_EVENT_TRIGGER.to_owned(),
            Platform::Supabase => SUPABASE_NOT_SUPERUSER.to_owned(),
            Platform::Plain => NOT_SUPERUSER.to_owned(),
        });
    }
    if platform == Platform::Supabase
        && error.sqlstate == "42704"
        && let Some(role) = missing_role(&error.message)
        && SUPABASE_ROLES.contains(&role.as_str())
    {
        return Some(format!(
            "role `{role}` is one of the roles every Supabase database has (anon, \
             authenticated, service_role...): this database has not got it, so it is not a \
             Supabase database, or not one set up with Supabase's roles; check that the URL \
             or environment points at the Supabase project (its database's direct connection \
             or session pooler)"
        ));
    }
    advice(&error.sqlstate)
}

/// For a statement only a superuser may run, on PostgreSQL.
const NOT_SUPERUSER: &str = "this statement needs a superuser, and the role strata \
    connects as is not one: run it as a superuser outside the migrations (a one-off setup \
    step), or leave it out; managed services give no superuser at all";

/// For a statement only a superuser may run, in a Supabase project.
const SUPABASE_NOT_SUPERUSER: &str = "Supabase runs migrations as its `postgres` role, \
    which is not a superuser, so the platform refuses this statement too: server settings \
    (ALTER SYSTEM) are changed in the dashboard or with the Supabase CLI's config, extensions \
    are enabled with `create extension` (postgres may create the ones Supabase offers), and \
    C functions, untrusted languages, COPY ... PROGRAM or FROM a file and superuser roles \
    cannot be had on Supabase: rewrite the migration without it";

/// For `CREATE EVENT TRIGGER`, in a Supabase project.
const SUPABASE_EVENT_TRIGGER: &str = "Supabase lets its `postgres` role, which is not a \
    superuser, create event triggers through its supautils module, which strata's Supabase \
    stand-in cannot reproduce: prove this migration on Supabase's own Postgres (`[verify] \
    url` naming a supabase/postgres service container or a preview branch) or with the \
    Supabase CLI's local stack";

/// The roles of every Supabase database.
const SUPABASE_ROLES: [&str; 7] = [
    "anon",
    "authenticated",
    "service_role",
    "authenticator",
    "supabase_admin",
    "supabase_auth_admin",
    "supabase_storage_admin",
];

/// Whether a 42501 message is PostgreSQL refusing what only a superuser may do (rather
/// than a missing grant on an object).
fn needs_superuser(message: &str) -> bool {
    let message = message.to_ascii_lowercase();
    [
        "must be superuser",
        "permission denied to create extension",
        "permission denied for language",
        "permission denied to create event trigger",
        "permission denied to set parameter",
        "permission denied to alter role",
        "permission denied to create role",
        "permission denied to change",
        "to copy to or from an external program",
        "to copy to or from a file",
        "to copy to a file",
        "to copy from a file",
        "must have privileges of pg_execute_server_program",
        "only superusers",
    ]
    .iter()
    .any(|phrase| message.contains(phrase))
}

/// The role a `role "NAME" does not exist` message names.
fn missing_role(message: &str) -> Option<String> {
    let rest = message.strip_prefix("role \"")?;
    let name = &rest[..rest.find('"')?];
    rest[name.len()..]
        .starts_with("\" does not exist")
        .then(|| name.to_owned())
}

/// The extension a server error says this server lacks: `extension "vector" is not
/// available` (PostgreSQL 15 and later), `could not open extension control file
/// ".../vector.control"` (earlier).
pub fn missing_extension(message: &str) -> Option<String> {
    let lower = message.to_ascii_lowercase();
    let (marker, tail) = if lower.contains("could not open extension control file") {
        ("extension control file \"", ".control")
    } else if lower.contains("is not available") {
        ("extension \"", "")
    } else {
        return None;
    };
    let start = lower.find(marker)? + marker.len();
    let rest = &message[start..];
    let name = &rest[..rest.find('"')?];
    let name = name.rsplit('/').next().unwrap_or(name);
    Some(name.strip_suffix(tail).unwrap_or(name).to_owned())
}

/// What to tell someone whose migration needs extension `name` that the server lacks: the
/// Debian/Ubuntu package that provides it, or why nothing can. `None` for an extension
/// strata does not know.
///
/// Package names hold `<major>` for the server's major version (`postgresql-<major>-pgvector`);
/// a caller that knows the version replaces it.
pub fn extension_advice(name: &str) -> Option<String> {
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
             is that one), elsewhere install the contrib package (`postgresql-contrib` on \
             Fedora/RHEL)"
        ),
        Source::Vendor { package, from } => format!(
            "extension `{name}` is not installed on this PostgreSQL server and not packaged by \
             Debian/Ubuntu: install `{package}` from {from}"
        ),
        Source::SupabaseImage => format!(
            "extension `{name}` is built into Supabase's images and not packaged for \
             Debian/Ubuntu: strata's Supabase stand-in cannot provide it, nor can any local or \
             throwaway PostgreSQL, so migrations that create or use it can only be proven \
             on a server that has it, such as a Supabase branch or local stack"
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

    fn server_error(sqlstate: &str, message: &str) -> ServerError {
        ServerError {
            sqlstate: sqlstate.to_owned(),
            message: message.to_owned(),
            detail: None,
            hint: None,
            position: None,
        }
    }

    #[test]
    fn every_known_extension_is_listed_once() {
        let mut names: Vec<&str> = KNOWN_EXTENSIONS.iter().map(|(name, _)| *name).collect();
        let count = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), count, "a name is listed twice");
    }

    #[test]
    fn missing_extensions_are_read_from_both_messages() {
        assert_eq!(
            missing_extension("extension \"vector\" is not available").as_deref(),
            Some("vector")
        );
        assert_eq!(
            missing_extension(
                "could not open extension control file \"/usr/share/postgresql/13/extension/pg_net.control\": No such file or directory"
            )
            .as_deref(),
            Some("pg_net")
        );
        assert_eq!(missing_extension("relation \"t\" does not exist"), None);
    }

    #[test]
    fn missing_extensions_come_with_the_package() {
        let advice = |name: &str| extension_advice(name).unwrap_or_default();
        let vector = advice("vector");
        assert!(vector.contains("`vector`"), "{vector}");
        assert!(
            vector.contains("apt-get install postgresql-<major>-pgvector"),
            "{vector}"
        );
        assert!(advice("pg_cron").contains("postgresql-<major>-cron"));
        assert!(advice("http").contains("postgresql-<major>-http"));
        assert!(advice("PostGIS").contains("postgresql-<major>-postgis-3"));
        assert!(advice("\"uuid-ossp\"").contains("contrib"));
        for name in [
            "pg_net",
            "pgsodium",
            "pg_graphql",
            "pgjwt",
            "supabase_vault",
        ] {
            let text = advice(name);
            assert!(text.contains(&format!("`{name}`")), "{text}");
            assert!(text.contains("not packaged for Debian"), "{text}");
            assert!(text.contains("cannot provide it"), "{text}");
            assert!(text.contains("a server that has it"), "{text}");
            // No option to skip anything exists: the advice must not promise one.
            assert!(!text.contains("skip"), "{text}");
            assert!(!text.contains("apt-get"), "{text}");
        }
        assert_eq!(extension_advice("no_such_extension"), None);
        assert_eq!(extension_advice(""), None);

        let error = server_error("0A000", "extension \"vector\" is not available");
        assert_eq!(
            advice_for(&error, Platform::Plain),
            extension_advice("vector")
        );
    }

    #[test]
    fn superuser_statements_say_so_and_name_supabase_only_there() {
        for message in [
            "must be superuser to execute ALTER SYSTEM command",
            "permission denied to set parameter \"work_mem\"",
            "permission denied for language c",
            "permission denied to create extension \"adminpack\"",
            "must be superuser to alter superuser roles or change superuser attribute",
            "permission denied to create event trigger \"e\"",
            "must be superuser or have privileges of the pg_execute_server_program role to COPY to or from an external program",
        ] {
            let error = server_error("42501", message);
            let plain = advice_for(&error, Platform::Plain).unwrap_or_default();
            assert!(plain.contains("needs a superuser"), "{message}: {plain}");
            assert!(!plain.contains("Supabase"), "{message}: {plain}");
            let supabase = advice_for(&error, Platform::Supabase).unwrap_or_default();
            assert!(
                supabase.contains("`postgres` role, which is not a superuser"),
                "{message}: {supabase}"
            );
        }
        let error = server_error("42501", "permission denied to create event trigger \"e\"");
        let supabase = advice_for(&error, Platform::Supabase).unwrap_or_default();
        assert!(
            supabase.contains("on Supabase's own Postgres"),
            "{supabase}"
        );
        // A missing grant is not a superuser matter.
        let error = server_error("42501", "permission denied for table notes");
        assert_eq!(advice_for(&error, Platform::Supabase), advice("42501"));
    }

    #[test]
    fn a_missing_anon_role_says_the_database_is_not_supabase_in_a_supabase_project() {
        let error = server_error("42704", "role \"anon\" does not exist");
        let supabase = advice_for(&error, Platform::Supabase).unwrap_or_default();
        assert!(supabase.contains("not a Supabase database"), "{supabase}");
        assert_eq!(advice_for(&error, Platform::Plain), advice("42704"));
        let other = server_error("42704", "role \"reporting\" does not exist");
        assert_eq!(advice_for(&other, Platform::Supabase), advice("42704"));
    }
}
