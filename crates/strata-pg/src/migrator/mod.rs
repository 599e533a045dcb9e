//! The executor: an orchestrator over small verbs.
//!
//! [`Migrator`] holds one connection and drives a run: `migrate`, `rollback`,
//! `repair`, `baseline`, and what `status` reads. Its parts, one file each:
//!
//! - `lock`: the migration lock (a session advisory lock, or one per
//!   transaction through a transaction pooler) and who holds it;
//! - `session`: what strata may do with the server session apart from the
//!   lock (settings, a reset between migrations, naming its backend), none of
//!   which a session lent by a transaction pooler allows;
//! - `verbs`: the history writes, named (claim, progress, finish, withdraw,
//!   stop, record done, forget, events), next to the SQL of their tables;
//! - `runner`: the one section runner apply and undo share, transactional
//!   (one round trip: body and history row commit together or not at all) or
//!   statement by statement (a claimed row that says how far it got);
//! - `inspect`: what the catalog says about a run that was cut off;
//! - `failure`: server errors located in their files, advice, notes;
//! - `rollback`, `repair`, `baseline`: planning and running those commands.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use strata_core::config::Pooler;
pub use strata_core::plan::Direction;
use strata_core::plan::{AppliedRecord, Blocker, plan_migrate};
use strata_core::{Migration, MigrationSet, Version};
use strata_sql::ParsedSet;
use tokio_postgres::Client;

use crate::error::{LockHolder, PgError, PoolerEvidence, Refusal};

mod baseline;
mod failure;
mod inspect;
mod lock;
mod repair;
mod rollback;
mod runner;
mod session;
mod verbs;

use crate::history::{self, exec};
use crate::sql::ident;
pub use baseline::{Baseline, ReadFile};
pub use failure::advice;
use failure::*;
use inspect::*;
pub use inspect::{HistoryMismatch, RecordedBy};
use lock::*;
pub use rollback::{DownSource, RollbackStep};
use session::*;
use verbs::*;

/// How a migrator behaves.
#[derive(Clone, Debug)]
pub struct Settings {
    /// The history schema.
    pub schema: String,
    /// Direct/session pooling, or a transaction-mode pooler.
    pub pooler: Pooler,
    /// `lock_timeout` for migrations without their own (default 5 s).
    pub lock_timeout: Option<Duration>,
    /// `statement_timeout` for migrations without their own (default none).
    pub statement_timeout: Option<Duration>,
    /// How long to wait for another migrator's lock.
    pub lock_wait: Duration,
    /// This strata's version, recorded in history.
    pub tool_version: String,
    /// The operating-system user, recorded in history.
    pub os_user: Option<String>,
    /// `client_connection_check_interval` asked of the server (PostgreSQL 14
    /// and later, session mode): a backend whose strata died stops its
    /// statement, and lets go of the migration lock, within this interval
    /// instead of running on. `None` leaves the server's setting.
    pub client_check_interval: Option<Duration>,
    /// How long past a statement's `statement_timeout` strata waits for an
    /// answer before it calls the connection stalled (a proxy that keeps the
    /// socket open but forwards nothing, which keepalives cannot see).
    pub deadline_grace: Duration,
    /// Keep the Supabase CLI's history (`supabase_migrations.schema_migrations`)
    /// in step with strata's: created with the history, a row written with
    /// every migration applied and removed with every one rolled back, in the
    /// transaction that writes strata's own row. For Supabase projects.
    pub supabase_history: bool,
    /// The platform the project targets, whose wording failures' advice uses
    /// (Supabase's roles and `postgres` are named only for Supabase projects).
    pub platform: crate::setup::Platform,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            schema: "strata".to_owned(),
            pooler: Pooler::Session,
            lock_timeout: Some(Duration::from_secs(5)),
            statement_timeout: None,
            lock_wait: Duration::from_secs(60),
            tool_version: env!("CARGO_PKG_VERSION").to_owned(),
            os_user: None,
            client_check_interval: Some(Duration::from_secs(5)),
            deadline_grace: Duration::from_secs(30),
            supabase_history: false,
            platform: crate::setup::Platform::Plain,
        }
    }
}

