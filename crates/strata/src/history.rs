//! The commands that act on a database's history: migrate, rollback,
//! repair, baseline, status and log. Each opens a session (see
//! [`crate::session`]), does its work under the migration lock where it
//! writes, and returns a typed report; a failure of the run itself is part
//! of the report, redacted.

use std::time::{Duration, Instant};

use strata_core::plan::{State, status};
use strata_core::{Diagnostic, Migration, MigrationSet, Version};
use strata_pg::{Direction, LockHolder, MigrateOptions, Progress, Repair, RollbackTarget};
use strata_sql::ParsedSet;

use crate::error::{Error, Result};
use crate::project::Project;
use crate::report::{
    HistoryChange, LogReport, MigrateReport, Pending, RollbackReport, RollbackStep, RunError,
    StatusReport, StatusRow, StoppedBefore, Timing,
};
use crate::session::{Connect, Purpose, Session, runtime};
use crate::validity::Validity;

/// What `migrate` is asked.
#[derive(Clone, Debug, Default)]
pub struct Migrate {
    /// Stop after this version.
    pub to: Option<Version>,
    /// Apply pending migrations older than the newest applied one.
    pub allow_out_of_order: bool,
    /// Only say what would be applied.
    pub dry_run: bool,
}

/// Applies the pending migrations (or with `dry_run`, lists them).
pub fn migrate(
    project: &Project,
    connect: &Connect,
    options: &Migrate,
    progress: &mut dyn Progress,
) -> Result<MigrateReport> {
    let (set, validity) = project.load_checked();
    let unplaced = validity.unplaced();
    if !unplaced.is_empty() {
        return Err(invalid(&set, unplaced));
    }
    let mut run = MigrateOptions {
        to: options.to.clone(),
        allow_out_of_order: options.allow_out_of_order,
    };
    runtime()?.block_on(async {
        let mut session = Session::open(project, connect, Purpose::Run(&set)).await?;
        let redact = session.redactor();
        let mut report = MigrateReport {
            ok: true,
            database: session.target.display(),
            dry_run: options.dry_run,
            pending: Vec::new(),
            applied: Vec::new(),
            stopped_before: None,
            timing: None,
            error: None,
        };
        // One invalid file stops the run where it stands, not before it: what
        // comes first is applied, nothing after it (history stays in order).
        if validity.any_up_blocked() {
            let pending = match session.migrator.plan(&set, &run).await {
                Ok(pending) => pending,
                Err(e) => {
                    report.ok = false;
                    report.error = Some(RunError::new(&e, &redact));
                    return Ok(report);
                }
            };
            if let Some(stop) = validity.stop_in(&set, &pending) {
                if stop.index == 0 {
                    return Err(invalid(&set, stop.problems));
                }
                run.to = Some(pending[stop.index - 1].version.clone());
                report.stopped_before = Some(StoppedBefore {
                    version: stop.version,
                    name: stop.name,
                    problems: stop.problems.into_iter().cloned().collect(),
                });
            }
        }
        report.ok = report.stopped_before.is_none();
        if options.dry_run {
            match session.migrator.plan(&set, &run).await {
                Ok(pending) => report.pending = pending.into_iter().map(pending_of).collect(),
                Err(e) => {
                    report.ok = false;
                    report.error = Some(RunError::new(&e, &redact));
                }
            }
            return Ok(report);
        }
        let mut timed = Timed::new(progress);
        let run = session.migrator.migrate(&set, &run, &mut timed).await;
        report.timing = Some(timed.timing());
        report.ok &= run.error.is_none();
        report.applied = run.done;
        report.error = run.error.as_ref().map(|e| RunError::new(e, &redact));
        Ok(report)
    })
}

/// The error of a set whose `problems` stop a command before it runs anything.
fn invalid(set: &ParsedSet, problems: Vec<&Diagnostic>) -> Error {
    Error::Invalid {
        dir: set.dir.clone(),
        diagnostics: problems.into_iter().cloned().collect(),
    }
}

fn pending_of(m: &Migration) -> Pending {
    Pending {
        version: m.version.to_string(),
        name: m.name.clone(),
        no_transaction: m.up.no_transaction(),
    }
}

/// How far `rollback` goes.
#[derive(Clone, Debug)]
pub enum RollbackTo {
    /// This many migrations, newest first.
    Steps(usize),
    /// Every migration after this applied version (`0`: every one).
    Version(Version),
}

