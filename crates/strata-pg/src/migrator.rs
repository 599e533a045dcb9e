//! The executor: lock, history, apply, rollback, repair, baseline.
//!
//! A transactional migration travels as one simple-protocol query: `BEGIN`,
//! `SET LOCAL` timeouts, the body (top-level `BEGIN`/`COMMIT` blanked out, so
//! byte offsets stay put), the history row, the event row, `COMMIT`. One round
//! trip, and the body and its history row commit together or not at all.
//!
//! A `-- strata:no-transaction` migration runs statement by statement. Its
//! history row is written first with status `failed` and a statement count
//! that advances after each statement; it becomes `applied` at the end. A run
//! that stops half-way (error, kill, lost connection) therefore leaves an
//! honest `failed` row that blocks later runs until `strata repair`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use strata_core::config::Pooler;
pub use strata_core::plan::Direction;
use strata_core::plan::{AppliedRecord, Blocker, RecordStatus, plan_migrate};
use strata_core::{Migration, MigrationSet, Section, Version};
use tokio_postgres::Client;

use crate::error::{LockHolder, MigrationFailure, PgError, ServerError};
use crate::history::{self, exec, text};
use crate::sql::{ident, literal, literal_opt};

/// First half of the advisory lock key: "STRA".
const LOCK_CLASS: i32 = 0x5354_5241;

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
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
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

impl Repair {
    /// The version the action is about.
    pub fn version(&self) -> &Version {
        match self {
            Self::MarkApplied(v)
            | Self::MarkRolledBack(v)
            | Self::AcceptChecksum(v)
            | Self::ClearFailed(v) => v,
        }
    }
}

/// When the history holds several rows for `version` (`5` and `0005`) and none
/// is written exactly as asked, the refusal listing them.
fn matching_ambiguity(records: &[AppliedRecord], version: &Version) -> Option<String> {
    let rows: Vec<&str> = records
        .iter()
        .filter(|r| r.version == *version)
        .map(|r| r.version.as_str())
        .collect();
    (rows.len() > 1 && !rows.contains(&version.as_str())).then(|| {
        format!(
            "the history has {} rows for version {version} ({}): name the one to act on exactly as it is recorded",
            rows.len(),
            rows.join(", ")
        )
    })
}

/// A connection that migrates.
pub struct Migrator {
    client: Client,
    settings: Settings,
    locked: bool,
    lock_key: i32,
    /// The connection broke or stalled during a migration: nothing more is
    /// sent on it (not even the unlock, which would wait on a stalled one).
    broken: AtomicBool,
    /// The backend that took the session lock; every later batch checks it
    /// still talks to that one.
    session_pid: Option<i32>,
}

impl std::fmt::Debug for Migrator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Migrator")
            .field("settings", &self.settings)
            .field("locked", &self.locked)
            .finish_non_exhaustive()
    }
}

