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

use std::time::{Duration, Instant};

use strata_core::config::Pooler;
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
        }
    }
}

/// Up or down.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Applying.
    Up,
    /// Rolling back.
    Down,
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
    locked: bool,
    lock_key: i32,
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

    /// Takes the migration lock, waiting up to `lock_wait`. In transaction-pooler
    /// mode there is no session to hold it: each transaction locks instead.
    pub async fn lock(&mut self, progress: &mut dyn Progress) -> Result<(), PgError> {
        if self.locked || self.transaction_pooler() {
            return Ok(());
        }
        let started = Instant::now();
        let mut told = false;
        let try_lock = format!(
            "SELECT pg_try_advisory_lock({LOCK_CLASS}, {})::text",
            self.lock_key
        );
        loop {
            let rows = exec(&self.client, &try_lock, "cannot take the migration lock").await?;
            if rows.first().and_then(|r| r.get(0)) == Some("true") {
                self.locked = true;
                return Ok(());
            }
            let holder = self.lock_holder().await?;
            if !told {
                progress.lock_waiting(holder.as_ref());
                told = true;
            }
            if started.elapsed() >= self.settings.lock_wait {
                return Err(PgError::LockTimeout {
                    waited: self.settings.lock_wait,
                    holder,
                });
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Who holds the migration lock now.
    pub async fn lock_holder(&self) -> Result<Option<LockHolder>, PgError> {
        let rows = exec(
            &self.client,
            &format!(
                "SELECT a.pid::text, coalesce(a.application_name, ''),
                        coalesce(host(a.client_addr), 'local'),
                        to_char(a.backend_start AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS UTC')
                 FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
                 WHERE l.locktype = 'advisory' AND l.granted
                   AND l.classid = {LOCK_CLASS}::oid AND l.objid = ({})::int4::oid AND l.objsubid = 2
                 LIMIT 1",
                self.lock_key
            ),
            "cannot find who holds the migration lock",
        )
        .await?;
        Ok(rows.first().map(|r| LockHolder {
            pid: text(r, 0).parse().unwrap_or(0),
            application: text(r, 1),
            client: text(r, 2),
            since: text(r, 3),
        }))
    }

    /// Releases the migration lock.
    pub async fn unlock(&mut self) -> Result<(), PgError> {
        if self.locked {
            exec(
                &self.client,
                &format!("SELECT pg_advisory_unlock({LOCK_CLASS}, {})", self.lock_key),
                "cannot release the migration lock",
            )
            .await?;
            self.locked = false;
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
        let found = history::format(&self.client, &self.settings.schema).await?;
        history::check_format(&self.settings.schema, found)?;
        if found.is_none() {
            let sql = format!(
                "BEGIN;\n{}{}\nCOMMIT;",
                self.xact_lock(),
                history::create_sql(&self.settings.schema)
            );
            if let Err(e) = exec(&self.client, &sql, "cannot create the history tables").await {
                let _ = self.client.simple_query("ROLLBACK").await;
                return Err(e);
            }
        }
        Ok(())
    }

    /// The recorded history (empty when strata never ran here).
    pub async fn history(&self) -> Result<Vec<AppliedRecord>, PgError> {
        history::read(&self.client, &self.settings.schema).await
    }

    /// The newest events, newest first.
    pub async fn events(&self, limit: u32) -> Result<Vec<history::Event>, PgError> {
        history::events(&self.client, &self.settings.schema, limit).await
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
        let plan = loop {
            let records = self.history().await?;
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
            break plan;
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
            let skipped = self.apply(migration).await?;
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

    fn history_insert(&self, m: &Migration, status: &str) -> String {
        let down = m.down.as_ref();
        format!(
            "INSERT INTO {}.migrations (version, name, checksum, down_checksum, down_sql, down_no_transaction, no_transaction, status, os_user, tool_version, duration_ms)
VALUES ({}, {}, {}, {}, {}, {}, {}, '{status}', {}, {}, (extract(epoch FROM clock_timestamp() - now()) * 1000)::bigint);\n",
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
    async fn record_failure(&self, kind: &str, m_version: &Version, name: &str, detail: &str) {
        let sql = self.event_insert(kind, m_version, name, "failed", Some(detail));
        let _ = self.client.simple_query(&sql).await;
    }

    /// Applies one migration; returns true when another migrator had already
    /// applied it (transaction-pooler mode).
    pub async fn apply(&self, m: &Migration) -> Result<bool, PgError> {
        if m.up.no_transaction() {
            self.apply_statements(m).await
        } else {
            self.apply_transaction(m).await
        }
    }

    /// The guard that skips a migration another migrator applied meanwhile.
    fn already_applied_guard(&self, version: &Version) -> String {
        if !self.transaction_pooler() {
            return String::new();
        }
        format!(
            "DO $strata$ BEGIN \
IF EXISTS (SELECT 1 FROM {s}.migrations WHERE version = {v} AND status = 'applied') THEN RAISE EXCEPTION 'strata: already applied' USING ERRCODE = 'SR001'; END IF; \
IF EXISTS (SELECT 1 FROM {s}.migrations WHERE status = 'failed') THEN RAISE EXCEPTION 'strata: a no-transaction migration is running in another migrator, or failed part-way' USING ERRCODE = 'SR002'; END IF; \
END $strata$;\n",
            s = self.schema(),
            v = literal(version.as_str())
        )
    }

    async fn apply_transaction(&self, m: &Migration) -> Result<bool, PgError> {
        let body = absorb_transaction_control(&m.up.text);
        let mut batch = String::with_capacity(body.len() + 1024);
        batch.push_str(self.session_reset());
        batch.push_str("BEGIN;\n");
        batch.push_str(&self.xact_lock());
        batch.push_str(&self.already_applied_guard(&m.version));
        batch.push_str(&self.timeouts(&m.up, true));
        let prefix_chars = batch.chars().count();
        batch.push_str(&body);
        batch.push_str("\n;\n");
        batch.push_str(&self.history_insert(m, "applied"));
        batch.push_str(&self.event_insert("apply", &m.version, &m.name, "ok", None));
        batch.push_str("COMMIT;");
        let started = Instant::now();
        match self.send_waiting_for_others(&batch).await {
            Ok(_) => Ok(false),
            Err(e) => {
                let error = ServerError::from_driver(&e);
                let _ = self.client.simple_query("ROLLBACK").await;
                if error.sqlstate == "SR001" {
                    return Ok(true);
                }
                if let Some(e) = pooler_error(&error) {
                    return Err(e);
                }
                let mut failure = locate(m, &m.up, "up", error, prefix_chars, &body, None);
                if failure.line.is_none() {
                    self.replay_for_position(&m.up, &mut failure, started.elapsed())
                        .await;
                }
                self.record_failure("apply", &m.version, &m.name, &failure.error.to_string())
                    .await;
                Err(PgError::Migration(Box::new(failure)))
            }
        }
    }

    /// Sends a migration's batch; through a transaction pooler, while another
    /// migrator is in the middle of a no-transaction migration (the guard says
    /// SR002), waits and tries again, up to `lock_wait`, as a waiting session
    /// lock would.
    async fn send_waiting_for_others(
        &self,
        sql: &str,
    ) -> Result<Vec<tokio_postgres::SimpleQueryMessage>, tokio_postgres::Error> {
        let started = Instant::now();
        loop {
            match self.client.simple_query(sql).await {
                Err(e)
                    if self.transaction_pooler()
                        && e.as_db_error()
                            .is_some_and(|db| db.code().code() == "SR002")
                        && started.elapsed() < self.settings.lock_wait =>
                {
                    let _ = self.client.simple_query("ROLLBACK").await;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                other => return other,
            }
        }
    }

    async fn apply_statements(&self, m: &Migration) -> Result<bool, PgError> {
        let statements = split_for_execution(m, &m.up)?;
        let schema = self.schema();
        let version = literal(m.version.as_str());
        // Claim the migration: a `failed` row with 0 statements done.
        let claim = format!(
            "BEGIN;\n{}{}{}COMMIT;",
            self.xact_lock(),
            self.already_applied_guard(&m.version),
            self.history_insert(m, "failed")
        );
        if let Err(e) = self.send_waiting_for_others(&claim).await {
            let error = ServerError::from_driver(&e);
            let _ = self.client.simple_query("ROLLBACK").await;
            if error.sqlstate == "SR001" {
                return Ok(true);
            }
            if let Some(e) = pooler_error(&error) {
                return Err(e);
            }
            return Err(PgError::Server {
                context: format!("cannot record migration {} as started", m.version),
                error: Box::new(error),
            });
        }
        self.reset_session().await?;
        // Session timeouts; a transaction pooler would leak them to other clients.
        let timeouts = self.timeouts(&m.up, false);
        if !self.transaction_pooler() && !timeouts.is_empty() {
            exec(&self.client, &timeouts, "cannot set timeouts").await?;
        }
        let total = statements.len();
        for (i, statement) in statements.iter().enumerate() {
            let sql = &m.up.text[statement.span.clone()];
            if let Err(e) = self.client.simple_query(sql).await {
                let error = ServerError::from_driver(&e);
                let prefix = m.up.text[..statement.span.start].chars().count();
                let mut failure = locate(m, &m.up, "up", error, 0, sql, Some(prefix));
                if failure.line.is_none() {
                    set_location(&mut failure, &m.up, statement.span.start);
                }
                failure.statements_done = Some((i, total));
                let _ = self.reset_session().await;
                if i == 0 {
                    // Nothing ran: forget the claim, so fixing the file is enough.
                    let _ = self
                        .client
                        .simple_query(&format!(
                            "DELETE FROM {schema}.migrations WHERE version = {version} AND statements_done = 0"
                        ))
                        .await;
                }
                self.record_failure("apply", &m.version, &m.name, &failure.error.to_string())
                    .await;
                return Err(PgError::Migration(Box::new(failure)));
            }
            exec(
                &self.client,
                &format!(
                    "UPDATE {schema}.migrations SET statements_done = {} WHERE version = {version}",
                    i + 1
                ),
                "cannot record progress",
            )
            .await?;
        }
        self.reset_session().await?;
        exec(
            &self.client,
            &format!(
                "BEGIN;\nUPDATE {schema}.migrations SET status = 'applied', applied_at = now(), duration_ms = (extract(epoch FROM clock_timestamp() - applied_at) * 1000)::bigint WHERE version = {version};\n{}COMMIT;",
                self.event_insert("apply", &m.version, &m.name, "ok", None)
            ),
            "cannot record the migration as applied",
        )
        .await?;
        Ok(false)
    }

    async fn reset_session(&self) -> Result<(), PgError> {
        if self.transaction_pooler() {
            return Ok(());
        }
        exec(&self.client, "RESET ALL;", "cannot reset session settings")
            .await
            .map(|_| ())
    }

    /// `RESET ALL` in session mode, so a plain `SET` in one migration (say of
    /// `search_path`) does not leak into the next one of the same run: each
    /// migration sees the same session whether applied alone or in a batch.
    /// Through a transaction pooler, session state is the pooler's business.
    fn session_reset(&self) -> &'static str {
        if self.transaction_pooler() {
            ""
        } else {
            "RESET ALL;\n"
        }
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
        if let Some(failed) = records
            .iter()
            .find(|r| matches!(r.status, RecordStatus::Failed { .. }))
        {
            return Err(PgError::Blocked(vec![Blocker::Failed {
                version: failed.version.clone(),
                name: failed.name.clone(),
                statements_done: match failed.status {
                    RecordStatus::Failed { statements_done } => statements_done,
                    RecordStatus::Applied => 0,
                },
            }]));
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

    /// Runs one migration's down and removes its history row (no lock taken:
    /// `strata rollback` locks around it; `strata verify` owns its database).
    pub async fn undo(&self, m: &Migration) -> Result<(), PgError> {
        let Some(down) = &m.down else {
            return Err(PgError::Refused(format!(
                "migration {} has no down section",
                m.version
            )));
        };
        let forget = format!(
            "DELETE FROM {}.migrations WHERE version = {};\n{}",
            self.schema(),
            literal(m.version.as_str()),
            self.event_insert("rollback", &m.version, &m.name, "ok", None)
        );
        if down.no_transaction() {
            let statements = split_for_execution(m, down)?;
            let timeouts = self.timeouts(down, false);
            if !self.transaction_pooler() && !timeouts.is_empty() {
                exec(&self.client, &timeouts, "cannot set timeouts").await?;
            }
            for statement in &statements {
                let sql = &down.text[statement.span.clone()];
                if let Err(e) = self.client.simple_query(sql).await {
                    let error = ServerError::from_driver(&e);
                    let prefix = down.text[..statement.span.start].chars().count();
                    let mut failure = locate(m, down, "down", error, 0, sql, Some(prefix));
                    if failure.line.is_none() {
                        set_location(&mut failure, down, statement.span.start);
                    }
                    let _ = self.reset_session().await;
                    self.record_failure(
                        "rollback",
                        &m.version,
                        &m.name,
                        &failure.error.to_string(),
                    )
                    .await;
                    return Err(PgError::Migration(Box::new(failure)));
                }
            }
            self.reset_session().await?;
            exec(
                &self.client,
                &format!("BEGIN;\n{forget}COMMIT;"),
                "cannot record the rollback",
            )
            .await?;
            return Ok(());
        }
        let body = absorb_transaction_control(&down.text);
        let mut batch = String::from(self.session_reset());
        batch.push_str("BEGIN;\n");
        batch.push_str(&self.xact_lock());
        if self.transaction_pooler() {
            // Another migrator may have rolled it back meanwhile: then skip it.
            batch.push_str(&format!(
                "DO $strata$ BEGIN IF NOT EXISTS (SELECT 1 FROM {}.migrations WHERE version = {} AND status = 'applied') THEN RAISE EXCEPTION 'strata: already rolled back' USING ERRCODE = 'SR003'; END IF; END $strata$;\n",
                self.schema(),
                literal(m.version.as_str())
            ));
        }
        batch.push_str(&self.timeouts(down, true));
        let prefix_chars = batch.chars().count();
        batch.push_str(&body);
        batch.push_str("\n;\n");
        batch.push_str(&forget);
        batch.push_str("COMMIT;");
        let started = Instant::now();
        if let Err(e) = self.client.simple_query(&batch).await {
            let error = ServerError::from_driver(&e);
            let _ = self.client.simple_query("ROLLBACK").await;
            if error.sqlstate == "SR003" {
                return Ok(());
            }
            if let Some(e) = pooler_error(&error) {
                return Err(e);
            }
            let mut failure = locate(m, down, "down", error, prefix_chars, &body, None);
            if failure.line.is_none() {
                self.replay_for_position(down, &mut failure, started.elapsed())
                    .await;
            }
            self.record_failure("rollback", &m.version, &m.name, &failure.error.to_string())
                .await;
            return Err(PgError::Migration(Box::new(failure)));
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
        let find = |v: &Version| records.iter().find(|r| r.version == *v);
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
                Some(r) => (
                    v,
                    r.name.clone(),
                    format!(
                        "UPDATE {schema}.migrations SET status = 'applied' WHERE version = {};\n",
                        literal(r.version.as_str())
                    ),
                    format!("marked the failed migration {v} as applied"),
                ),
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
                (
                    v,
                    r.name.clone(),
                    format!(
                        "DELETE FROM {schema}.migrations WHERE version = {};\n",
                        literal(r.version.as_str())
                    ),
                    format!("cleared the failed migration {v}; the next migrate runs it again"),
                )
            }
        };
        let batch = format!(
            "BEGIN;\n{}{sql}{}COMMIT;",
            self.xact_lock(),
            self.event_insert("repair", version, &name, "ok", Some(&done))
        );
        if let Err(e) = exec(&self.client, &batch, "cannot repair the history").await {
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
        if let Err(e) = exec(&self.client, &batch, "cannot record the baseline").await {
            let _ = self.client.simple_query("ROLLBACK").await;
            return Err(e);
        }
        Ok(chosen.iter().map(|m| m.version.clone()).collect())
    }
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
            section: "up",
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
    which: &'static str,
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
    }
}

/// The errors strata's own transaction-pooler guards raise, as what they mean.
fn pooler_error(error: &ServerError) -> Option<PgError> {
    match error.sqlstate.as_str() {
        "SR002" => Some(PgError::Refused(
            "a no-transaction migration is being applied by another migrator, or failed part-way: run `strata status` and try again when it has finished (or repair it)".to_owned(),
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

/// strata's advice for the usual SQLSTATEs.
pub fn advice(sqlstate: &str) -> Option<String> {
    let text = match sqlstate {
        "42P07" | "42710" | "42701" | "42P06" | "42723" | "42P16" => {
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