/// Hooks for showing progress; every method has a do-nothing default.
pub trait Progress: Send {
    /// The lock is held by someone else; strata waits.
    fn lock_waiting(&mut self, _holder: Option<&LockHolder>) {}
    /// The lock is held and the plan made: this many migrations will run.
    fn planned(&mut self, _count: usize) {}
    /// Something the person running strata should know, that does not stop the run.
    fn warning(&mut self, _message: &str) {}
    /// A migration starts.
    fn started(&mut self, _migration: &Migration, _direction: Direction) {}
    /// A migration finished.
    fn finished(&mut self, _migration: &Migration, _direction: Direction, _took: Duration) {}
}

/// Progress that shows nothing.
#[derive(Debug, Default)]
pub struct Quiet;

impl Progress for Quiet {}

/// One migration applied or rolled back.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
pub struct Done {
    /// The version.
    pub version: String,
    /// The name.
    pub name: String,
    /// Up or down.
    pub direction: Direction,
    /// Milliseconds, as measured by strata.
    pub duration_ms: u128,
    /// Another migrator had already applied it (transaction-pooler mode).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub skipped: bool,
}

/// The result of a run: what was done, and the error that stopped it.
#[derive(Debug, serde::Serialize)]
pub struct RunReport {
    /// Migrations applied or rolled back, in order.
    pub done: Vec<Done>,
    /// What stopped the run, if anything did.
    #[serde(skip)]
    pub error: Option<PgError>,
}

/// What `strata status` reads from a live database: see [`Migrator::health`].
#[derive(Debug)]
pub struct Health {
    /// The history, failed rows explained.
    pub records: Vec<AppliedRecord>,
    /// INVALID indexes (errors) and unvalidated constraints (warnings).
    pub invalid: Vec<crate::checks::CatalogFinding>,
    /// With [`Settings::supabase_history`], the Supabase CLI's history (empty
    /// when its table does not exist); `None` otherwise. Compared with
    /// `records` by [`Health::supabase_mismatches`].
    pub supabase: Option<Vec<history::SupabaseRecord>>,
}

/// Options of `strata migrate`.
#[derive(Clone, Debug, Default)]
pub struct MigrateOptions {
    /// Stop after this version.
    pub to: Option<Version>,
    /// Apply pending migrations older than the newest applied one.
    pub allow_out_of_order: bool,
}

/// Which migrations `strata rollback` undoes.
#[derive(Clone, Debug)]
pub enum RollbackTarget {
    /// The newest N applied migrations.
    Steps(usize),
    /// Everything applied above this version.
    To(Version),
}

/// The `strata repair` actions.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Repair {
    /// Record as applied without running it (also finishes a failed one).
    MarkApplied(Version),
    /// Remove from history without running its down.
    MarkRolledBack(Version),
    /// Record the file's current up checksum.
    AcceptChecksum(Version),
    /// Remove a failed row so the migration runs again.
    ClearFailed(Version),
}

/// A connection that migrates.
pub struct Migrator {
    client: Client,
    settings: Settings,
    /// The migration lock: held for the run or taken by every transaction,
    /// chosen once from `settings.pooler`, as is `session`.
    lock: Lock,
    session: Session,
    /// The connection broke or stalled during a migration: nothing more is
    /// sent on it (not even the unlock, which would wait on a stalled one).
    broken: AtomicBool,
}

impl std::fmt::Debug for Migrator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Migrator")
            .field("settings", &self.settings)
            .field("locked", &self.lock.held())
            .finish_non_exhaustive()
    }
}

