//! `strata migrate`: apply pending migrations.

use std::io::{IsTerminal as _, Write as _};
use std::time::{Duration, Instant};

use serde::Serialize;
use strata_core::{Migration, Version};
use strata_pg::{Direction, Done, LockHolder, MigrateOptions, Progress};

use crate::Outcome;
use crate::args::{Global, MigrateArgs};
use crate::db;
use crate::project::{Project, usage};
use crate::render;

/// Prints a line per migration as it finishes (stdout) and lock waits (stderr).
pub struct Lines {
    /// Print nothing (JSON output).
    quiet: bool,
    /// How many migrations the run has, for the counter.
    total: usize,
    /// How many finished.
    count: usize,
    /// When strata found the migration lock held and began to wait.
    waiting_since: Option<Instant>,
    /// How long the run waited for the migration lock, if it had to.
    lock_wait: Option<Duration>,
}

impl Lines {
    /// Progress for a run of `total` migrations (corrected once planned).
    pub fn new(quiet: bool, total: usize) -> Self {
        Self {
            quiet,
            total,
            count: 0,
            waiting_since: None,
            lock_wait: None,
        }
    }
}

impl Progress for Lines {
    fn lock_waiting(&mut self, holder: Option<&LockHolder>) {
        self.waiting_since = Some(Instant::now());
        let mut err = anstream::stderr().lock();
        let _ = match holder {
            Some(h) => writeln!(err, "waiting for the migration lock, held by {h}"),
            None => writeln!(err, "waiting for the migration lock"),
        };
    }

    fn planned(&mut self, count: usize) {
        // The lock is held from here on. The wait runs from the notice to the
        // plan, which adds the reading of the history: milliseconds.
        self.lock_wait = self.waiting_since.take().map(|since| since.elapsed());
        self.total = count;
    }

    fn warning(&mut self, message: &str) {
        // Also under --json: stderr is not the report.
        render::warning(message);
    }

    fn started(&mut self, migration: &Migration, direction: Direction) {
        // On a terminal, show what is running now; the finished line replaces it.
        if !self.quiet && std::io::stdout().is_terminal() {
            let verb = match direction {
                Direction::Up => "applying",
                Direction::Down => "rolling back",
            };
            // A bar for long runs; a counter is enough for short ones.
            let bar = if self.total >= 20 {
                let filled = self.count * 20 / self.total.max(1);
                format!("[{}{}] ", "#".repeat(filled), ".".repeat(20 - filled))
            } else {
                String::new()
            };
            print!(
                "{bar}{}/{} {verb} {} {} ...\r",
                self.count + 1,
                self.total,
                migration.version,
                migration.name
            );
            let _ = std::io::stdout().flush();
        }
    }

    fn finished(&mut self, migration: &Migration, direction: Direction, took: Duration) {
        self.count += 1;
        if self.quiet {
            return;
        }
        let verb = match direction {
            Direction::Up => "applied",
            Direction::Down => "rolled back",
        };
        let clear = if std::io::stdout().is_terminal() {
            "\x1b[2K"
        } else {
            ""
        };
        let mut out = anstream::stdout().lock();
        let _ = writeln!(
            out,
            "{clear}{verb} {} {} ({})",
            migration.version,
            migration.name,
            human_duration(took)
        );
    }
}

