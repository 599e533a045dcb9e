//! Where a command connects, and why: an `--url`, an environment of
//! `strata.toml`, `DATABASE_URL` (from the process or `.env`), `PG*`
//! variables, or, with none of them, the project's local PostgreSQL, which is
//! started for the command and stopped after it unless `strata local start`
//! pinned it.

use std::time::Duration;

use strata_core::MigrationSet;
use strata_core::directive::parse_duration;
use strata_ephemeral::LocalCluster;
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
}

impl Drop for LocalGuard {
    fn drop(&mut self) {
        // A drop has no caller to return to: the command's own outcome
        // stands, and the person is told the server may still run.
        if !self.cluster.is_pinned()
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
        let dotenv =
            connect::load_dotenv(&project.root).map_err(|e| Error::input(e.to_string()))?;
        let vars = connect::vars_with_dotenv(dotenv);
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
        let local_database = resolved.is_none();
        let (target, local) = match resolved {
            Some(target) => (target, None),
            None => {
                let cluster = LocalCluster::open(&project.root)?;
                let (port, started) = cluster.ensure_running()?;
                let url = cluster.url(port, "postgres");
                let target = Target::parse(&url, Source::Other("local".to_owned()), None, &vars)
                    .map_err(|e| Error::Connect(e.to_string()))?;
                (target, started.then_some(LocalGuard { cluster }))
            }
        };
        let client = connect::connect(&target, "strata")
            .await
            .map_err(|e| Error::Connect(target.redact(&e.to_string())))?;
        if let Purpose::Run(set) = purpose
            && local_database
            && project.needs_supabase(set)
        {
            install_standin(&client, "the local database").await?;
        }
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

/// Installs the Supabase stand-in through strata's own connection, once per
/// database: the one way it is installed, into the local database and into
/// verify's throwaway one alike.
pub(crate) async fn install_standin(client: &tokio_postgres::Client, into: &str) -> Result<()> {
    strata_pg::setup::install_once(
        client,
        "auth.users",
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