/// What `rollback` is asked.
#[derive(Clone, Debug)]
pub struct Rollback {
    /// How far.
    pub to: RollbackTo,
    /// Only say what would be rolled back.
    pub dry_run: bool,
}

/// Rolls back applied migrations, newest first. `confirm` sees the plan
/// before anything runs and may refuse it; what runs is what it saw.
pub fn rollback(
    project: &Project,
    connect: &Connect,
    options: &Rollback,
    confirm: &mut dyn FnMut(&[RollbackStep]) -> Result<bool>,
    progress: &mut dyn Progress,
) -> Result<RollbackReport> {
    let target = match &options.to {
        RollbackTo::Steps(0) => return Err(Error::input("--steps must be at least 1")),
        RollbackTo::Steps(n) => RollbackTarget::Steps(*n),
        RollbackTo::Version(v) => RollbackTarget::To(v.clone()),
    };
    let (set, validity) = project.load_checked();
    runtime()?.block_on(async {
        let mut session = Session::open(project, connect, Purpose::Run(&set)).await?;
        let redact = session.redactor();
        // `--to V` must name an applied migration, or 0 for "everything": a
        // typo must not roll back more than meant.
        if let RollbackTarget::To(to) = &target
            && !to.is_zero()
        {
            let applied = session
                .migrator
                .history()
                .await
                .map_err(|e| Error::Database(redact(&e.to_string())))?;
            if !applied.iter().any(|r| r.version == *to) {
                return Err(Error::input(format!(
                    "--to {to}: no applied migration has this version (use --to 0 to roll back everything)"
                )));
            }
        }
        let mut report = RollbackReport {
            ok: true,
            database: session.target.display(),
            dry_run: options.dry_run,
            plan: Vec::new(),
            rolled_back: Vec::new(),
            timing: None,
            error: None,
        };
        let plan = match session.migrator.rollback_plan(&set, &target).await {
            Ok(plan) => plan,
            Err(e) => {
                report.ok = false;
                report.error = Some(RunError::new(&e, &redact));
                return Ok(report);
            }
        };
        // Only the migrations to roll back must be valid: an unrelated bad
        // file (a pending one, say) does not stop this.
        let blockers: Vec<&Diagnostic> = plan
            .iter()
            .flat_map(|step| validity.rollback_blockers(&step.record.version))
            .collect();
        if !blockers.is_empty() {
            return Err(invalid(&set, blockers));
        }
        report.plan = plan
            .iter()
            .map(|step| RollbackStep {
                version: step.record.version.to_string(),
                name: step.record.name.clone(),
                source: step.source.to_string(),
            })
            .collect();
        if plan.is_empty() || options.dry_run {
            return Ok(report);
        }
        if !confirm(&report.plan)? {
            report.ok = false;
            report.plan.clear();
            return Ok(report);
        }
        let shown: Vec<Version> = plan.iter().map(|s| s.record.version.clone()).collect();
        let mut timed = Timed::new(progress);
        let run = session
            .migrator
            .rollback_confirmed(&set, &target, &shown, &mut timed)
            .await;
        report.timing = Some(timed.timing());
        report.ok = run.error.is_none();
        report.rolled_back = run.done;
        report.error = run.error.as_ref().map(|e| RunError::new(e, &redact));
        Ok(report)
    })
}

/// Changes one thing in the history by hand (`strata repair`).
pub fn repair(project: &Project, connect: &Connect, action: &Repair) -> Result<HistoryChange> {
    let set = project.load();
    runtime()?.block_on(async {
        let mut session = Session::open(project, connect, Purpose::Run(&set)).await?;
        let result = session.migrator.repair(&set, action).await;
        Ok(change(
            &session,
            result.map(|done| (Some(done), Vec::new())),
        ))
    })
}

