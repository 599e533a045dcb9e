//! Opening a database for a command: where, how, with which settings.

use std::time::Duration;

use strata_core::MigrationSet;
use strata_core::directive::parse_duration;
use strata_ephemeral::LocalCluster;
use strata_pg::connect::{self, Inputs, Source, Target};
use strata_pg::{Migrator, Settings};

use crate::args::{Global, LockArgs};
use crate::project::{Project, usage};

/// A connected migrator plus what is needed to talk about it.
pub struct Db {
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
        if !self.cluster.is_pinned()
            && let Err(e) = self.cluster.stop()
        {
            crate::render::warning(&format!("cannot stop the local PostgreSQL: {e}"));
        }
    }
}

impl Db {
    /// Masks the password in anything about to be printed.
    pub fn redact(&self, text: &str) -> String {
        self.target.redact(text)
    }

    /// A redacting function that does not borrow `self` (so the migrator stays usable).
    pub fn redactor(&self) -> impl Fn(&str) -> String + use<> {
        let secrets = self.target.secrets();
        move |text: &str| {
            let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
            connect::redact(text, &secrets)
        }
    }
}

/// A single-threaded tokio runtime for one command.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}

/// Resolves the target from flags, `strata.toml`, `.env` and the environment, and connects.
/// `set` is given by commands that run the migrations' SQL: when the target is
/// the local database and they use Supabase's schemas or roles, the Supabase
/// stand-in is installed there first. Commands that only read history
/// (`status`, `log`, `lint --pending`) pass `None`.
pub async fn open(
    project: &Project,
    global: &Global,
    lock: &LockArgs,
    set: Option<&MigrationSet>,
) -> anyhow::Result<Db> {
    let dotenv = connect::load_dotenv(&project.root).map_err(|e| usage(e.to_string()))?;
    let vars = connect::vars_with_dotenv(dotenv);
    let inputs = Inputs {
        url: global.url.as_deref(),
        env: global.env.as_deref(),
        config: &project.config,
        vars: &vars,
    };
    let resolved = if global.local {
        None
    } else {
        connect::resolve(&inputs).map_err(|e| usage(e.to_string()))?
    };
    let local_database = resolved.is_none();
    let (target, local) = match resolved {
        Some(target) => (target, None),
        None => {
            // No database given: the project's embedded local PostgreSQL.
            let cluster = LocalCluster::open(&project.root)?;
            let (port, started) = cluster.ensure_running()?;
            let url = cluster.url(port, "postgres");
            let target = Target::parse(&url, Source::Other("local".to_owned()), None, &vars)
                .map_err(|e| anyhow::anyhow!(e.to_string()))?;
            (target, started.then_some(LocalGuard { cluster }))
        }
    };
    let client = connect::connect(&target, "strata")
        .await
        .map_err(|e| anyhow::anyhow!(target.redact(&e.to_string())))?;
    let needs_supabase = local_database
        && set.is_some_and(|set| crate::commands::verify::needs_supabase(project, set));
    if needs_supabase {
        strata_pg::setup::install_once(
            &client,
            "auth.users",
            strata_ephemeral::supabase::STANDIN_SQL,
            "the Supabase stand-in in the local database",
        )
        .await?;
    }
    let environment = global
        .env
        .as_deref()
        .and_then(|name| project.config.environments.get(name));
    let mut settings = Settings {
        schema: project.config.history.schema.clone(),
        pooler: target.pooler(),
        os_user: os_user(),
        ..Settings::default()
    };
    if let Some(env) = environment {
        if env.lock_timeout.is_some() {
            settings.lock_timeout = env.lock_timeout();
        }
        if env.statement_timeout.is_some() {
            settings.statement_timeout = env.statement_timeout();
        }
    }
    if let Some(wait) = &lock.lock_wait {
        settings.lock_wait = parse_duration(wait)
            .map_err(|e| usage(format!("--lock-wait: {e}")))
            .map(|d| {
                if d.is_zero() {
                    Duration::from_millis(1)
                } else {
                    d
                }
            })?;
    }
    Ok(Db {
        migrator: Migrator::new(client, settings),
        target,
        _local: local,
    })
}

/// Loads and validates the migrations; problems stop the command before it connects.
pub fn load_valid(project: &Project) -> anyhow::Result<MigrationSet> {
    let set = project.load();
    let problems = strata_sql::check::validate(&set);
    if problems.iter().any(strata_core::Diagnostic::is_error) {
        let mut out = anstream::stderr().lock();
        crate::render::problems(&mut out, &problems)?;
        return Err(usage(format!(
            "{} has problems (listed above); nothing was run (see `strata validate`)",
            set.dir.display()
        )));
    }
    Ok(set)
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

/// Loads the migrations without parsing their SQL (for read-only commands such
/// as `status`, which only compare files and history): file-level problems
/// (names, layouts, encodings) still stop the command.
pub fn load_files(project: &Project) -> anyhow::Result<MigrationSet> {
    let set = project.load();
    if set.has_errors() {
        let mut out = anstream::stderr().lock();
        crate::render::problems(&mut out, set.problems.iter().filter(|p| p.is_error()))?;
        return Err(usage(format!(
            "{} has problems (listed above); see `strata validate`",
            set.dir.display()
        )));
    }
    Ok(set)
}
