//! A scratch database on a server the user provides (`[verify] url`,
//! `--verify-url`): for projects whose extensions this machine cannot run
//! (vector, http, pg_jsonschema), verify runs on a disposable server that has
//! them, such as a CI service container of Supabase's Postgres image.
//!
//! strata creates one database there, `strata_verify_<random>`, runs the
//! verification in it and drops it, whether verification passed, failed or
//! stopped with an error. Nothing else on the server is created or changed:
//! no role, no setting, no other database. A run killed before it could drop
//! its database leaves it behind; the next run names such leftovers (it does
//! not drop them: another run may be using one).
//!
//! In a Supabase project the server must be a Supabase database: the scratch
//! database is a copy of the database the URL names, where Supabase's image
//! keeps `auth`, `storage` and the rest, since strata never installs its
//! stand-in on a server it did not make. When the URL's role is a superuser
//! (`supabase_admin` on Supabase's image), migrations run as `postgres`, as on
//! the platform: the session starts with `role` set to `postgres`, so
//! superuser-only statements fail as Supabase refuses them.

use tokio_postgres::Client;

use crate::ServerError;
use crate::connect::{self, ConnectError, Target};
use crate::sql::{ident, literal};

/// Why a scratch database could not be made, used or dropped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ScratchError {
    /// The server cannot be reached or refused the login (already redacted).
    #[error("[verify] url: {0}")]
    Connect(#[from] ConnectError),
    /// The server refused a request.
    #[error("{context} on the verify server {server}: {error}{advice}")]
    Server {
        /// What strata was doing.
        context: String,
        /// The server, redacted.
        server: String,
        /// The server's error.
        error: Box<ServerError>,
        /// What to do about it, starting with `; `, or empty.
        advice: String,
    },
    /// A Supabase project's verify server is not a Supabase database.
    #[error(
        "[verify] url: {server} is not a Supabase database ({why}). A Supabase project \
         verifies on Supabase's Postgres (the supabase/postgres image as a CI service, or a \
         preview branch), where its migrations find Supabase's roles and schemas; without \
         [verify] url, strata verifies on a throwaway cluster of its own with its Supabase \
         stand-in"
    )]
    NotSupabase {
        /// The server, redacted.
        server: String,
        /// What it lacks.
        why: String,
    },
    /// The system's random source cannot be read.
    #[error("cannot read /dev/urandom: {0}")]
    Random(#[source] std::io::Error),
    /// The scratch database was not dropped after another failure.
    #[error("{first}; {then}")]
    Also {
        /// The first failure.
        first: Box<ScratchError>,
        /// The failed drop.
        then: Box<ScratchError>,
    },
}

type Result<T> = std::result::Result<T, ScratchError>;

/// The prefix of every scratch database's name.
const PREFIX: &str = "strata_verify_";

/// A scratch database, created; [`Scratch::remove`] drops it.
pub struct Scratch {
    /// A connection to another database of the server, for the create and drop.
    admin: Client,
    /// The scratch database's name.
    pub name: String,
    /// Where verification connects: the scratch database, as the role
    /// migrations run as.
    pub target: Target,
    /// The server as given, redacted, for messages.
    pub server: String,
    /// `SHOW server_version`.
    pub version: String,
    /// The major version.
    pub major: u32,
    /// The role migrations run as, when it is not the URL's own.
    pub run_as: Option<String>,
    /// Scratch databases that earlier runs left behind.
    pub leftovers: Vec<String>,
}