/// `0.4 ms`, `12 ms`, `1.3 s`: tenths under 10 ms, so that a fast migration
/// does not read as `0 ms`.
pub fn human_duration(d: Duration) -> String {
    if d < Duration::from_millis(10) {
        format!("{:.1} ms", d.as_secs_f64() * 1000.0)
    } else if d < Duration::from_secs(1) {
        format!("{} ms", d.as_millis())
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

/// The closing line of a run: `done` (`applied 3 migrations`) and the
/// wall-clock time of the whole run, `took`, measured around it (the wait for
/// the migration lock included, and said when there was one), never a sum of
/// the migrations' own times, which leaves out everything between them.
pub fn run_summary(done: &str, took: Duration, lines: &Lines) -> String {
    match lines.lock_wait {
        Some(wait) => format!(
            "{done} in {} (including {} waiting for the migration lock)",
            human_duration(took),
            human_duration(wait)
        ),
        None => format!("{done} in {}", human_duration(took)),
    }
}

#[derive(Serialize)]
struct Report<'a> {
    ok: bool,
    dry_run: bool,
    applied: &'a [Done],
    /// The whole run, wall-clock (absent for a dry run).
    #[serde(skip_serializing_if = "Option::is_none")]
    duration_ms: Option<u128>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pending: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<serde_json::Value>,
}

/// Turns a PgError into JSON for `--json` reports, redacted.
pub fn error_json(
    error: &strata_pg::PgError,
    redact: &dyn Fn(&str) -> String,
) -> serde_json::Value {
    use strata_pg::PgError;
    match error {
        PgError::Migration(failure) => {
            let mut value = serde_json::to_value(failure.as_ref()).unwrap_or_default();
            if let Some(obj) = value.as_object_mut() {
                obj.insert("kind".into(), "migration-failed".into());
                if let Some(serde_json::Value::String(line)) = obj.get_mut("source_line") {
                    *line = redact(line);
                }
                if let Some(e) = obj.get_mut("error").and_then(|e| e.as_object_mut()) {
                    for key in ["message", "detail", "hint"] {
                        if let Some(serde_json::Value::String(s)) = e.get_mut(key) {
                            *s = redact(s);
                        }
                    }
                }
            }
            value
        }
        PgError::Blocked(blockers) => serde_json::json!({
            "kind": "blocked",
            "blockers": blockers.iter().map(|b| serde_json::json!({
                "message": redact(&b.to_string()),
                "help": b.help(),
            })).collect::<Vec<_>>(),
        }),
        other => serde_json::json!({ "kind": "error", "message": redact(&other.to_string()) }),
    }
}

/// Parses a `--to VERSION` argument.
pub fn version_arg(flag: &str, text: &str) -> anyhow::Result<Version> {
    Version::parse(text).map_err(|e| usage(format!("{flag}: {e}")))
}

/// Runs `strata migrate`.
pub fn run(global: &Global, args: &MigrateArgs) -> anyhow::Result<Outcome> {
    let project = Project::discover(global)?;
    let set = db::load_valid(&project)?;
    let options = MigrateOptions {
        to: args
            .to
            .as_deref()
            .map(|t| version_arg("--to", t))
            .transpose()?,
        allow_out_of_order: args.allow_out_of_order,
    };
    db::runtime()?.block_on(async {
        let mut db = db::open(&project, global, &args.lock, Some(&set)).await?;
        let redact = db.redactor();
        if args.dry_run {
            let pending = match db.migrator.plan(&set, &options).await {
                Ok(pending) => pending,
                Err(e) => {
                    if global.json {
                        render::json(&Report {
                            ok: false,
                            dry_run: true,
                            applied: &[],
                            duration_ms: None,
                            pending: Vec::new(),
                            error: Some(error_json(&e, &redact)),
                        })?;
                    } else {
                        render::pg_error(&e, &redact, render::Action::Apply);
                    }
                    return Ok(Outcome::Failed);
                }
            };
            if global.json {
                render::json(&Report {
                    ok: true,
                    dry_run: true,
                    applied: &[],
                    duration_ms: None,
                    pending: pending.iter().map(|m| m.version.to_string()).collect(),
                    error: None,
                })?;
            } else if pending.is_empty() {
                println!("nothing to apply: the database is up to date");
            } else {
                println!(
                    "would apply {}:",
                    render::plural(pending.len(), "migration")
                );
                for m in &pending {
                    let mode = if m.up.no_transaction() {
                        " (no transaction)"
                    } else {
                        ""
                    };
                    println!("  {} {}{mode}", m.version, m.name);
                }
            }
            return Ok(Outcome::Success);
        }
        let mut lines = Lines::new(global.json, 0);
        let started = Instant::now();
        let report = db.migrator.migrate(&set, &options, &mut lines).await;
        let took = started.elapsed();
        let applied = report.done.iter().filter(|d| !d.skipped).count();
        if global.json {
            render::json(&Report {
                ok: report.error.is_none(),
                dry_run: false,
                applied: &report.done,
                duration_ms: Some(took.as_millis()),
                pending: Vec::new(),
                error: report.error.as_ref().map(|e| error_json(e, &redact)),
            })?;
        } else {
            if let Some(error) = &report.error {
                render::pg_error(error, &redact, render::Action::Apply);
                if applied > 0 {
                    let verb = if applied == 1 { "stays" } else { "stay" };
                    eprintln!(
                        "{} applied before the failure {verb} applied",
                        render::plural(applied, "migration")
                    );
                }
            } else if applied == 0 {
                println!("nothing to apply: the database is up to date");
            } else {
                render::success(&run_summary(
                    &format!("applied {}", render::plural(applied, "migration")),
                    took,
                    &lines,
                ));
            }
        }
        Ok(if report.error.is_some() {
            Outcome::Failed
        } else {
            Outcome::Success
        })
    })
}