impl Migrator {
    /// Wraps a connected client.
    pub fn new(client: Client, settings: Settings) -> Self {
        let lock = Lock::new(settings.pooler, &settings.schema, settings.lock_wait);
        let session = Session::new(settings.pooler);
        Self {
            client,
            settings,
            lock,
            session,
            broken: AtomicBool::new(false),
        }
    }

    /// The settings in use.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The underlying client (for callers' own read-only queries).
    pub fn client(&self) -> &Client {
        &self.client
    }

    fn schema(&self) -> String {
        ident(&self.settings.schema)
    }

    /// Bounds one of strata's own exchanges (lock, history, bookkeeping) by
    /// `lock_wait` plus the grace period: none takes longer on a connection
    /// that works, and a stalled one must not hang strata.
    async fn own<T>(
        &self,
        exchange: impl Future<Output = Result<T, PgError>>,
    ) -> Result<T, PgError> {
        if self.broken.load(Ordering::Relaxed) {
            return Err(PgError::Stalled {
                after: Duration::ZERO,
            });
        }
        let after = self
            .settings
            .lock_wait
            .saturating_add(self.settings.deadline_grace);
        match tokio::time::timeout(after, exchange).await {
            Ok(result) => result,
            Err(_) => {
                self.broken.store(true, Ordering::Relaxed);
                Err(PgError::Stalled { after })
            }
        }
    }

    /// [`exec`] under [`Migrator::own`]'s deadline.
    async fn exec(
        &self,
        sql: &str,
        context: &str,
    ) -> Result<Vec<tokio_postgres::SimpleQueryRow>, PgError> {
        self.own(exec(&self.client, sql, context)).await
    }

    /// Creates the history tables if needed; refuses a newer format. With
    /// [`Settings::supabase_history`], also the Supabase CLI's history table,
    /// as the CLI creates it.
    pub async fn ensure_history(&self) -> Result<(), PgError> {
        let found = self
            .own(history::format(&self.client, &self.settings.schema))
            .await?;
        history::check_format(&self.settings.schema, found)?;
        let (sql, context) = match found {
            None => (
                history::create_sql(&self.settings.schema),
                "cannot create the history tables",
            ),
            Some(format) if format < history::HISTORY_FORMAT => (
                history::upgrade_sql(&self.settings.schema, format),
                "cannot upgrade the history tables",
            ),
            Some(_) => (
                String::new(),
                "cannot create the Supabase CLI's history table (supabase_migrations.schema_migrations)",
            ),
        };
        let supabase = if self.settings.supabase_history {
            history::SUPABASE_CREATE_SQL
        } else {
            ""
        };
        if sql.is_empty() && supabase.is_empty() {
            return Ok(());
        }
        // Created or upgraded in one transaction: a history is never half-made.
        let sql = format!(
            "BEGIN;\n{}{sql}\n{supabase}COMMIT;",
            self.lock.transaction_prefix()
        );
        if let Err(e) = self.exec(&sql, context).await {
            let _ = self.client.simple_query("ROLLBACK").await;
            return Err(e);
        }
        Ok(())
    }

    /// The recorded history (empty when strata never ran here).
    pub async fn history(&self) -> Result<Vec<AppliedRecord>, PgError> {
        self.own(history::read(&self.client, &self.settings.schema))
            .await
    }

    /// The newest events, newest first.
    pub async fn events(&self, limit: u32) -> Result<Vec<history::Event>, PgError> {
        self.own(history::events(&self.client, &self.settings.schema, limit))
            .await
    }

    /// `strata migrate`: lock, check, apply every pending migration in order.
    pub async fn migrate(
        &mut self,
        set: &ParsedSet,
        options: &MigrateOptions,
        progress: &mut dyn Progress,
    ) -> RunReport {
        let mut report = RunReport {
            done: Vec::new(),
            error: None,
        };
        if let Err(e) = self
            .migrate_inner(set, options, progress, &mut report)
            .await
        {
            report.error = Some(e);
        }
        if let Err(e) = self.unlock().await {
            report.error.get_or_insert(e);
        }
        report
    }