/// FNV-1a of the schema name, as the second half of the lock key.
fn lock_key(schema: &str) -> i32 {
    let mut hash: u32 = 0x811c_9dc5;
    for b in schema.bytes() {
        hash ^= u32::from(b);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    i32::from_ne_bytes(hash.to_ne_bytes())
}

impl Migrator {
    /// Wraps a connected client.
    pub fn new(client: Client, settings: Settings) -> Self {
        let lock_key = lock_key(&settings.schema);
        Self {
            client,
            settings,
            locked: false,
            lock_key,
            broken: AtomicBool::new(false),
            session_pid: None,
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

    fn transaction_pooler(&self) -> bool {
        self.settings.pooler == Pooler::Transaction
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

    /// Takes the migration lock, waiting up to `lock_wait`. In transaction-pooler
    /// mode there is no session to hold it: each transaction locks instead.
    pub async fn lock(&mut self, progress: &mut dyn Progress) -> Result<(), PgError> {
        if self.locked || self.transaction_pooler() {
            return Ok(());
        }
        let started = Instant::now();
        let mut told = false;
        // Whether this is a session of strata's own is found out from what the
        // server does, not only from the port or a URL flag: through a
        // transaction pooler, a setting made in one transaction is gone in the
        // next (another server connection), and a server connection may
        // already hold the lock of another client of the pooler.
        let nonce = {
            use std::hash::{BuildHasher as _, Hasher as _};
            std::collections::hash_map::RandomState::new()
                .build_hasher()
                .finish()
        };
        let key = self.lock_key;
        let rows = self
            .exec(
                &format!(
                    "SELECT pg_backend_pid()::text, set_config('strata.session', '{nonce}', false),
                            EXISTS (SELECT 1 FROM pg_locks WHERE pid = pg_backend_pid() AND locktype = 'advisory' AND granted
                                    AND classid = {LOCK_CLASS}::oid AND objid = ({key})::int4::oid AND objsubid = 2)::text"
                ),
                "cannot look at the server session",
            )
            .await?;
        let pid: i32 = rows
            .first()
            .and_then(|r| r.get(0))
            .and_then(|p| p.parse().ok())
            .unwrap_or(0);
        if rows.first().and_then(|r| r.get(2)) == Some("true") {
            return Err(PgError::Refused(format!(
                "the server session strata was given (backend pid {pid}) already holds the migration lock, which this strata never took: strata is connected through a transaction pooler (pgbouncer pool_mode=transaction, Supavisor port 6543) and another client's lock lives on this pooled server connection; connect directly or to the pooler's session port, or set `pooler = \"transaction\"` for this environment (or add pgbouncer=true to the URL)"
            )));
        }
        let try_lock = format!(
            "SELECT CASE WHEN pg_backend_pid() = {pid} AND current_setting('strata.session', true) = '{nonce}'
                    THEN pg_try_advisory_lock({LOCK_CLASS}, {key})::text ELSE 'changed' END"
        );
        loop {
            let rows = self
                .exec(&try_lock, "cannot take the migration lock")
                .await?;
            match rows.first().and_then(|r| r.get(0)) {
                Some("true") => {
                    self.locked = true;
                    self.session_pid = Some(pid);
                    return Ok(());
                }
                Some("changed") => {
                    // No lock was taken. Switching to transaction-pooler mode
                    // here is not safe: another strata that took a session
                    // lock through the same pooler would make this one's
                    // transactions wait on it while its concurrent index
                    // builds wait on them (a deadlock). Refuse, and say how.
                    return Err(PgError::Refused(format!(
                        "the server session changed between two transactions (backend pid {pid}, then another): strata is connected through a transaction pooler (pgbouncer pool_mode=transaction, Supavisor port 6543) without being told; nothing was applied; set `pooler = \"transaction\"` for this environment (or add pgbouncer=true to the URL), or connect directly or to the pooler's session port"
                    )));
                }
                _ => {}
            }
            let holder = self.lock_holder().await?;
            if !told {
                progress.lock_waiting(holder.as_ref());
                told = true;
            }
            if started.elapsed() >= self.settings.lock_wait {
                return Err(PgError::LockTimeout {
                    waited: self.settings.lock_wait,
                    holder: holder.map(Box::new),
                });
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Who holds the migration lock now.
    pub async fn lock_holder(&self) -> Result<Option<LockHolder>, PgError> {
        let rows = self.exec(&format!(
                "SELECT {HOLDER_COLUMNS}
                 FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
                 WHERE l.locktype = 'advisory' AND l.granted
                   AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
                   AND l.classid = {LOCK_CLASS}::oid AND l.objid = ({})::int4::oid AND l.objsubid = 2
                 LIMIT 1",
                self.lock_key
            ),
            "cannot find who holds the migration lock",
        )
        .await?;
        Ok(rows.first().map(holder_from_row))
    }

    /// The sessions holding a lock that conflicts with what a statement waited
    /// for on `relations` (after a lock timeout), other than this one.
    async fn lock_blockers(&self, relations: &[String]) -> Vec<LockHolder> {
        if relations.is_empty() {
            return Vec::new();
        }
        let list: Vec<String> = relations
            .iter()
            .map(|r| format!("to_regclass({})", literal(r)))
            .collect();
        let sql = format!(
            "SELECT DISTINCT ON (a.pid) {HOLDER_COLUMNS}
             FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
             WHERE l.locktype = 'relation' AND l.granted AND l.pid <> pg_backend_pid()
               AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
               AND l.relation IN ({})
             ORDER BY a.pid LIMIT 5",
            list.join(", ")
        );
        match self.exec(&sql, "cannot find who holds the lock").await {
            Ok(rows) => rows.iter().map(holder_from_row).collect(),
            Err(_) => Vec::new(),
        }
    }

    /// Releases the migration lock.
    pub async fn unlock(&mut self) -> Result<(), PgError> {
        // On a broken connection the session, and its lock, end with it.
        if self.locked && !self.broken.load(Ordering::Relaxed) {
            let unlock = format!(
                "SELECT pg_advisory_unlock({LOCK_CLASS}, {})::text",
                self.lock_key
            );
            // Through a transaction pooler strata was not told about, the
            // unlock may reach another server connection than the one holding
            // the lock; pooled connections come round again, so try a while
            // rather than leave the lock behind for every later migrator.
            let started = Instant::now();
            let mut released = false;
            while !released {
                let rows = self
                    .exec(&unlock, "cannot release the migration lock")
                    .await?;
                released = rows.first().and_then(|r| r.get(0)) == Some("true");
                if released
                    || started.elapsed() >= self.settings.lock_wait.min(Duration::from_secs(10))
                {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            self.locked = false;
            if !released && let Some(pid) = self.session_pid {
                // The lock lives on a pooled server connection strata cannot
                // reach again. Left there, it blocks every later migrator
                // until the pooler closes that connection; ending the
                // connection while it sits idle in the pool loses nothing
                // (the pooler opens another one).
                let rows = self
                    .exec(
                        &format!(
                            "SELECT pg_terminate_backend(pid)::text FROM pg_stat_activity WHERE pid = {pid} AND state = 'idle'
                               AND EXISTS (SELECT 1 FROM pg_locks l WHERE l.pid = {pid} AND l.locktype = 'advisory' AND l.granted
                                           AND l.classid = {LOCK_CLASS}::oid AND l.objid = ({})::int4::oid AND l.objsubid = 2)",
                            self.lock_key
                        ),
                        "cannot end the server connection holding the migration lock",
                    )
                    .await?;
                released = rows.first().and_then(|r| r.get(0)) == Some("true");
            }
            if !released {
                let pid = self.session_pid.unwrap_or(0);
                return Err(PgError::Refused(format!(
                    "the migration lock could not be released: this is not the server session that took it (backend pid {pid}), so strata is connected through a transaction pooler; the lock stays on that pooled server connection until the pooler closes it (or `SELECT pg_terminate_backend({pid})` once nothing runs on it); set `pooler = \"transaction\"` or connect to the session port"
                )));
            }
        }
        Ok(())
    }

    /// The `pg_advisory_xact_lock` statement for transaction-pooler mode, or nothing.
    fn xact_lock(&self) -> String {
        if self.transaction_pooler() {
            // Bounded by lock_wait (the migration's own lock_timeout is set after),
            // and turned into a SQLSTATE of ours so it reads as a lock wait.
            format!(
                "SET LOCAL lock_timeout = '{}';\nDO $strata$ BEGIN PERFORM pg_advisory_xact_lock({LOCK_CLASS}, {}); EXCEPTION WHEN lock_not_available THEN RAISE EXCEPTION 'strata: gave up waiting for the migration lock' USING ERRCODE = 'SR004'; END $strata$;\n",
                strata_core::directive::pg_duration(self.settings.lock_wait),
                self.lock_key
            )
        } else {
            String::new()
        }
    }

    /// Creates the history tables if needed; refuses a newer format.
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
            Some(_) => return Ok(()),
        };
        // Created or upgraded in one transaction: a history is never half-made.
        let sql = format!("BEGIN;\n{}{sql}\nCOMMIT;", self.xact_lock());
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

    /// What `strata status` reads: the history, and the INVALID indexes and
    /// unvalidated constraints of the database, in one pipelined exchange.
    /// Failed rows are explained by [`Migrator::explain`]. Reads only.
    pub async fn health(&self) -> Result<Health, PgError> {
        let exclude = [self.settings.schema.clone()];
        let (records, invalid) = tokio::join!(
            self.history(),
            crate::checks::invalid_objects(&self.client, &exclude)
        );
        Ok(Health {
            records: records?,
            invalid: invalid?,
        })
    }

    /// Says in each failed record's `failure` what the catalog knows now: a
    /// statement still running on the server, or an index its interrupted
    /// statement left valid, INVALID or missing. Reads only; `strata migrate`
    /// also records what it finds.
    pub async fn explain(
        &self,
        set: &MigrationSet,
        records: &mut [AppliedRecord],
    ) -> Result<(), PgError> {
        self.explain_failures(set, records, false).await
    }

    /// For each failed row of a section strata was running when it lost its
    /// connection (the row still names the backend), finds out from the
    /// catalog what happened instead of guessing, and says so in the record's
    /// `failure`. With `record`, writes what it found: a backend that is gone
    /// is forgotten, and an interrupted `CREATE INDEX` found complete and
    /// valid counts as a statement done (the migration becomes applied when it
    /// was the last one).
    async fn explain_failures(
        &self,
        set: &MigrationSet,
        records: &mut [AppliedRecord],
        record: bool,
    ) -> Result<(), PgError> {
        if !records
            .iter()
            .any(|r| matches!(r.status, RecordStatus::Failed { .. }))
        {
            return Ok(());
        }
        let s = self.schema();
        let rows = self.exec(&format!(
                "SELECT m.version, m.backend_pid::text, coalesce(a.state, 'gone'),
                        coalesce(to_char(a.query_start AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS UTC'), ''),
                        coalesce(p.phase, ''), coalesce(p.blocks_done::text, ''), coalesce(p.blocks_total::text, '')
                 FROM {s}.migrations m
                 LEFT JOIN pg_stat_activity a ON a.pid = m.backend_pid AND a.pid <> pg_backend_pid()
                 LEFT JOIN pg_stat_progress_create_index p ON p.pid = a.pid
                 WHERE m.status = 'failed' AND m.backend_pid IS NOT NULL"
            ),
            "cannot look at the failed migrations",
        )
        .await?;
        for row in &rows {
            let version = text(row, 0);
            let Some(r) = records.iter_mut().find(|r| r.version.as_str() == version) else {
                continue;
            };
            let RecordStatus::Failed {
                direction,
                statements_done,
            } = r.status
            else {
                continue;
            };
            let pid = text(row, 1);
            let state = text(row, 2);
            if state != "active" && state != "gone" {
                // The migrator is connected, between two statements.
                r.failure = Some(format!(
                    "the backend that runs it (pid {pid}) is still connected ({state}): another strata is probably in the middle of it"
                ));
                continue;
            }
            if state == "active" {
                let mut what = format!(
                    "its statement {} is still running on the server in backend pid {pid}, since {}",
                    statements_done + 1,
                    text(row, 3)
                );
                let phase = text(row, 4);
                if !phase.is_empty() {
                    what.push_str(&format!(
                        " ({phase}, {} of {} blocks)",
                        text(row, 5),
                        text(row, 6)
                    ));
                }
                what.push_str(&format!(
                    ": wait for it to finish and run the command again, or stop it with `SELECT pg_cancel_backend({pid});`"
                ));
                r.failure = Some(what);
                continue;
            }
            let migration = set.get(&r.version).filter(|m| m.up.checksum == r.checksum);
            let section = migration.and_then(|m| match direction {
                Direction::Up => Some(&m.up),
                Direction::Down => m.down.as_ref(),
            });
            let index = usize::try_from(statements_done).unwrap_or(0);
            let (found, total) = match section {
                Some(section) => (
                    self.interrupted_index(section, index).await,
                    strata_sql::split(&section.text).map_or(0, |s| s.len()),
                ),
                None => (None, 0),
            };
            let n = index + 1;
            let (failure, done) = match found {
                Some((name, Some(true))) => (
                    format!(
                        "strata lost its connection while statement {n} ran, and the server completed it afterwards: the index {name} is valid"
                    ),
                    true,
                ),
                Some((name, Some(false))) => (
                    format!(
                        "strata lost its connection while statement {n} ran, and it left the index {name} INVALID: drop it with `DROP INDEX CONCURRENTLY {name};` then `strata repair --clear-failed {}` and `strata migrate`, or finish it with `REINDEX INDEX CONCURRENTLY {name};`",
                        r.version
                    ),
                    false,
                ),
                Some((name, None)) => (
                    format!(
                        "strata lost its connection while statement {n} ran, and it did not complete: the index {name} does not exist"
                    ),
                    false,
                ),
                None => (
                    format!(
                        "strata lost its connection while statement {n} ran, and the server is not running it any more: whether it completed is unknown; look at the database before repairing"
                    ),
                    false,
                ),
            };
            r.failure = Some(failure.clone());
            if !record {
                continue;
            }
            let v = literal(r.version.as_str());
            let sql = if done && n >= total && direction == Direction::Up {
                r.status = RecordStatus::Applied;
                format!(
                    "UPDATE {s}.migrations SET status = 'applied', failed_direction = NULL, backend_pid = NULL, failure = NULL, statements_done = {n} WHERE version = {v};
{}",
                    self.event_insert("apply", &r.version, &r.name, "ok", Some(&failure))
                )
            } else if done {
                r.status = RecordStatus::Failed {
                    direction,
                    statements_done: i32::try_from(n).unwrap_or(i32::MAX),
                };
                format!(
                    "UPDATE {s}.migrations SET backend_pid = NULL, failure = {}, statements_done = {n} WHERE version = {v};
",
                    literal(&failure)
                )
            } else {
                format!(
                    "UPDATE {s}.migrations SET backend_pid = NULL, failure = {} WHERE version = {v};
",
                    literal(&failure)
                )
            };
            self.exec(
                &format!(
                    "BEGIN;
{}{sql}COMMIT;",
                    self.xact_lock()
                ),
                "cannot record what the catalog says about a failed migration",
            )
            .await?;
        }
        Ok(())
    }

    /// When statement `index` of `section` creates a named index: its name,
    /// and whether it exists and is valid (`None` when it does not exist).
    async fn interrupted_index(
        &self,
        section: &Section,
        index: usize,
    ) -> Option<(String, Option<bool>)> {
        let statements = strata_sql::split(&section.text).ok()?;
        let statement = statements.get(index)?;
        let analysis = strata_sql::analyze::analyze(&section.text[statement.span.clone()]).ok()?;
        let effect = analysis.effects.iter().find(|e| {
            e.action == strata_sql::analyze::Action::Create
                && e.object.kind == strata_sql::analyze::ObjectKind::Index
                && !e.object.name.name.is_empty()
        })?;
        let schema = effect.object.name.schema.as_ref().or(effect
            .object
            .parent
            .as_ref()
            .and_then(|p| p.schema.as_ref()));
        let name = match schema {
            Some(schema) => format!("{}.{}", ident(schema), ident(&effect.object.name.name)),
            None => ident(&effect.object.name.name),
        };
        let rows = self
            .exec(
                &format!(
                    "SELECT i.indisvalid::text, format('%I.%I', n.nspname, c.relname)
                     FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
                     JOIN pg_namespace n ON n.oid = c.relnamespace
                     WHERE i.indexrelid = to_regclass({})",
                    literal(&name)
                ),
                "cannot look for the index",
            )
            .await
            .ok()?;
        // Named as the catalog names it, schema included, when it exists.
        Some(match rows.first() {
            Some(row) => (text(row, 1), Some(text(row, 0) == "true")),
            None => (effect.object.name.to_string(), None),
        })
    }

    /// The newest events, newest first.
    pub async fn events(&self, limit: u32) -> Result<Vec<history::Event>, PgError> {
        self.own(history::events(&self.client, &self.settings.schema, limit))
            .await
    }

    /// `strata migrate`: lock, check, apply every pending migration in order.
    pub async fn migrate(
        &mut self,
        set: &MigrationSet,
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
        set: &MigrationSet,
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
            // Through a transaction pooler there is no session lock to wait on: a
            // `failed` row may be another migrator's no-transaction migration in
            // progress. Wait for it, up to lock_wait, before calling it failed.
            let only_failed = !plan.blockers.is_empty()
                && plan
                    .blockers
                    .iter()
                    .all(|b| matches!(b, Blocker::Failed { .. }));
            if only_failed
                && self.transaction_pooler()
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
            if let Some(warning) = self.untimed_warning(migration, &migration.up, "up") {
                progress.warning(&warning);
            }
            progress.started(migration, Direction::Up);
            let started = Instant::now();
            let skipped = match self.apply(migration).await {
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

    /// Through a transaction pooler, a section run outside a transaction gets no
    /// timeouts (a session `SET` would stay on the server connection for other
    /// clients, and `SET LOCAL` needs a transaction): says so when some were due.
    fn untimed_warning(&self, m: &Migration, section: &Section, which: &str) -> Option<String> {
        (self.transaction_pooler()
            && section.no_transaction()
            && !self.timeouts(section, false).is_empty())
        .then(|| {
            format!(
                "migration {} ({}) runs its {which} section outside a transaction through a transaction pooler, so without lock_timeout or statement_timeout: a statement that waits for a lock waits without limit (connect directly, or in session mode, to have them)",
                m.version, m.name
            )
        })
    }

    fn timeouts(&self, section: &Section, local: bool) -> String {
        let scope = if local { "SET LOCAL" } else { "SET" };
        let mut sql = String::new();
        let lock = section
            .directives
            .lock_timeout
            .or(self.settings.lock_timeout);
        let statement = section
            .directives
            .statement_timeout
            .or(self.settings.statement_timeout);
        if let Some(d) = lock {
            sql.push_str(&format!(
                "{scope} lock_timeout = '{}';\n",
                strata_core::directive::pg_duration(d)
            ));
        }
        if let Some(d) = statement {
            sql.push_str(&format!(
                "{scope} statement_timeout = '{}';\n",
                strata_core::directive::pg_duration(d)
            ));
        }
        sql
    }

    /// The backend recorded with a claim: this session's, so that a later
    /// command can ask whether it still runs the section. Through a
    /// transaction pooler the statements run on whichever server connection
    /// the pooler gives, so none is recorded.
    fn claiming_backend(&self) -> &'static str {
        if self.transaction_pooler() {
            "NULL"
        } else {
            "pg_backend_pid()"
        }
    }

    /// The history row of `m`; a `failed` row is a claim by this backend on its up.
    fn history_insert(&self, m: &Migration, status: &str) -> String {
        let down = m.down.as_ref();
        let claim = if status == "failed" {
            format!("'up', {}", self.claiming_backend())
        } else {
            "NULL, NULL".to_owned()
        };
        format!(
            "INSERT INTO {}.migrations (version, name, checksum, down_checksum, down_sql, down_no_transaction, no_transaction, status, failed_direction, backend_pid, os_user, tool_version, duration_ms)
VALUES ({}, {}, {}, {}, {}, {}, {}, '{status}', {claim}, {}, {}, (extract(epoch FROM clock_timestamp() - now()) * 1000)::bigint);\n",
            self.schema(),
            literal(m.version.as_str()),
            literal(&m.name),
            literal(&m.up.checksum.to_string()),
            literal_opt(down.map(|d| d.checksum.to_string()).as_deref()),
            literal_opt(down.map(|d| d.text.as_str())),
            down.is_some_and(Section::no_transaction),
            m.up.no_transaction(),
            literal_opt(self.settings.os_user.as_deref()),
            literal(&self.settings.tool_version),
        )
    }

    fn event_insert(
        &self,
        kind: &str,
        version: &Version,
        name: &str,
        outcome: &str,
        detail: Option<&str>,
    ) -> String {
        format!(
            "INSERT INTO {}.events (kind, version, name, outcome, detail, os_user, tool_version) VALUES ({}, {}, {}, {}, {}, {}, {});\n",
            self.schema(),
            literal(kind),
            literal(version.as_str()),
            literal(name),
            literal(outcome),
            literal_opt(detail),
            literal_opt(self.settings.os_user.as_deref()),
            literal(&self.settings.tool_version),
        )
    }

    /// Records a failed attempt (best effort: the original error matters more).
    async fn record_failure(&self, direction: Direction, m: &Migration, detail: &str) {
        let kind = match direction {
            Direction::Up => "apply",
            Direction::Down => "rollback",
        };
        let sql = format!(
            "BEGIN;\n{}{}COMMIT;",
            as_connecting_user(),
            self.event_insert(kind, &m.version, &m.name, "failed", Some(detail))
        );
        let _ = self.client.simple_query(&sql).await;
        let _ = self.client.simple_query("ROLLBACK").await;
    }

    /// Applies one migration; returns true when another migrator had already
    /// applied it (transaction-pooler mode).
    pub async fn apply(&self, m: &Migration) -> Result<bool, PgError> {
        self.run_section(m, Direction::Up).await
    }

    /// Runs one migration's down and removes its history row (no lock taken:
    /// `strata rollback` locks around it; `strata verify` owns its database).
    pub async fn undo(&self, m: &Migration) -> Result<(), PgError> {
        self.run_section(m, Direction::Down).await.map(|_| ())
    }

    /// The one path of apply and undo: runs a section of `m` with the history
    /// writes of its direction. Returns true when another migrator had already
    /// done it (transaction-pooler mode).
    async fn run_section(&self, m: &Migration, direction: Direction) -> Result<bool, PgError> {
        let section = match direction {
            Direction::Up => &m.up,
            Direction::Down => m.down.as_ref().ok_or_else(|| {
                PgError::Refused(format!("migration {} has no down section", m.version))
            })?,
        };
        refuse_client_copy(m, section, direction)?;
        if section.no_transaction() {
            self.run_statements(m, section, direction).await
        } else {
            self.run_transaction(m, section, direction).await
        }
    }

    /// Through a transaction pooler, the guard that skips a migration another
    /// migrator did meanwhile (SR001 already applied, SR003 already rolled back),
    /// and waits while another one is in the middle of a no-transaction section
    /// (SR002).
    fn done_by_another_guard(&self, version: &Version, direction: Direction) -> String {
        if !self.transaction_pooler() {
            return String::new();
        }
        let s = self.schema();
        let v = literal(version.as_str());
        let done = match direction {
            Direction::Up => format!(
                "IF EXISTS (SELECT 1 FROM {s}.migrations WHERE version = {v} AND status = 'applied') THEN RAISE EXCEPTION 'strata: already applied' USING ERRCODE = 'SR001'; END IF;"
            ),
            Direction::Down => format!(
                "IF NOT EXISTS (SELECT 1 FROM {s}.migrations WHERE version = {v} AND status = 'applied') THEN RAISE EXCEPTION 'strata: already rolled back' USING ERRCODE = 'SR003'; END IF;"
            ),
        };
        format!(
            "DO $strata$ BEGIN {done} \
IF EXISTS (SELECT 1 FROM {s}.migrations WHERE status = 'failed') THEN RAISE EXCEPTION 'strata: a no-transaction migration is running in another migrator, or failed part-way' USING ERRCODE = 'SR002'; END IF; \
END $strata$;\n"
        )
    }

    /// History verb: the section completed (inside the transaction that ran it,
    /// for a transactional section).
    fn record_done(&self, m: &Migration, direction: Direction) -> String {
        match direction {
            Direction::Up => {
                let mut sql = self.history_insert(m, "applied");
                sql.push_str(&self.event_insert("apply", &m.version, &m.name, "ok", None));
                sql
            }
            Direction::Down => self.forget(m),
        }
    }

    /// History verb: remove the row of a rolled-back migration, with its event.
    fn forget(&self, m: &Migration) -> String {
        format!(
            "DELETE FROM {}.migrations WHERE version = {};\n{}",
            self.schema(),
            literal(m.version.as_str()),
            self.event_insert("rollback", &m.version, &m.name, "ok", None)
        )
    }

    /// History verb: claim a no-transaction section before its first statement:
    /// the row says `failed` with 0 statements done, by this backend, until the
    /// section completes. Also lists the INVALID indexes that exist before it
    /// runs, so that those it leaves behind can be told apart.
    fn claim(&self, m: &Migration, direction: Direction) -> String {
        let bookkeeping = match direction {
            Direction::Up => self.history_insert(m, "failed"),
            Direction::Down => format!(
                "UPDATE {}.migrations SET status = 'failed', failed_direction = 'down', statements_done = 0, backend_pid = {}, failure = NULL WHERE version = {};\n",
                self.schema(),
                self.claiming_backend(),
                literal(m.version.as_str())
            ),
        };
        format!(
            "BEGIN;\n{}{}{bookkeeping}{INVALID_INDEX_OIDS};\nCOMMIT;",
            self.xact_lock(),
            self.done_by_another_guard(&m.version, direction),
        )
    }

    /// History verb: a no-transaction section completed.
    fn finish(&self, m: &Migration, direction: Direction) -> String {
        let bookkeeping = match direction {
            Direction::Up => format!(
                "UPDATE {}.migrations SET status = 'applied', failed_direction = NULL, backend_pid = NULL, applied_at = now(), duration_ms = (extract(epoch FROM clock_timestamp() - applied_at) * 1000)::bigint WHERE version = {};\n{}",
                self.schema(),
                literal(m.version.as_str()),
                self.event_insert("apply", &m.version, &m.name, "ok", None)
            ),
            Direction::Down => self.forget(m),
        };
        format!("BEGIN;\n{}{bookkeeping}COMMIT;", as_connecting_user())
    }

    /// History verb: a no-transaction section stopped at its first statement
    /// and left nothing behind, so the claim is withdrawn: an up is not
    /// recorded (fixing the file is enough), a down leaves the migration applied.
    fn withdraw_claim(&self, m: &Migration, direction: Direction) -> String {
        let s = self.schema();
        let v = literal(m.version.as_str());
        let sql = match direction {
            Direction::Up => {
                format!("DELETE FROM {s}.migrations WHERE version = {v} AND statements_done = 0;\n")
            }
            Direction::Down => format!(
                "UPDATE {s}.migrations SET status = 'applied', failed_direction = NULL, backend_pid = NULL WHERE version = {v} AND statements_done = 0;\n"
            ),
        };
        format!("BEGIN;\n{}{sql}COMMIT;", as_connecting_user())
    }

    /// History verb: what is known about a section that stopped part-way.
    fn record_stop(&self, m: &Migration, failure: &str) -> String {
        format!(
            "BEGIN;\n{}UPDATE {}.migrations SET backend_pid = NULL, failure = {} WHERE version = {};\nCOMMIT;",
            as_connecting_user(),
            self.schema(),
            literal(failure),
            literal(m.version.as_str())
        )
    }

    async fn run_transaction(
        &self,
        m: &Migration,
        section: &Section,
        direction: Direction,
    ) -> Result<bool, PgError> {
        let body = absorb_transaction_control(&section.text);
        let mut batch = String::with_capacity(body.len() + 1024);
        batch.push_str(&self.session_reset());
        batch.push_str("BEGIN;\n");
        batch.push_str(&self.xact_lock());
        batch.push_str(&self.done_by_another_guard(&m.version, direction));
        batch.push_str(&self.timeouts(section, true));
        let prefix_chars = batch.chars().count();
        batch.push_str(&body);
        batch.push_str("\n;\n");
        // The history is written as the connecting user, whatever role the
        // body switched to; the switch ends with the migration.
        batch.push_str(RESET_ROLE);
        batch.push_str(&self.record_done(m, direction));
        batch.push_str("COMMIT;");
        let started = Instant::now();
        let deadline = self.deadline(
            section,
            strata_sql::split(&section.text).map_or(1, |s| s.len()),
        );
        let Err(unanswered) = self.send_waiting_for_others(&batch, deadline).await else {
            return Ok(false);
        };
        let lost = !matches!(unanswered, Unanswered::Error(_));
        let error = unanswered.into_error();
        if !lost {
            let _ = self.client.simple_query("ROLLBACK").await;
        }
        if matches!(error.sqlstate.as_str(), "SR001" | "SR003") {
            return Ok(true);
        }
        if let Some(e) = pooler_error(&error) {
            return Err(e);
        }
        let mut failure = locate(m, section, direction, error, prefix_chars, &body, None);
        if failure.line.is_none() && !lost {
            self.replay_for_position(section, &mut failure, started.elapsed())
                .await;
        }
        self.name_lock_blockers(section, &mut failure).await;
        if lost {
            self.broken.store(true, Ordering::Relaxed);
        }
        failure.note = if lost {
            format!(
                "the connection was lost, so whether migration {} {} is unknown: run `strata status` before anything else",
                m.version,
                match direction {
                    Direction::Up => "was applied",
                    Direction::Down => "was rolled back",
                }
            )
        } else {
            match direction {
                Direction::Up => {
                    "the migration's transaction was rolled back: nothing of it was applied"
                        .to_owned()
                }
                Direction::Down => format!(
                    "the rollback's transaction was rolled back: migration {} stays applied",
                    m.version
                ),
            }
        };
        if !lost {
            self.record_failure(direction, m, &failure.error.to_string())
                .await;
        }
        Err(PgError::Migration(Box::new(failure)))
    }

    /// Sends a migration's batch; through a transaction pooler, while another
    /// migrator is in the middle of a no-transaction migration (the guard says
    /// SR002), waits and tries again, up to `lock_wait`, as a waiting session
    /// lock would.
    async fn send_waiting_for_others(
        &self,
        sql: &str,
        deadline: Option<Duration>,
    ) -> Result<Vec<tokio_postgres::SimpleQueryMessage>, Unanswered> {
        let started = Instant::now();
        loop {
            match self.send(sql, deadline).await {
                Err(Unanswered::Error(e))
                    if self.transaction_pooler()
                        && e.sqlstate == "SR002"
                        && started.elapsed() < self.settings.lock_wait =>
                {
                    let _ = self.client.simple_query("ROLLBACK").await;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                other => return other,
            }
        }
    }

    /// Sends `sql`; with a deadline, gives up waiting for the answer after it.
    async fn send(
        &self,
        sql: &str,
        deadline: Option<Duration>,
    ) -> Result<Vec<tokio_postgres::SimpleQueryMessage>, Unanswered> {
        let query = self.client.simple_query(sql);
        let result = match deadline {
            Some(deadline) => tokio::time::timeout(deadline, query)
                .await
                .map_err(|_| Unanswered::Stalled(deadline))?,
            None => query.await,
        };
        result.map_err(|e| {
            if e.as_db_error().is_some() {
                Unanswered::Error(ServerError::from_driver(&e))
            } else {
                Unanswered::Lost(ServerError::from_driver(&e))
            }
        })
    }

    /// A no-transaction section, statement by statement. The history row is
    /// claimed first (`failed`, 0 done, this backend) and advances after each
    /// statement, so that a run stopped anywhere (error, kill, lost connection)
    /// leaves a row that says how far it got.
    async fn run_statements(
        &self,
        m: &Migration,
        section: &Section,
        direction: Direction,
    ) -> Result<bool, PgError> {
        let statements = split_for_execution(m, section, direction)?;
        let claimed = match self
            .send_waiting_for_others(&self.claim(m, direction), self.deadline(section, 1))
            .await
        {
            Ok(messages) => messages,
            Err(unanswered) => {
                let error = unanswered.into_error();
                let _ = self.client.simple_query("ROLLBACK").await;
                if matches!(error.sqlstate.as_str(), "SR001" | "SR003") {
                    return Ok(true);
                }
                if let Some(e) = pooler_error(&error) {
                    return Err(e);
                }
                return Err(PgError::Server {
                    context: format!(
                        "cannot record migration {} as started ({})",
                        m.version,
                        direction.as_str()
                    ),
                    error: Box::new(error),
                });
            }
        };
        let invalid_before = first_value(&claimed).unwrap_or_default();
        self.reset_session().await?;
        // Session timeouts; a transaction pooler would leak them to other clients.
        let timeouts = self.timeouts(section, false);
        if !self.transaction_pooler() && !timeouts.is_empty() {
            self.exec(&timeouts, "cannot set timeouts").await?;
        }
        let total = statements.len();
        let schema = self.schema();
        let version = literal(m.version.as_str());
        for (i, statement) in statements.iter().enumerate() {
            let sql = &section.text[statement.span.clone()];
            if let Err(unanswered) = self.send(sql, self.deadline(section, 1)).await {
                let lost = !matches!(unanswered, Unanswered::Error(_));
                let error = unanswered.into_error();
                let prefix = section.text[..statement.span.start].chars().count();
                let mut failure = locate(m, section, direction, error, 0, sql, Some(prefix));
                if failure.line.is_none() {
                    set_location(&mut failure, section, statement.span.start);
                }
                failure.statements_done = Some((i, total));
                if lost {
                    self.broken.store(true, Ordering::Relaxed);
                    // The server may still be running the statement, or have
                    // finished it: the row keeps this backend's pid, and the next
                    // command asks the catalog what happened.
                    failure.note = format!(
                        "the connection was lost while statement {} of {total} was running: it may still be running on the server, or have completed; migration {} stays recorded as failed, and the next `strata status` or `strata migrate` finds out from the catalog what happened",
                        i + 1,
                        m.version
                    );
                    return Err(PgError::Migration(Box::new(failure)));
                }
                let _ = self.reset_session().await;
                self.name_lock_blockers(section, &mut failure).await;
                let left = self.invalid_indexes_since(&invalid_before).await;
                let what = stop_summary(i, total, &failure.error, &left);
                failure.left_behind = left.iter().map(|l| l.recovery(m, i + 1 == total)).collect();
                if i == 0 && left.is_empty() {
                    let _ = self
                        .client
                        .simple_query(&self.withdraw_claim(m, direction))
                        .await;
                    failure.note = match direction {
                        Direction::Up => "this migration runs without a transaction, and its first statement failed: nothing of it ran and it is not recorded; fix it and run migrate again".to_owned(),
                        Direction::Down => format!("this down section runs without a transaction, and its first statement failed: nothing of it ran, and migration {} stays applied", m.version),
                    };
                } else {
                    let _ = self.client.simple_query(&self.record_stop(m, &what)).await;
                    failure.note = part_way_note(m, direction, i, total);
                }
                self.record_failure(direction, m, &failure.error.to_string())
                    .await;
                return Err(PgError::Migration(Box::new(failure)));
            }
            self.exec(&format!(
                    "BEGIN;\n{}UPDATE {schema}.migrations SET statements_done = {} WHERE version = {version};\nCOMMIT;",
                    as_connecting_user(),
                    i + 1
                ),
                "cannot record progress",
            )
            .await?;
        }
        self.reset_session().await?;
        self.exec(
            &self.finish(m, direction),
            match direction {
                Direction::Up => "cannot record the migration as applied",
                Direction::Down => "cannot record the rollback",
            },
        )
        .await?;
        Ok(false)
    }

    /// After a lock timeout, names the sessions holding locks on the relations
    /// the failed statement (or, unlocated, the section) touches.
    async fn name_lock_blockers(&self, section: &Section, failure: &mut MigrationFailure) {
        if failure.error.sqlstate != "55P03" {
            return;
        }
        let Ok(statements) = strata_sql::split(&section.text) else {
            return;
        };
        let mut relations = Vec::new();
        for statement in &statements {
            // Located: only the statement on the failure's line.
            if let Some(line) = failure.line {
                let first = section.position(statement.span.start).0;
                let last = section.position(statement.span.end.saturating_sub(1)).0;
                if !(first..=last).contains(&line) {
                    continue;
                }
            }
            if let Ok(analysis) =
                strata_sql::analyze::analyze(&section.text[statement.span.clone()])
            {
                for effect in &analysis.effects {
                    if let Some(relation) = effect.locked_relation() {
                        relations.push(relation.to_string());
                    }
                }
            }
        }
        relations.sort();
        relations.dedup();
        failure.blocked_by = self.lock_blockers(&relations).await;
    }

    /// INVALID indexes that did not exist when the section was claimed, and are
    /// not being built right now by another backend (an index under
    /// construction is INVALID too). Best effort: an error here must not hide
    /// the migration's own.
    async fn invalid_indexes_since(&self, before: &str) -> Vec<InvalidIndex> {
        let sql = format!(
            "{INVALID_INDEXES} AND i.indexrelid <> ALL ('{{{}}}'::oid[])",
            before
                .split(',')
                .filter(|oid| !oid.is_empty() && oid.bytes().all(|b| b.is_ascii_digit()))
                .collect::<Vec<_>>()
                .join(",")
        );
        match self.exec(&sql, "cannot look for INVALID indexes").await {
            Ok(rows) => rows.iter().map(InvalidIndex::from_row).collect(),
            Err(_) => Vec::new(),
        }
    }
    async fn reset_session(&self) -> Result<(), PgError> {
        if self.transaction_pooler() {
            return Ok(());
        }
        self.exec(&self.session_reset(), "cannot reset session settings")
            .await
            .map(|_| ())
    }

    /// `RESET ALL` in session mode, so a plain `SET` in one migration (say of
    /// `search_path`) does not leak into the next one of the same run: each
    /// migration sees the same session whether applied alone or in a batch.
    /// `RESET ALL` leaves the role and the session authorization alone, so
    /// those are reset by name. Through a transaction pooler, session state is
    /// the pooler's business.
    fn session_reset(&self) -> String {
        if self.transaction_pooler() {
            return String::new();
        }
        let mut sql = String::new();
        if let Some(pid) = self.session_pid {
            sql.push_str(&format!(
                "DO $strata$ BEGIN IF pg_backend_pid() <> {pid} THEN RAISE EXCEPTION 'strata: the server session changed' USING ERRCODE = 'SR005'; END IF; END $strata$;\n"
            ));
        }
        sql.push_str(&format!("RESET ALL;\n{RESET_ROLE}"));
        if let Some(interval) = self.settings.client_check_interval {
            // A parameter PostgreSQL 13 does not know: asked for only where it exists.
            sql.push_str(&format!(
                "SELECT set_config('client_connection_check_interval', '{}', false) WHERE current_setting('server_version_num')::int >= 140000;\n",
                interval.as_millis()
            ));
        }
        sql
    }

    /// How long strata waits for a section's `statements` statements before it
    /// calls the connection stalled: each may take up to its statement timeout,
    /// plus a grace period. No deadline without a statement timeout.
    fn deadline(&self, section: &Section, statements: usize) -> Option<Duration> {
        let timeout = section
            .directives
            .statement_timeout
            .or(self.settings.statement_timeout)?;
        let count = u32::try_from(statements.max(1)).unwrap_or(u32::MAX);
        Some(
            timeout
                .saturating_mul(count)
                .saturating_add(self.settings.deadline_grace),
        )
    }

    /// PostgreSQL gives no position for many errors (`relation already exists`,
    /// constraint violations...). To still point at the statement, replay the
    /// section one statement at a time inside a transaction that is rolled
    /// back, and take the first statement failing with the same SQLSTATE.
    /// Skipped for statement timeouts and for runs that took over 30 s, where
    /// replaying would cost as much again.
    async fn replay_for_position(
        &self,
        section: &Section,
        failure: &mut MigrationFailure,
        took: Duration,
    ) {
        let Ok(statements) = strata_sql::split(&section.text) else {
            return;
        };
        let count = statements.len();
        let runnable: Vec<&strata_sql::Statement> = statements
            .iter()
            .enumerate()
            .filter(|(i, s)| {
                !s.transaction_control()
                    .is_some_and(|c| c.is_absorbed_at(*i, count))
            })
            .map(|(_, s)| s)
            .collect();
        if let [only] = runnable[..] {
            set_location(failure, section, only.span.start);
            return;
        }
        if failure.error.sqlstate == "57014" || took > Duration::from_secs(30) {
            return;
        }
        let begin = format!(
            "BEGIN;\n{}{}",
            self.xact_lock(),
            self.timeouts(section, true)
        );
        if self.client.simple_query(&begin).await.is_err() {
            let _ = self.client.simple_query("ROLLBACK").await;
            return;
        }
        for statement in runnable {
            let sql = &section.text[statement.span.clone()];
            if let Err(e) = self.client.simple_query(sql).await {
                let error = ServerError::from_driver(&e);
                if error.sqlstate == failure.error.sqlstate {
                    let within = error
                        .position
                        .and_then(|p| usize::try_from(p).ok()?.checked_sub(1))
                        .and_then(|chars| sql.char_indices().nth(chars).map(|(b, _)| b))
                        .unwrap_or(0);
                    set_location(failure, section, statement.span.start + within);
                }
                break;
            }
        }
        let _ = self.client.simple_query("ROLLBACK").await;
    }

    /// `strata rollback`: undoes applied migrations, newest first.
    pub async fn rollback(
        &mut self,
        set: &MigrationSet,
        target: &RollbackTarget,
        progress: &mut dyn Progress,
    ) -> RunReport {
        self.rollback_checked(set, target, None, progress).await
    }

    /// [`Migrator::rollback`] of exactly the versions a person confirmed from
    /// [`Migrator::rollback_plan`]: if, once the lock is held, the plan is not
    /// those versions any more (someone migrated or rolled back meanwhile),
    /// nothing is rolled back.
    pub async fn rollback_confirmed(
        &mut self,
        set: &MigrationSet,
        target: &RollbackTarget,
        confirmed: &[Version],
        progress: &mut dyn Progress,
    ) -> RunReport {
        self.rollback_checked(set, target, Some(confirmed), progress)
            .await
    }

    async fn rollback_checked(
        &mut self,
        set: &MigrationSet,
        target: &RollbackTarget,
        confirmed: Option<&[Version]>,
        progress: &mut dyn Progress,
    ) -> RunReport {
        let mut report = RunReport {
            done: Vec::new(),
            error: None,
        };
        if let Err(e) = self
            .rollback_inner(set, target, confirmed, progress, &mut report)
            .await
        {
            report.error = Some(e);
        }
        if let Err(e) = self.unlock().await {
            report.error.get_or_insert(e);
        }
        report
    }

    /// The migrations a rollback would undo, newest first, with the down each would run.
    pub async fn rollback_plan(
        &self,
        set: &MigrationSet,
        target: &RollbackTarget,
    ) -> Result<Vec<(AppliedRecord, Option<Migration>)>, PgError> {
        let records = self.history().await?;
        // A row failed part-way or damaged stops a rollback as it stops a migrate.
        let blockers: Vec<Blocker> = plan_migrate(set, &records, None, true)
            .blockers
            .into_iter()
            .filter(|b| matches!(b, Blocker::Failed { .. } | Blocker::Damaged { .. }))
            .collect();
        if !blockers.is_empty() {
            return Err(PgError::Blocked(blockers));
        }
        let mut applied: Vec<AppliedRecord> = records;
        applied.reverse();
        let chosen: Vec<AppliedRecord> = match target {
            RollbackTarget::Steps(n) => applied.into_iter().take(*n).collect(),
            RollbackTarget::To(version) => applied
                .into_iter()
                .filter(|r| r.version > *version)
                .collect(),
        };
        let mut plan = Vec::with_capacity(chosen.len());
        for record in chosen {
            let mut migration = set.get(&record.version).cloned();
            let file_down = migration.as_ref().and_then(|m| m.down.clone());
            let down = match file_down {
                Some(down) => Some(down),
                None => history::stored_down(&self.client, &self.settings.schema, &record.version)
                    .await?
                    .filter(|(sql, _)| !strata_core::is_blank_sql(sql))
                    .map(|(sql, no_tx)| {
                        Section::detached(
                            format!("(down of {} stored in history)", record.version),
                            sql,
                            no_tx,
                        )
                    }),
            };
            let Some(down) = down else {
                return Err(PgError::Refused(format!(
                    "migration {} ({}) has no down section, so it cannot be rolled back; write a new forward migration that undoes it instead",
                    record.version, record.name
                )));
            };
            let m = migration.get_or_insert_with(|| Migration {
                version: record.version.clone(),
                name: record.name.clone(),
                scheme: strata_core::NamingScheme::Sequential,
                layout: strata_core::Layout::Plain,
                up: Section::detached(down.file.clone(), String::new(), false),
                down: None,
            });
            m.down = Some(down);
            // History rows are keyed by the version text recorded at apply time
            // (`0042` and `42` are one version, but not one text).
            m.version = record.version.clone();
            plan.push((record, migration));
        }
        Ok(plan)
    }

    async fn rollback_inner(
        &mut self,
        set: &MigrationSet,
        target: &RollbackTarget,
        confirmed: Option<&[Version]>,
        progress: &mut dyn Progress,
        report: &mut RunReport,
    ) -> Result<(), PgError> {
        self.lock(progress).await?;
        self.ensure_history().await?;
        let plan = self.rollback_plan(set, target).await?;
        if let Some(confirmed) = confirmed {
            let now: Vec<&Version> = plan.iter().map(|(record, _)| &record.version).collect();
            if !now.iter().copied().eq(confirmed) {
                let list = |versions: Vec<&Version>| match versions.as_slice() {
                    [] => "nothing".to_owned(),
                    _ => versions
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(", "),
                };
                return Err(PgError::Refused(format!(
                    "the history changed since the rollback was confirmed (it would now undo {} instead of {}): nothing was rolled back; run the command again to see the new plan",
                    list(now),
                    list(confirmed.iter().collect())
                )));
            }
        }
        progress.planned(plan.len());
        for (_, migration) in plan {
            let Some(m) = migration else { continue };
            if let Some(down) = &m.down
                && let Some(warning) = self.untimed_warning(&m, down, "down")
            {
                progress.warning(&warning);
            }
            progress.started(&m, Direction::Down);
            let started = Instant::now();
            self.undo(&m).await?;
            let took = started.elapsed();
            progress.finished(&m, Direction::Down, took);
            report.done.push(Done {
                version: m.version.to_string(),
                name: m.name.clone(),
                direction: Direction::Down,
                duration_ms: took.as_millis(),
                skipped: false,
            });
        }
        Ok(())
    }

    /// `strata repair`: fixes history by hand, recording an event.
    pub async fn repair(&mut self, set: &MigrationSet, action: &Repair) -> Result<String, PgError> {
        self.lock(&mut Quiet).await?;
        let result = self.repair_inner(set, action).await;
        self.unlock().await?;
        result
    }

    async fn repair_inner(&self, set: &MigrationSet, action: &Repair) -> Result<String, PgError> {
        self.ensure_history().await?;
        let records = self.history().await?;
        let schema = self.schema();
        // `5` and `0005` are one version; when the history holds both, the row
        // is the one written exactly as asked, and without such a row the
        // request is ambiguous.
        let matching = |v: &Version| -> Vec<&AppliedRecord> {
            records.iter().filter(|r| r.version == *v).collect()
        };
        let ambiguous = matching_ambiguity(&records, action.version());
        if let Some(message) = ambiguous {
            return Err(PgError::Refused(message));
        }
        let find = |v: &Version| {
            let rows = matching(v);
            rows.iter()
                .find(|r| r.version.as_str() == v.as_str())
                .or_else(|| rows.first())
                .copied()
        };
        let file = |v: &Version| {
            set.get(v)
                .ok_or_else(|| PgError::Refused(format!("no migration file has version {v}")))
        };
        let (version, name, sql, done) = match action {
            Repair::MarkApplied(v) => match find(v) {
                Some(r) if r.status == RecordStatus::Applied => {
                    return Err(PgError::Refused(format!(
                        "migration {v} is already applied"
                    )));
                }
                Some(r) => {
                    // A damaged checksum is rewritten from the file when there is one.
                    let checksum = match (&r.status, set.get(v)) {
                        (RecordStatus::Damaged { .. }, Some(m)) => {
                            format!(", checksum = {}", literal(&m.up.checksum.to_string()))
                        }
                        _ => String::new(),
                    };
                    let what = match &r.status {
                        RecordStatus::Failed {
                            direction: Direction::Down,
                            ..
                        } => format!(
                            "marked migration {v}, whose rollback failed part-way, as applied"
                        ),
                        RecordStatus::Damaged { .. } => {
                            format!("marked the damaged history row of migration {v} as applied")
                        }
                        _ => format!("marked the failed migration {v} as applied"),
                    };
                    (
                        v,
                        r.name.clone(),
                        format!(
                            "UPDATE {schema}.migrations SET status = 'applied', failed_direction = NULL, backend_pid = NULL{checksum} WHERE version = {};\n",
                            literal(r.version.as_str())
                        ),
                        what,
                    )
                }
                None => {
                    let m = file(v)?;
                    (
                        v,
                        m.name.clone(),
                        self.history_insert(m, "applied"),
                        format!("recorded migration {v} as applied without running it"),
                    )
                }
            },
            Repair::MarkRolledBack(v) => {
                let r = find(v).ok_or_else(|| {
                    PgError::Refused(format!("migration {v} is not in the history"))
                })?;
                (
                    v,
                    r.name.clone(),
                    format!(
                        "DELETE FROM {schema}.migrations WHERE version = {};\n",
                        literal(r.version.as_str())
                    ),
                    format!("removed migration {v} from the history without running its down"),
                )
            }
            Repair::AcceptChecksum(v) => {
                let r = find(v).ok_or_else(|| {
                    PgError::Refused(format!("migration {v} is not in the history"))
                })?;
                let m = file(v)?;
                let down = m.down.as_ref();
                (
                    v,
                    r.name.clone(),
                    format!(
                        "UPDATE {schema}.migrations SET checksum = {}, down_checksum = {}, down_sql = {} WHERE version = {};\n",
                        literal(&m.up.checksum.to_string()),
                        literal_opt(down.map(|d| d.checksum.to_string()).as_deref()),
                        literal_opt(down.map(|d| d.text.as_str())),
                        literal(r.version.as_str())
                    ),
                    format!(
                        "accepted the current checksum of migration {v} ({} was recorded)",
                        r.checksum
                    ),
                )
            }
            Repair::ClearFailed(v) => {
                let r = find(v)
                    .filter(|r| matches!(r.status, RecordStatus::Failed { .. }))
                    .ok_or_else(|| PgError::Refused(format!("migration {v} is not failed")))?;
                match r.status {
                    RecordStatus::Failed {
                        direction: Direction::Down,
                        ..
                    } => (
                        v,
                        r.name.clone(),
                        format!(
                            "UPDATE {schema}.migrations SET status = 'applied', failed_direction = NULL, backend_pid = NULL WHERE version = {};\n",
                            literal(r.version.as_str())
                        ),
                        format!(
                            "cleared the failed rollback of migration {v}: it is recorded as applied, and the next rollback runs its down again"
                        ),
                    ),
                    _ => (
                        v,
                        r.name.clone(),
                        format!(
                            "DELETE FROM {schema}.migrations WHERE version = {};\n",
                            literal(r.version.as_str())
                        ),
                        format!("cleared the failed migration {v}; the next migrate runs it again"),
                    ),
                }
            }
        };
        let batch = format!(
            "BEGIN;\n{}{sql}{}COMMIT;",
            self.xact_lock(),
            self.event_insert("repair", version, &name, "ok", Some(&done))
        );
        // The row is addressed by its text: exactly one row changes.
        if let Err(e) = self.exec(&batch, "cannot repair the history").await {
            let _ = self.client.simple_query("ROLLBACK").await;
            return Err(e);
        }
        Ok(done)
    }

    /// `strata baseline`: records every migration up to `version` (default: all)
    /// as applied without running them, to adopt an existing database.
    pub async fn baseline(
        &mut self,
        set: &MigrationSet,
        version: Option<&Version>,
    ) -> Result<Vec<Version>, PgError> {
        self.lock(&mut Quiet).await?;
        let result = self.baseline_inner(set, version).await;
        self.unlock().await?;
        result
    }

    async fn baseline_inner(
        &self,
        set: &MigrationSet,
        version: Option<&Version>,
    ) -> Result<Vec<Version>, PgError> {
        self.ensure_history().await?;
        if !self.history().await?.is_empty() {
            return Err(PgError::Refused(
                "the database already has migration history; baseline only adopts a database strata never ran on (use `strata repair --mark-applied` for single migrations)".to_owned(),
            ));
        }
        if let Some(v) = version
            && set.get(v).is_none()
        {
            return Err(PgError::Refused(format!(
                "no migration file has version {v}"
            )));
        }
        let chosen: Vec<&Migration> = set
            .migrations
            .iter()
            .filter(|m| version.is_none_or(|v| m.version <= *v))
            .collect();
        let Some(last) = chosen.last() else {
            return Err(PgError::Refused(
                "there are no migrations to baseline".to_owned(),
            ));
        };
        let mut batch = format!("BEGIN;\n{}", self.xact_lock());
        for m in &chosen {
            batch.push_str(&self.history_insert(m, "applied"));
        }
        batch.push_str(&self.event_insert(
            "baseline",
            &last.version,
            &last.name,
            "ok",
            Some(&format!(
                "{} migration(s) recorded as applied",
                chosen.len()
            )),
        ));
        batch.push_str("COMMIT;");
        if let Err(e) = self.exec(&batch, "cannot record the baseline").await {
            let _ = self.client.simple_query("ROLLBACK").await;
            return Err(e);
        }
        Ok(chosen.iter().map(|m| m.version.clone()).collect())
    }
}

/// A query that got no good answer.
enum Unanswered {
    /// The server answered with an error.
    Error(ServerError),
    /// The connection broke.
    Lost(ServerError),
    /// No answer within the deadline: the connection is stalled.
    Stalled(Duration),
}

impl Unanswered {
    /// What to report; a stall reads as a lost connection (SQLSTATE 08006).
    fn into_error(self) -> ServerError {
        match self {
            Self::Error(e) | Self::Lost(e) => e,
            Self::Stalled(after) => ServerError {
                sqlstate: "08006".to_owned(),
                message: format!(
                    "no answer from the server within {} (the statement timeout plus a grace period): the connection is stalled, strata gave up on it",
                    strata_core::directive::pg_duration(after)
                ),
                detail: None,
                hint: None,
                position: None,
            },
        }
    }
}

/// What the lock-holder queries select, in [`holder_from_row`]'s order.
const HOLDER_COLUMNS: &str = "a.pid::text, coalesce(a.application_name, ''),
    coalesce(host(a.client_addr), 'local'),
    to_char(a.backend_start AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS UTC'),
    coalesce(a.state, ''),
    coalesce(to_char(a.query_start AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS UTC'), ''),
    left(coalesce(a.query, ''), 500)";

fn holder_from_row(r: &tokio_postgres::SimpleQueryRow) -> LockHolder {
    let query = text(r, 6);
    LockHolder {
        pid: text(r, 0).parse().unwrap_or(0),
        application: text(r, 1),
        client: text(r, 2),
        since: text(r, 3),
        state: text(r, 4),
        query_start: text(r, 5),
        query: query
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .unwrap_or("")
            .chars()
            .take(120)
            .collect(),
    }
}

/// Resets what a migration may have switched (`SET ROLE`, `SET SESSION
/// AUTHORIZATION`, which `RESET ALL` leaves alone) to the connecting user.
const RESET_ROLE: &str = "RESET SESSION AUTHORIZATION;\nRESET ROLE;\n";

/// For the rest of the current transaction only, act as the connecting user:
/// the history writes between the statements of a no-transaction section must
/// not run as a role the section switched to, and must not end that switch.
fn as_connecting_user() -> &'static str {
    "SET LOCAL SESSION AUTHORIZATION DEFAULT;\nSET LOCAL role TO DEFAULT;\n"
}

/// The OIDs of INVALID indexes, comma-separated (one value).
const INVALID_INDEX_OIDS: &str =
    "SELECT coalesce(string_agg(indexrelid::text, ','), '') FROM pg_index WHERE NOT indisvalid";

/// INVALID indexes (name, table), leaving out those another backend is
/// building right now; callers append more conditions.
const INVALID_INDEXES: &str = "SELECT format('%I.%I', n.nspname, c.relname), format('%I.%I', tn.nspname, t.relname)
FROM pg_index i
JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace tn ON tn.oid = t.relnamespace
WHERE NOT i.indisvalid
  AND NOT EXISTS (SELECT 1 FROM pg_stat_progress_create_index p WHERE p.index_relid = i.indexrelid AND p.pid <> pg_backend_pid())";

/// An index a failed statement left INVALID (an interrupted `CREATE INDEX
/// CONCURRENTLY` or `REINDEX CONCURRENTLY`): it exists, is maintained on every
/// write, and is never used.
#[derive(Clone, Debug, PartialEq, Eq)]
struct InvalidIndex {
    /// Schema-qualified, quoted as needed.
    index: String,
    /// Its table, the same way.
    table: String,
}

impl InvalidIndex {
    fn from_row(row: &tokio_postgres::SimpleQueryRow) -> Self {
        Self {
            index: text(row, 0),
            table: text(row, 1),
        }
    }

    /// What to do about it; `last` when the failed statement was the section's last.
    fn recovery(&self, m: &Migration, last: bool) -> String {
        let v = &m.version;
        let finish = if last {
            format!(" then `strata repair --mark-applied {v}`")
        } else {
            format!(
                " then run the statements after it by hand and `strata repair --mark-applied {v}`"
            )
        };
        format!(
            "the index {} on {} was left INVALID (it slows every write and is never used): drop it with `DROP INDEX CONCURRENTLY {};`, then `strata repair --clear-failed {v}` and `strata migrate` to run the migration again; or finish the build with `REINDEX INDEX CONCURRENTLY {};`{finish}",
            self.index, self.table, self.index, self.index
        )
    }
}

/// The first value of the first row of a reply.
fn first_value(messages: &[tokio_postgres::SimpleQueryMessage]) -> Option<String> {
    messages.iter().find_map(|m| match m {
        tokio_postgres::SimpleQueryMessage::Row(row) => row.get(0).map(str::to_owned),
        _ => None,
    })
}

/// What is recorded in history about a no-transaction section that stopped.
fn stop_summary(i: usize, total: usize, error: &ServerError, left: &[InvalidIndex]) -> String {
    let mut text = format!("statement {} of {total} failed: {error}", i + 1);
    for index in left {
        text.push_str(&format!(
            "; it left the index {} on {} INVALID",
            index.index, index.table
        ));
    }
    text
}

/// The note for a no-transaction section that stopped after `done` statements.
fn part_way_note(m: &Migration, direction: Direction, done: usize, total: usize) -> String {
    let v = &m.version;
    match direction {
        Direction::Up => format!(
            "this migration runs without a transaction: {done} of {total} statement(s) completed and stay applied; it is recorded as failed.\n    Inspect the database, then either finish the work by hand and run `strata repair --mark-applied {v}`,\n    or undo what ran and run `strata repair --clear-failed {v}` so the next migrate runs it again."
        ),
        Direction::Down => format!(
            "this down section runs without a transaction: {done} of {total} statement(s) completed and stay done; migration {v} is recorded as failed part-way through its rollback.\n    Inspect the database, then either finish the rollback by hand and run `strata repair --mark-rolled-back {v}`,\n    or redo what the down undid and run `strata repair --mark-applied {v}`."
        ),
    }
}

/// Refuses, before anything is sent, a section holding a `COPY` to or from
/// the client: its rows would travel through strata's connection, which does
/// not carry them, and the server would be left waiting mid-protocol. validate
/// refuses such files; this also covers a down stored in history.
fn refuse_client_copy(
    m: &Migration,
    section: &Section,
    direction: Direction,
) -> Result<(), PgError> {
    if !section.text.to_ascii_lowercase().contains("copy") {
        return Ok(());
    }
    let copy = strata_sql::split_with_inline_data(&section.text);
    for statement in &copy.statements {
        let text = &section.text[statement.span.clone()];
        if let Some(kind) = strata_sql::ClientCopy::of(text) {
            let (line, column) = section.position(statement.span.start);
            let what = match kind {
                strata_sql::ClientCopy::ToClient => "COPY ... TO STDOUT",
                _ => "COPY ... FROM STDIN",
            };
            return Err(PgError::Refused(format!(
                "{}:{line}:{column}: migration {} ({direction} section) holds {what}, whose rows would travel through strata's connection, which does not carry them; nothing of it was run (turn inline data into INSERT statements, e.g. with pg_dump --inserts, or load it outside migrations)",
                section.file.display(),
                m.version
            )));
        }
    }
    Ok(())
}

/// Blanks a leading `BEGIN` and a trailing `COMMIT` (same length, so offsets
/// hold), so that a file written with its own transaction stays atomic inside ours.
pub fn absorb_transaction_control(sql: &str) -> String {
    let Ok(statements) = strata_sql::split(sql) else {
        return sql.to_owned();
    };
    let mut bytes = sql.as_bytes().to_vec();
    let count = statements.len();
    for (i, statement) in statements.iter().enumerate() {
        let absorb = statement
            .transaction_control()
            .is_some_and(|c| c.is_absorbed_at(i, count));
        if absorb && sql[statement.span.clone()].is_ascii() {
            for b in &mut bytes[statement.span.clone()] {
                if *b != b'\n' {
                    *b = b' ';
                }
            }
        }
    }
    String::from_utf8(bytes).unwrap_or_else(|_| sql.to_owned())
}

fn split_for_execution(
    m: &Migration,
    section: &Section,
    direction: Direction,
) -> Result<Vec<strata_sql::Statement>, PgError> {
    strata_sql::split(&section.text).map_err(|e| {
        let (line, column) = e.offset.map_or((None, None), |o| {
            let (l, c) = section.position(o);
            (Some(l), Some(c))
        });
        PgError::Migration(Box::new(MigrationFailure {
            version: m.version.to_string(),
            name: m.name.clone(),
            file: section.file.clone(),
            section: direction,
            line,
            column,
            source_line: None,
            error: ServerError {
                sqlstate: "42601".to_owned(),
                message: e.message,
                detail: None,
                hint: None,
                position: None,
            },
            advice: None,
            statements_done: Some((0, 0)),
            note: "nothing of it ran: the file does not parse".to_owned(),
            left_behind: Vec::new(),
            blocked_by: Vec::new(),
        }))
    })
}

/// Maps the server's error position onto the file, and adds advice.
///
/// `prefix_chars` is how many characters strata sent before `body`;
/// `body_offset_chars` is where `body` starts within the section, in characters
/// (for a single statement of a no-transaction section).
fn locate(
    m: &Migration,
    section: &Section,
    which: Direction,
    error: ServerError,
    prefix_chars: usize,
    body: &str,
    body_offset_chars: Option<usize>,
) -> MigrationFailure {
    let mut location = None;
    if let Some(position) = error.position {
        let index = usize::try_from(position)
            .unwrap_or(usize::MAX)
            .saturating_sub(1);
        if let Some(in_body) = index.checked_sub(prefix_chars)
            && in_body < body.chars().count()
        {
            let in_section = in_body + body_offset_chars.unwrap_or(0);
            let byte = section
                .text
                .char_indices()
                .nth(in_section)
                .map_or(section.text.len(), |(b, _)| b);
            location = Some(section.position(byte));
        }
    }
    let (line, column) = match location {
        Some((l, c)) => (Some(l), Some(c)),
        None => (None, None),
    };
    let source_line = location.and_then(|(l, _)| section.file_line(l));
    MigrationFailure {
        version: m.version.to_string(),
        name: m.name.clone(),
        file: section.file.clone(),
        section: which,
        line,
        column,
        source_line,
        advice: advice(&error.sqlstate),
        error,
        statements_done: None,
        note: String::new(),
        left_behind: Vec::new(),
        blocked_by: Vec::new(),
    }
}

/// The errors strata's own transaction-pooler guards raise, as what they mean.
fn pooler_error(error: &ServerError) -> Option<PgError> {
    match error.sqlstate.as_str() {
        "SR002" => Some(PgError::Refused(
            "a no-transaction migration is being applied by another migrator, or failed part-way: run `strata status` and try again when it has finished (or repair it)".to_owned(),
        )),
        "SR005" => Some(PgError::Refused(
            "the server session changed between two of strata's transactions, so the migration lock no longer protects this run: strata is connected through a transaction pooler; nothing more was applied; connect directly or to the session port, or set `pooler = \"transaction\"` (or pgbouncer=true in the URL)".to_owned(),
        )),
        "SR004" => Some(PgError::LockTimeout {
            waited: Duration::ZERO,
            holder: None,
        }),
        _ => None,
    }
}

/// Points a failure at a byte offset of its section.
fn set_location(failure: &mut MigrationFailure, section: &Section, offset: usize) {
    let (line, column) = section.position(offset);
    failure.line = Some(line);
    failure.column = Some(column);
    failure.source_line = section.file_line(line);
}

/// SQLSTATEs of "it already exists".
const ALREADY_EXISTS: [&str; 6] = ["42P07", "42710", "42701", "42P06", "42723", "42P16"];

/// strata's advice for the usual SQLSTATEs.
pub fn advice(sqlstate: &str) -> Option<String> {
    let text = match sqlstate {
        code if ALREADY_EXISTS.contains(&code) => {
            "the object already exists: make the migration idempotent (IF NOT EXISTS), or find out who created it outside strata"
        }
        "42P01" | "42703" | "42704" | "3F000" | "42883" => {
            "something it uses does not exist: check the order of migrations (is it created by an earlier one?) and the spelling"
        }
        "55P03" => {
            "the table is busy: another session holds a conflicting lock and lock_timeout ran out; retry when it is quieter, or raise the timeout with `-- strata:lock-timeout 30s`"
        }
        "57014" => {
            "the statement ran longer than statement_timeout; raise it for this migration with `-- strata:statement-timeout 30min`"
        }
        "25001" => {
            "this statement cannot run inside a transaction block: add `-- strata:no-transaction` to the migration"
        }
        "42501" => {
            "the role strata connects as lacks a privilege this migration needs; connect as the schema owner"
        }
        "23505" | "23502" | "23503" | "23514" => {
            "existing data does not fit the change: fix the data first (in an earlier migration), then retry"
        }
        "40P01" => "a deadlock with another session: retry; keep migrations short to avoid it",
        _ => return None,
    };
    Some(text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absorbs_only_a_leading_begin_and_a_trailing_commit() {
        let sql = "BEGIN;\ncreate table t (id int);\nCOMMIT;\n";
        let out = absorb_transaction_control(sql);
        assert_eq!(out.len(), sql.len());
        assert_eq!(out, "     ;\ncreate table t (id int);\n      ;\n");
        let middle = "create table a ();\ncommit;\ncreate table b ();\n";
        assert_eq!(absorb_transaction_control(middle), middle);
    }

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