impl Scratch {
    /// Creates a scratch database on `target`'s server: empty (from
    /// `template1`) for a plain project, a copy of `target`'s database for a
    /// Supabase project, which must find Supabase's roles and schemas there.
    pub async fn create(target: &Target, supabase: bool) -> Result<Self> {
        let server = target.display();
        let source = target.dbname().unwrap_or("postgres").to_owned();
        // A database cannot be copied while other sessions are connected to
        // it; the admin connection, which stays open until the drop, goes to
        // another database so that it never counts as one of them.
        let admin_target = if supabase {
            target.with_dbname(if source == "postgres" {
                "template1"
            } else {
                "postgres"
            })
        } else {
            target.clone()
        };
        let admin = connect::connect(&admin_target, "strata verify").await?;
        let failed = |what: &str, e: &tokio_postgres::Error| ScratchError::Server {
            context: what.to_owned(),
            server: server.clone(),
            error: Box::new(ServerError::from_driver(e)),
            advice: String::new(),
        };
        let row = admin
            .query_one(
                "SELECT current_setting('server_version'), \
                 current_setting('server_version_num')::int, \
                 (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user), \
                 (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = 'postgres'), \
                 EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'anon'), \
                 ARRAY(SELECT datname::text FROM pg_catalog.pg_database \
                       WHERE datname LIKE 'strata\\_verify\\_%' ORDER BY datname)",
                &[],
            )
            .await
            .map_err(|e| failed("cannot read the server's version and roles", &e))?;
        let version: String = row.get(0);
        let version_num: i32 = row.get(1);
        let superuser: Option<bool> = row.get(2);
        let postgres_superuser: Option<bool> = row.get(3);
        let has_anon: bool = row.get(4);
        let leftovers: Vec<String> = row.get(5);
        let mut run_as = None;
        if supabase {
            if !has_anon {
                return Err(not_supabase(&server, "it has no role `anon`"));
            }
            let found = admin
                .query_one(
                    "SELECT count(*) FROM pg_catalog.pg_database WHERE datname = $1",
                    &[&source],
                )
                .await
                .map_err(|e| failed("cannot look for the database to copy", &e))?;
            if found.get::<_, i64>(0) == 0 {
                return Err(not_supabase(
                    &server,
                    &format!("it has no database `{source}` to copy"),
                ));
            }
            // As on the platform: migrations run as `postgres`, not a superuser.
            if superuser == Some(true) && postgres_superuser == Some(false) {
                run_as = Some("postgres".to_owned());
            }
        }
        let name = format!("{PREFIX}{}", random_suffix()?);
        let template = if supabase {
            format!(" TEMPLATE {}", ident(&source))
        } else {
            String::new()
        };
        admin
            .batch_execute(&format!("CREATE DATABASE {}{template}", ident(&name)))
            .await
            .map_err(|e| {
                let error = ServerError::from_driver(&e);
                ScratchError::Server {
                    context: format!("cannot create the scratch database {name}"),
                    server: server.clone(),
                    advice: create_advice(&error, &source),
                    error: Box::new(error),
                }
            })?;
        let scratch = Self {
            admin,
            target: {
                let target = target.with_dbname(&name);
                match &run_as {
                    Some(role) => target.with_startup_role(role),
                    None => target,
                }
            },
            name,
            server: server.clone(),
            version,
            major: u32::try_from(version_num / 10_000).unwrap_or(0),
            run_as,
            leftovers,
        };
        // Said on the database itself, for whoever finds it after a killed run.
        let mut setup = format!(
            "COMMENT ON DATABASE {} IS {};\n",
            ident(&scratch.name),
            literal("strata verify's scratch database: safe to drop when no strata verify runs")
        );
        let mut failure = None;
        if supabase {
            // A copy gets the contents, not the database's own privileges (Supabase grants
            // `postgres` CREATE on its database): grant what the original grants.
            match scratch.admin.query(GRANTS_OF_DATABASE, &[&source]).await {
                Ok(rows) => {
                    for row in rows {
                        setup.push_str(&format!(
                            "GRANT {} ON DATABASE {} TO {}{};\n",
                            row.get::<_, String>(0),
                            ident(&scratch.name),
                            row.get::<_, Option<String>>(1)
                                .map_or_else(|| "PUBLIC".to_owned(), |role| ident(&role)),
                            if row.get::<_, bool>(2) {
                                " WITH GRANT OPTION"
                            } else {
                                ""
                            }
                        ));
                    }
                }
                Err(e) => {
                    failure = Some(failed(
                        "cannot read the privileges of the copied database",
                        &e,
                    ))
                }
            }
        }
        if failure.is_none()
            && let Err(e) = scratch.admin.batch_execute(&setup).await
        {
            failure = Some(failed("cannot set up the scratch database", &e));
        }
        if let Some(error) = failure {
            return Err(match scratch.remove().await {
                Ok(()) => error,
                Err(then) => ScratchError::Also {
                    first: Box::new(error),
                    then: Box::new(then),
                },
            });
        }
        if supabase && let Err(error) = scratch.check_supabase_schemas().await {
            return Err(match scratch.remove().await {
                Ok(()) => error,
                Err(then) => ScratchError::Also {
                    first: Box::new(error),
                    then: Box::new(then),
                },
            });
        }
        Ok(scratch)
    }

