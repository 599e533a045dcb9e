//! Where a command connects, and why: an `--url`, an environment of
//! `strata.toml`, `DATABASE_URL` (from the process or `.env`), `PG*`
//! variables, or, with none of them, the project's local PostgreSQL, which is
//! started for the command and stopped after it unless `strata local start`
//! pinned it.
//!
//! A Supabase project's local database is made with Supabase's roles: the
//! stand-in is installed by the superuser `supabase_admin`, and commands
//! connect as `postgres`, which is not a superuser, as on the platform. A
//! local database made before strata did that keeps `postgres` a superuser
//! (PostgreSQL cannot demote the user that made the cluster); commands that
//! run migrations there say so, and `strata local reset` makes it anew.

use std::time::Duration;

use strata_core::MigrationSet;
use strata_core::directive::parse_duration;
use strata_ephemeral::{LocalCluster, Roles};
use strata_pg::connect::{self, Inputs, Source, Target};
use strata_pg::{Migrator, Settings};

use crate::error::{Error, Result};
use crate::project::Project;

/// Where to connect, as the command line says it.
#[derive(Clone, Debug, Default)]
pub struct Connect {
    /// A connection URL (`--url`).
    pub url: Option<String>,
    /// An environment of `strata.toml` (`--env`).
    pub env: Option<String>,
    /// The project's local PostgreSQL, whatever else is set (`--local`).
    pub local: bool,
    /// How long to wait for the migration lock (`--lock-wait`, e.g. `30s`).
    pub lock_wait: Option<String>,
}

/// A connected migrator and what is needed to talk about where it is.
pub struct Session {
    /// The migrator.
    pub migrator: Migrator,
    /// Where it is connected (for redaction and messages).
    pub target: Target,
    /// The local cluster this command started, stopped again when done.
    _local: Option<LocalGuard>,
}

/// Stops the local cluster on drop when this command started it and
/// `strata local start` did not ask to keep it running.
struct LocalGuard {
    cluster: LocalCluster,
    /// Leave the server running after all (`strata local url`).
    keep: bool,
}

impl Drop for LocalGuard {
    fn drop(&mut self) {
        // A drop has no caller to return to: the command's own outcome
        // stands, and the person is told the server may still run.
        if !self.keep
            && !self.cluster.is_pinned()
            && let Err(e) = self.cluster.stop()
        {
            eprintln!("warning: cannot stop the local PostgreSQL: {e}");
        }
    }
}

/// Which migrations a session is opened for.
#[derive(Clone, Copy)]
pub enum Purpose<'a> {
    /// Commands that run the migrations' SQL: when the target is the local
    /// database and they use Supabase's schemas or roles, the Supabase
    /// stand-in is installed there first.
    Run(&'a MigrationSet),
    /// Commands that only read or write history (`status`, `log`).
    History,
}

impl Session {
    /// Resolves the target from the options, `strata.toml`, `.env` and the
    /// environment, and connects.
    pub async fn open(project: &Project, how: &Connect, purpose: Purpose<'_>) -> Result<Self> {
        let vars = variables(project)?;
        let inputs = Inputs {
            url: how.url.as_deref(),
            env: how.env.as_deref(),
            config: &project.config,
            vars: &vars,
        };
        let resolved = if how.local {
            None
        } else {
            connect::resolve(&inputs).map_err(|e| Error::input(e.to_string()))?
        };
        let (target, local) = match resolved {
            Some(target) => (target, None),
            None => {
                let supabase = match purpose {
                    Purpose::Run(set) => project.needs_supabase(set),
                    Purpose::History => project.needs_supabase(&project.load()),
                };
                let local = open_local(project, supabase).await?;
                if matches!(purpose, Purpose::Run(_)) && local.superuser_postgres {
                    eprintln!("{LEGACY_LOCAL_NOTE}");
                }
                let target =
                    Target::parse(&local.url, Source::Other("local".to_owned()), None, &vars)
                        .map_err(|e| Error::Connect(e.to_string()))?;
                (target, local.guard)
            }
        };
        // Connected only now, after `open_local` installed the stand-in: the settings it
        // makes (the database's search_path, with `extensions` for `uuid_generate_v4()` and
        // `gen_random_bytes()`) apply to sessions that begin after them, never to one
        // already open.
        let client = connect::connect(&target, "strata")
            .await
            .map_err(|e| Error::Connect(target.redact(&e.to_string())))?;
        let settings = settings(project, how, &target)?;
        Ok(Self {
            migrator: Migrator::new(client, settings),
            target,
            _local: local,
        })
    }

    /// Masks the password in anything about to be shown.
    pub fn redact(&self, text: &str) -> String {
        self.target.redact(text)
    }

    /// A redacting function that does not borrow `self`, so the migrator
    /// stays usable.
    pub fn redactor(&self) -> impl Fn(&str) -> String + use<> {
        let secrets = self.target.secrets();
        move |text: &str| {
            let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
            connect::redact(text, &secrets)
        }
    }
}

/// The variables a URL of `strata.toml` may use: the process environment,
/// merged with the project's `.env`.
pub(crate) fn variables(project: &Project) -> Result<impl Fn(&str) -> Option<String> + use<>> {
    let dotenv = connect::load_dotenv(&project.root).map_err(|e| Error::input(e.to_string()))?;
    Ok(connect::vars_with_dotenv(dotenv))
}

/// What a command says when it runs a Supabase project's migrations on a
/// local database whose `postgres` is still a superuser.
const LEGACY_LOCAL_NOTE: &str = "note: this project's local database was made before strata \
ran Supabase migrations as Supabase's `postgres` role, which is not a superuser; here \
`postgres` is one, so a migration the platform refuses can still pass locally (`strata \
verify` runs them as on Supabase). `strata local reset` makes the local database anew with \
Supabase's roles (its data is lost).";

