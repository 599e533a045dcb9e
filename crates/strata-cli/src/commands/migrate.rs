//! `strata migrate`: apply pending migrations.

use std::io::{IsTerminal as _, Write as _};
use std::time::Duration;

use strata::report::Timing;
use strata_core::Migration;
use strata_pg::{Direction, LockHolder, Progress};

use crate::Outcome;
use crate::args::{Global, MigrateArgs, version_opt};
use crate::render;

/// Prints a line per migration as it finishes (stdout) and lock waits (stderr).
pub struct Lines {
    /// Print nothing (JSON output).
    quiet: bool,
    /// How many migrations the run has, for the counter.
    total: usize,
    /// How many finished.
    count: usize,
}

impl Lines {
    /// Progress for a run of `total` migrations (corrected once planned).
    pub fn new(quiet: bool, total: usize) -> Self {
        Self {
            quiet,
            total,
            count: 0,
        }
    }
}

impl Progress for Lines {
    fn lock_waiting(&mut self, holder: Option<&LockHolder>) {
        let mut err = anstream::stderr().lock();
        let _ = match holder {
            Some(h) => writeln!(err, "waiting for the migration lock, held by {h}"),
            None => writeln!(err, "waiting for the migration lock"),
        };
    }

    fn planned(&mut self, count: usize) {
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
pub fn run_summary(done: &str, timing: Option<Timing>) -> String {
    let Some(Timing { took, lock_wait }) = timing else {
        return done.to_owned();
    };
    match lock_wait {
        Some(wait) => format!(
            "{done} in {} (including {} waiting for the migration lock)",
            human_duration(took),
            human_duration(wait)
        ),
        None => format!("{done} in {}", human_duration(took)),
    }
}

/// Runs `strata migrate`.
pub fn run(global: &Global, args: &MigrateArgs) -> anyhow::Result<Outcome> {
    let options = strata::history::Migrate {
        to: version_opt("--to", args.to.as_deref())?,
        allow_out_of_order: args.allow_out_of_order,
        dry_run: args.dry_run,
    };
    let project = strata::Project::discover(&global.discover())?;
    let mut lines = Lines::new(global.json, 0);
    let report =
        strata::history::migrate(&project, &global.connect(&args.lock), &options, &mut lines)?;
    if global.json {
        render::report(&report)?;
    } else if let Some(error) = &report.error {
        render::run_error(error, render::Action::Apply);
        let applied = report.applied.iter().filter(|d| !d.skipped).count();
        if applied > 0 {
            let verb = if applied == 1 { "stays" } else { "stay" };
            eprintln!(
                "{} applied before the failure {verb} applied",
                render::plural(applied, "migration")
            );
        }
    } else if args.dry_run {
        if report.pending.is_empty() {
            println!("nothing to apply: the database is up to date");
        } else {
            println!(
                "would apply {}:",
                render::plural(report.pending.len(), "migration")
            );
            for m in &report.pending {
                let mode = if m.no_transaction {
                    " (no transaction)"
                } else {
                    ""
                };
                println!("  {} {}{mode}", m.version, m.name);
            }
        }
    } else {
        let applied = report.applied.iter().filter(|d| !d.skipped).count();
        if applied == 0 && report.stopped_before.is_none() {
            println!("nothing to apply: the database is up to date");
        } else if applied > 0 {
            render::success(&run_summary(
                &format!("applied {}", render::plural(applied, "migration")),
                report.timing,
            ));
        }
    }
    if !global.json
        && let Some(stop) = &report.stopped_before
    {
        stopped(stop, args.dry_run)?;
    }
    Ok(Outcome::of(report.ok))
}

/// Why the run stopped before a migration, and that nothing after it ran.
fn stopped(stop: &strata::report::StoppedBefore, dry_run: bool) -> anyhow::Result<()> {
    let mut err = anstream::stderr().lock();
    render::problems(&mut err, &stop.problems)?;
    let would = if dry_run { "would stop" } else { "stopped" };
    writeln!(
        err,
        "error: {would} before {} {}: its file cannot be applied (above); the migrations after it wait for it",
        stop.version, stop.name
    )?;
    Ok(())
}