    /// Refuses when the copied database lacks `auth`.
    async fn check_supabase_schemas(&self) -> Result<()> {
        let client = connect::connect(&self.target, "strata verify").await?;
        let found = client
            .query_one(
                "SELECT EXISTS (SELECT FROM pg_catalog.pg_namespace WHERE nspname = 'auth')",
                &[],
            )
            .await
            .map(|row| row.get::<_, bool>(0));
        drop(client);
        match found {
            Ok(true) => Ok(()),
            Ok(false) => Err(not_supabase(
                &self.server,
                "the database it names has no schema `auth`",
            )),
            Err(e) => Err(ScratchError::Server {
                context: "cannot read the scratch database's schemas".to_owned(),
                server: self.server.clone(),
                error: Box::new(ServerError::from_driver(&e)),
                advice: String::new(),
            }),
        }
    }

    /// Drops the scratch database, ending any session still in it.
    pub async fn remove(self) -> Result<()> {
        let drop = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", ident(&self.name));
        self.admin
            .batch_execute(&drop)
            .await
            .map_err(|e| ScratchError::Server {
                context: format!("cannot drop the scratch database {}", self.name),
                server: self.server.clone(),
                error: Box::new(ServerError::from_driver(&e)),
                advice: "; drop it by hand".to_owned(),
            })
    }
}

/// The privileges a database grants: privilege, grantee (`NULL`: PUBLIC), grantable.
const GRANTS_OF_DATABASE: &str = "SELECT a.privilege_type, r.rolname::text, a.is_grantable \
     FROM pg_catalog.pg_database d, pg_catalog.aclexplode(d.datacl) a \
     LEFT JOIN pg_catalog.pg_roles r ON r.oid = a.grantee \
     WHERE d.datname = $1 AND a.grantee <> d.datdba";

/// Why a Supabase project cannot verify on this server.
fn not_supabase(server: &str, why: &str) -> ScratchError {
    ScratchError::NotSupabase {
        server: server.to_owned(),
        why: why.to_owned(),
    }
}

/// Advice for a scratch database that could not be created.
fn create_advice(error: &ServerError, source: &str) -> String {
    match error.sqlstate.as_str() {
        // insufficient_privilege
        "42501" => format!(
            "; the URL's role needs CREATEDB, and to copy `{source}` (Supabase projects) it \
             must own it or be a superuser (supabase_admin on Supabase's image)"
        ),
        // object_in_use: others are connected to the database being copied.
        "55006" => format!(
            "; a copy needs `{source}` to have no other session: use a server only this job \
             uses (a CI service container), not one other services are connected to"
        ),
        _ => String::new(),
    }
}

/// 8 hexadecimal digits from the system's random source.
fn random_suffix() -> Result<String> {
    use std::io::Read as _;
    let mut bytes = [0_u8; 4];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .map_err(ScratchError::Random)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}