/// The project's local database, running, set up for the command.
pub(crate) struct Local {
    /// Where commands connect: as `postgres`.
    pub(crate) url: String,
    /// Stops the server after the command when this started it.
    guard: Option<LocalGuard>,
    /// A Supabase project's database made before Supabase's roles: its
    /// `postgres` is the superuser.
    pub(crate) superuser_postgres: bool,
}

impl Local {
    /// Whether this command started the server.
    pub(crate) fn started(&self) -> bool {
        self.guard.is_some()
    }

    /// Leaves the server running when the command ends, even if it started it.
    pub(crate) fn keep_running(&mut self) {
        if let Some(guard) = &mut self.guard {
            guard.keep = true;
        }
    }
}

/// Starts the project's local database if needed (made, when it does not
/// exist, with Supabase's roles for a Supabase project), and installs the
/// Supabase stand-in where it is needed: always in a database made with
/// Supabase's roles (its `postgres` has what the stand-in grants), as the
/// superuser; in an older one, when the project is a Supabase project. The
/// stand-in goes in through a connection of its own, dropped before this
/// returns: connect to [`Local::url`] afterwards, so that the session sees the
/// database settings the stand-in made.
pub(crate) async fn open_local(project: &Project, supabase: bool) -> Result<Local> {
    let wanted = if supabase {
        Roles::Supabase
    } else {
        Roles::Plain
    };
    let cluster = LocalCluster::open(&project.root)?.when_created(wanted);
    let (port, started) = cluster.ensure_running()?;
    let roles = cluster.roles();
    let url = cluster.url(port, "postgres");
    let standin_url = match roles {
        Roles::Supabase => Some(cluster.admin_url(port, "postgres")),
        _ if supabase => Some(url.clone()),
        _ => None,
    };
    // From here on, a failure stops the server this command started, and only that one: a
    // guard stops the server when it is dropped, so one made (and dropped) for a server that
    // was already running would stop it under whoever uses it (`strata local url` hands it
    // to other tools).
    let guard = if started {
        Some(LocalGuard {
            cluster,
            keep: false,
        })
    } else {
        None
    };
    if let Some(admin) = standin_url {
        let client = connect_to_own(&admin, "local", "strata").await?;
        install_standin(&client, "the local database").await?;
    }
    Ok(Local {
        url,
        guard,
        superuser_postgres: supabase && roles != Roles::Supabase,
    })
}

/// A connection to a server strata runs itself (the local database, verify's
/// throwaway cluster), by the URL it made: `what` names it in messages, whose
/// password is masked.
pub(crate) async fn connect_to_own(
    url: &str,
    what: &str,
    application_name: &str,
) -> Result<tokio_postgres::Client> {
    let target = Target::parse(url, Source::Other(what.to_owned()), None, &|_| None)
        .map_err(|e| Error::Connect(e.to_string()))?;
    connect::connect(&target, application_name)
        .await
        .map_err(|e| Error::Connect(target.redact(&e.to_string())))
}

/// Installs the Supabase stand-in through strata's own connection (as a
/// superuser), once per database and version of the stand-in: the one way it
/// is installed, into the local database and into verify's throwaway one
/// alike.
pub(crate) async fn install_standin(client: &tokio_postgres::Client, into: &str) -> Result<()> {
    strata_pg::setup::install_once(
        client,
        strata_ephemeral::supabase::STANDIN_MARKER,
        strata_ephemeral::supabase::STANDIN_SQL,
        &format!("the Supabase stand-in in {into}"),
    )
    .await
    .map(drop)
    .map_err(|e| Error::Database(e.to_string()))
}

/// The migrator's settings: the history schema, the environment's timeouts,
/// `--lock-wait`, the pooler the target declares, and in a Supabase project
/// (`compat = "supabase"`) the Supabase CLI's history kept in step.
fn settings(project: &Project, how: &Connect, target: &Target) -> Result<Settings> {
    let mut settings = Settings {
        schema: project.config.history.schema.clone(),
        pooler: target.pooler(),
        os_user: os_user(),
        supabase_history: project.config.compat == Some(strata_core::config::Compat::Supabase),
        platform: if project.config.compat == Some(strata_core::config::Compat::Supabase) {
            strata_pg::setup::Platform::Supabase
        } else {
            strata_pg::setup::Platform::Plain
        },
        ..Settings::default()
    };
    let environment = how
        .env
        .as_deref()
        .and_then(|name| project.config.environments.get(name));
    if let Some(env) = environment {
        if env.lock_timeout.is_some() {
            settings.lock_timeout = env.lock_timeout();
        }
        if env.statement_timeout.is_some() {
            settings.statement_timeout = env.statement_timeout();
        }
    }
    if let Some(wait) = &how.lock_wait {
        let wait = parse_duration(wait).map_err(|e| Error::input(format!("--lock-wait: {e}")))?;
        // Zero means "do not wait": the shortest wait the lock loop knows.
        settings.lock_wait = wait.max(Duration::from_millis(1));
    }
    Ok(settings)
}

/// A single-threaded tokio runtime for one command.
pub fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::io("cannot start the async runtime", e))
}

/// The operating-system user, for history rows: `$USER`, `$LOGNAME`, else the
/// account of the process's uid (containers often set neither variable).
fn os_user() -> Option<String> {
    std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .ok()
        .filter(|u| !u.is_empty())
        .or_else(|| {
            nix::unistd::User::from_uid(nix::unistd::getuid())
                .ok()
                .flatten()
                .map(|u| u.name)
        })
}