/// Records migrations as applied without running them, up to `version`
/// (all of them without), for a database whose schema exists already. In a
/// Supabase project whose CLI applied migrations, exactly those; a version
/// the CLI recorded without a file is reported, not recorded, and makes the
/// report not `ok`. With `from`, exactly what that tool's history says it
/// applied (see [`strata_pg::import`]): a migration it left failed is
/// recorded as failed, and a version without a file or whose file was
/// edited since is reported, not recorded; either makes the report not `ok`.
pub fn baseline(
    project: &Project,
    connect: &Connect,
    version: Option<&Version>,
    from: Option<&strata_pg::import::Source>,
) -> Result<HistoryChange> {
    let set = project.load_valid()?;
    // Another tool's checksum is of the file as it is on disk.
    let read_file = |path: &std::path::Path| {
        strata_core::read_file(path, Some(&project.root)).map_err(|e| e.to_string())
    };
    runtime()?.block_on(async {
        let mut session = Session::open(project, connect, Purpose::Run(&set)).await?;
        let result = match from {
            Some(source) => {
                session
                    .migrator
                    .baseline_from(&set, version, source, &read_file)
                    .await
            }
            None => session.migrator.baseline(&set, version).await,
        };
        let (from_supabase_cli, not_recorded, imported) = match &result {
            Ok(baseline) => (
                baseline.from_supabase,
                baseline.without_file.clone(),
                baseline.from.map(|tool| crate::report::Imported {
                    from: tool,
                    table: baseline.table.clone().unwrap_or_default(),
                    failed: baseline.failed.iter().map(ToString::to_string).collect(),
                    not_imported: baseline.not_imported.clone(),
                }),
            ),
            Err(_) => (false, Vec::new(), None),
        };
        let mut report = change(
            &session,
            result.map(|baseline| {
                let versions: Vec<String> =
                    baseline.versions.iter().map(ToString::to_string).collect();
                let upto = versions
                    .last()
                    .map(|last| format!(" (up to {last})"))
                    .unwrap_or_default();
                let done = if let (Some(tool), Some(table)) = (baseline.from, &baseline.table) {
                    Some(format!(
                        "recorded {} as applied without running them{upto}: those {}'s history ({table}) records as applied that have a file{}",
                        count_of(versions.len()),
                        tool.display(),
                        if tool.records_checksums() { " unchanged since" } else { "" },
                    ))
                } else {
                    baseline.from_supabase.then(|| {
                        format!(
                            "recorded {} as applied without running them{upto}: exactly the versions the Supabase CLI had applied (supabase_migrations.schema_migrations) that have a file",
                            count_of(versions.len()),
                        )
                    })
                };
                (done, versions)
            }),
        );
        report.ok &= not_recorded.is_empty()
            && imported
                .as_ref()
                .is_none_or(|i| i.failed.is_empty() && i.not_imported.is_empty());
        report.from_supabase_cli = from_supabase_cli;
        report.not_recorded = not_recorded;
        report.imported = imported;
        Ok(report)
    })
}

/// `1 migration`, `2 migrations`.
fn count_of(n: usize) -> String {
    format!("{n} migration{}", if n == 1 { "" } else { "s" })
}

fn change(
    session: &Session,
    result: Result<(Option<String>, Vec<String>), strata_pg::PgError>,
) -> HistoryChange {
    let database = session.target.display();
    match result {
        Ok((done, versions)) => HistoryChange {
            ok: true,
            database,
            done,
            versions,
            from_supabase_cli: false,
            not_recorded: Vec::new(),
            imported: None,
            error: None,
        },
        Err(e) => HistoryChange {
            ok: false,
            database,
            done: None,
            versions: Vec::new(),
            from_supabase_cli: false,
            not_recorded: Vec::new(),
            imported: None,
            error: Some(RunError::new(&e, &|s| session.redact(s))),
        },
    }
}

/// Every migration, files and history merged, and what the catalog says
/// about interrupted runs.
pub fn status_of(project: &Project, connect: &Connect) -> Result<StatusReport> {
    // Reading the files and reading the history are independent, and with
    // thousands of migrations each takes a while: the files are read on
    // another thread while this one talks to the database.
    let runtime = runtime()?;
    let (set, session) = std::thread::scope(|scope| {
        let files = scope.spawn(|| {
            let set = project.load_parsed();
            let validity = Validity::check(&set);
            (set, validity)
        });
        let session = runtime.block_on(async {
            let session = Session::open(project, connect, Purpose::History).await?;
            let health = session.migrator.health().await;
            Ok::<_, Error>((session, health))
        });
        let set = files
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (set, session)
    });
    // Invalid files do not hide the table: each is marked on its row.
    let (set, validity) = set;
    let (session, health) = session?;
    let mut report = StatusReport {
        ok: false,
        database: session.target.display(),
        migrations: Vec::new(),
        catalog: Vec::new(),
        supabase_mismatches: Vec::new(),
        problems: Vec::new(),
        error: None,
    };
    let explained = match health {
        Ok(mut health) => runtime
            .block_on(session.migrator.explain(&set, &mut health.records))
            .map(|()| health),
        Err(e) => Err(e),
    };
    let health = match explained {
        Ok(health) => health,
        Err(e) => {
            report.error = Some(RunError::new(&e, &|s| session.redact(s)));
            return Ok(report);
        }
    };
    report.migrations = rows(&set, &health.records, &session);
    let invalid = validity.invalid_versions();
    for row in &mut report.migrations {
        row.invalid = invalid
            .iter()
            .find(|(version, _)| version.as_str() == row.version)
            .map(|(_, why)| why.clone());
    }
    let shown: Vec<&Version> = set
        .migrations
        .iter()
        .map(|m| &m.version)
        .filter(|v| report.migrations.iter().any(|r| r.version == v.as_str()))
        .collect();
    report.problems = validity.errors_beside(&shown);
    report.supabase_mismatches = health.supabase_mismatches(&set);
    let broken = health.invalid.iter().filter(|f| f.kind.is_error()).count();
    report.ok = broken == 0
        && !validity.has_errors()
        && report.supabase_mismatches.is_empty()
        && !report.migrations.iter().any(|r| r.state.is_problem());
    report.catalog = health.invalid;
    Ok(report)
}