    async fn migrate_inner(
        &mut self,
        set: &ParsedSet,
        options: &MigrateOptions,
        progress: &mut dyn Progress,
        report: &mut RunReport,
    ) -> Result<(), PgError> {
        self.lock(progress).await?;
        self.ensure_history().await?;
        let started = Instant::now();
        let (plan, empty_history) = loop {
            let mut records = self.history().await?;
            let empty_history = records.is_empty();
            self.explain_failures(set, &mut records, true).await?;
            let plan = plan_migrate(
                set,
                &records,
                options.to.as_ref(),
                options.allow_out_of_order,
            );
            // Without a lock held for the run there is no session lock to wait
            // on: a `failed` row may be another migrator's no-transaction
            // migration in progress. Wait for it, up to lock_wait, before
            // calling it failed.
            let only_failed = !plan.blockers.is_empty()
                && plan
                    .blockers
                    .iter()
                    .all(|b| matches!(b, Blocker::Failed { .. }));
            if only_failed
                && self.lock.others_can_interleave()
                && started.elapsed() < self.settings.lock_wait
            {
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
            break (plan, empty_history);
        };
        if !plan.blockers.is_empty() {
            return Err(PgError::Blocked(plan.blockers));
        }
        progress.planned(plan.apply.len());
        for migration in plan.apply {
            let up = set.section(migration, Direction::Up);
            if let Some(warning) = self.untimed_warning(migration, &migration.up, &up, "up") {
                progress.warning(&warning);
            }
            progress.started(migration, Direction::Up);
            let started = Instant::now();
            let skipped = match self.apply(migration, &up).await {
                Ok(skipped) => skipped,
                Err(PgError::Migration(mut failure))
                    if empty_history
                        && report.done.is_empty()
                        && ALREADY_EXISTS.contains(&failure.error.sqlstate.as_str()) =>
                {
                    // The first migration finds its objects already there while
                    // strata has no history: the history schema was dropped, or
                    // the database was built without strata.
                    failure.advice = Some(format!(
                        "strata has no history here, yet the database already has what this migration creates: if the history schema {} was dropped or this database was set up without strata, adopt it with `strata baseline` (records the migrations as applied without running them; `strata baseline --version VERSION` for part of them)",
                        self.settings.schema
                    ));
                    return Err(PgError::Migration(failure));
                }
                Err(e) => return Err(e),
            };
            let took = started.elapsed();
            progress.finished(migration, Direction::Up, took);
            report.done.push(Done {
                version: migration.version.to_string(),
                name: migration.name.clone(),
                direction: Direction::Up,
                duration_ms: took.as_millis(),
                skipped,
            });
        }
        Ok(())
    }

    /// What `strata migrate` would apply, and what would stop it.
    pub async fn plan<'a>(
        &self,
        set: &'a MigrationSet,
        options: &MigrateOptions,
    ) -> Result<Vec<&'a Migration>, PgError> {
        let records = self.history().await?;
        let plan = plan_migrate(
            set,
            &records,
            options.to.as_ref(),
            options.allow_out_of_order,
        );
        if plan.blockers.is_empty() {
            Ok(plan.apply)
        } else {
            Err(PgError::Blocked(plan.blockers))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_keys_differ_by_schema() {
        assert_ne!(lock_key("strata"), lock_key("other"));
        assert_eq!(lock_key("strata"), lock_key("strata"));
    }

    #[test]
    fn advice_for_usual_errors() {
        assert!(
            advice("42P07")
                .unwrap_or_default()
                .contains("IF NOT EXISTS")
        );
        assert!(advice("55P03").unwrap_or_default().contains("lock-timeout"));
        assert!(
            advice("25001")
                .unwrap_or_default()
                .contains("no-transaction")
        );
        assert_eq!(advice("XX000"), None);
    }
}