fn rows(
    set: &MigrationSet,
    records: &[strata_core::plan::AppliedRecord],
    session: &Session,
) -> Vec<StatusRow> {
    status(set, records)
        .into_iter()
        .map(|r| StatusRow {
            version: r.version.to_string(),
            name: r.name.to_owned(),
            state: r.state,
            file: r.migration.map(|m| m.up.file.clone()),
            applied_at: r.record.map(|x| x.applied_at.clone()),
            applied_by: r.record.map(|x| x.applied_by.clone()),
            duration_ms: r.record.map(|x| x.duration_ms),
            down_changed: r.down_changed,
            invalid: None,
            failure: r
                .record
                .and_then(|x| x.failure.as_deref())
                .map(|f| session.redact(f)),
        })
        .collect()
}

/// How many migrations are in each state.
pub fn count(report: &StatusReport, state: State) -> usize {
    report
        .migrations
        .iter()
        .filter(|r| r.state == state)
        .count()
}

/// The newest `limit` events of the history, newest first.
pub fn log(project: &Project, connect: &Connect, limit: u32) -> Result<LogReport> {
    runtime()?.block_on(async {
        let session = Session::open(project, connect, Purpose::History).await?;
        let mut report = LogReport {
            ok: true,
            database: session.target.display(),
            events: Vec::new(),
            error: None,
        };
        match session.migrator.events(limit).await {
            Ok(events) => {
                report.events = events
                    .into_iter()
                    .map(|mut e| {
                        e.detail = e.detail.map(|d| session.redact(&d));
                        e
                    })
                    .collect();
            }
            Err(e) => {
                report.ok = false;
                report.error = Some(RunError::new(&e, &|s| session.redact(s)));
            }
        }
        Ok(report)
    })
}

/// Forwards progress and measures the run, and in it the wait for the
/// migration lock.
struct Timed<'a> {
    inner: &'a mut dyn Progress,
    started: Instant,
    waiting_since: Option<Instant>,
    lock_wait: Option<Duration>,
}

impl<'a> Timed<'a> {
    /// Starts the clock.
    fn new(inner: &'a mut dyn Progress) -> Self {
        Self {
            inner,
            started: Instant::now(),
            waiting_since: None,
            lock_wait: None,
        }
    }

    /// The run so far.
    fn timing(&self) -> Timing {
        Timing {
            took: self.started.elapsed(),
            lock_wait: self.lock_wait,
        }
    }
}

impl Progress for Timed<'_> {
    fn lock_waiting(&mut self, holder: Option<&LockHolder>) {
        self.waiting_since = Some(Instant::now());
        self.inner.lock_waiting(holder);
    }

    fn planned(&mut self, count: usize) {
        // The lock is held from here on. The wait runs from the notice to
        // the plan, which adds the reading of the history: milliseconds.
        self.lock_wait = self.waiting_since.take().map(|since| since.elapsed());
        self.inner.planned(count);
    }

    fn warning(&mut self, message: &str) {
        self.inner.warning(message);
    }

    fn started(&mut self, migration: &Migration, direction: Direction) {
        self.inner.started(migration, direction);
    }

    fn finished(&mut self, migration: &Migration, direction: Direction, took: Duration) {
        self.inner.finished(migration, direction, took);
    }
}
