//! `strata verify`: every migration and every rollback, on a throwaway PostgreSQL.

use std::io::Write as _;

use strata::report::VerifyReport;
use strata::verify::{Events, Ready, Verify};
use strata_pg::verify::{Checked, Continued, Outcome as Result_, SqlTest, VerifyProgress};

use crate::Outcome;
use crate::args::{Global, VerifyArgs, version_opt};
use crate::render;

/// Prints a line per migration and test as verify goes.
struct Lines {
    quiet: bool,
}

impl Events for Lines {
    fn ready(&mut self, ready: &Ready) {
        if self.quiet {
            return;
        }
        let Ready {
            server, took_ms, ..
        } = ready;
        match &ready.scratch {
            None => println!(
                "throwaway PostgreSQL {server} ready in {took_ms} ms{}",
                if ready.supabase {
                    ", with the Supabase stand-in"
                } else {
                    ""
                }
            ),
            Some(scratch) => {
                for leftover in &scratch.leftovers {
                    println!(
                        "note: {leftover} on this server is a scratch database an interrupted \
                         strata verify left; drop it once no verify runs"
                    );
                }
                println!(
                    "scratch database {} on {} (PostgreSQL {server}) ready in {took_ms} ms{}; \
                     it is dropped at the end",
                    scratch.database,
                    scratch.server,
                    match &scratch.run_as {
                        Some(role) => format!(", migrations run as {role}"),
                        None => String::new(),
                    }
                );
            }
        }
    }

    fn tested(&mut self, test: &SqlTest) {
        if self.quiet {
            return;
        }
        let label = if test.passed { "ok" } else { "FAILED" };
        println!(
            "{label:<12} test {} ({} ms)",
            test.file.display(),
            test.duration_ms
        );
        if let Some(failure) = &test.failure {
            println!("             {}", with_extension_advice(failure));
        }
    }
}

impl VerifyProgress for Lines {
    fn checked(&mut self, c: &Checked) {
        if self.quiet {
            return;
        }
        let mut out = anstream::stdout().lock();
        let (label, extra): (&str, Vec<String>) = match &c.outcome {
            Result_::Passed => ("ok", Vec::new()),
            Result_::Applied => ("applied", Vec::new()),
            Result_::Irreversible => ("irreversible", vec!["no down section".to_owned()]),
            Result_::UpFailed { error } => ("FAILED", vec![format!("up: {error}")]),
            Result_::DownFailed { error } => ("FAILED", vec![format!("down: {error}")]),
            Result_::ReapplyFailed { error } => {
                ("FAILED", vec![format!("up again after the down: {error}")])
            }
            Result_::SchemaDiffers { differences } => (
                "FAILED",
                std::iter::once("the down does not restore the schema:".to_owned())
                    .chain(differences.iter().map(|d| format!("  {d}")))
                    .collect(),
            ),
            _ => ("?", Vec::new()),
        };
        let _ = writeln!(
            out,
            "{label:<12} {} {} ({} ms)",
            c.version, c.name, c.duration_ms
        );
        for line in extra {
            let _ = writeln!(out, "             {line}");
        }
        if c.continued == Some(Continued::Rebuilt) {
            let _ = writeln!(
                out,
                "             going on in a new database, with the ups up to this one applied again"
            );
        }
    }
}

/// Runs `strata verify`.
pub fn run(global: &Global, args: &VerifyArgs) -> anyhow::Result<Outcome> {
    let options = Verify {
        no_roundtrip: args.no_roundtrip,
        from: version_opt("--from", args.from.as_deref())?,
        url: args.verify_url.clone(),
        keep_going: args.keep_going,
    };
    let project = strata::Project::discover(&global.discover())?;
    let mut lines = Lines { quiet: global.json };
    let report = strata::verify::run(&project, &options, &mut lines)?;
    if global.json {
        render::report(&report)?;
    } else {
        summary(&report);
    }
    Ok(Outcome::of(report.ok))
}

/// The catalog findings and the closing line.
fn summary(report: &VerifyReport) {
    // Warnings never change the exit status; an error (an INVALID index)
    // has already made the report fail.
    for check in &report.catalog {
        let d = &check.diagnostic;
        let label = if d.is_error() { "error" } else { "warning" };
        println!(
            "{label:<12} {} {}: {}",
            check.version, check.name, d.message
        );
        if let Some(help) = &d.help {
            println!("             help: {help}");
        }
    }
    let count = |wanted: fn(&Result_) -> bool| {
        report
            .migrations
            .iter()
            .filter(|c| wanted(&c.outcome))
            .count()
    };
    let passed = count(|o| matches!(o, Result_::Passed));
    let irreversible = count(|o| matches!(o, Result_::Irreversible));
    let failures = count(Result_::is_failure) + report.tests.iter().filter(|t| !t.passed).count();
    let tests_note = if report.tests.is_empty() {
        String::new()
    } else {
        format!(", {} run", render::plural(report.tests.len(), "SQL test"))
    };
    let warnings_note = if report.catalog.is_empty() {
        String::new()
    } else {
        format!(
            ", {}",
            render::plural(report.catalog.len(), "catalog warning")
        )
    };
    let summary = format!(
        "{} checked{tests_note} in {} ms: {passed} round trip(s) passed, {irreversible} irreversible, {failures} failed{warnings_note}",
        render::plural(report.migrations.len(), "migration"),
        report.duration_ms
    );
    if report.ok {
        render::success(&summary);
        return;
    }
    let failed: Vec<String> = report
        .migrations
        .iter()
        .filter(|c| c.outcome.is_failure())
        .map(|c| format!("{} {}: {}", c.version, c.name, reason(&c.outcome)))
        .chain(
            report
                .tests
                .iter()
                .filter(|t| !t.passed)
                .map(|t| format!("test {}", t.file.display())),
        )
        .collect();
    if !failed.is_empty() {
        println!("failures:");
        for line in failed {
            println!("  {line}");
        }
    }
    println!("{summary}");
    if report.unchecked > 0 {
        match (&report.rebuild_failed, report.migrations.last()) {
            (Some(why), _) => println!("later migrations were not checked: {why}"),
            (None, Some(last)) if matches!(last.outcome, Result_::UpFailed { .. }) => println!(
                "later migrations were not checked: they build on {} {}, whose up failed",
                last.version, last.name
            ),
            _ => println!(
                "later migrations were not checked: they build on the one that failed \
                 (--keep-going checks them too)"
            ),
        }
    }
}

/// A failure in one line, for the list at the end.
fn reason(outcome: &Result_) -> String {
    let first = |text: &str| text.lines().next().unwrap_or_default().to_owned();
    match outcome {
        Result_::UpFailed { error } => format!("up: {}", first(error)),
        Result_::DownFailed { error } => format!("down: {}", first(error)),
        Result_::ReapplyFailed { error } => format!("up again after the down: {}", first(error)),
        Result_::SchemaDiffers { differences } => {
            let more = match differences.len() {
                0 | 1 => String::new(),
                n => format!(", and {} more", n - 1),
            };
            format!(
                "the down does not restore the schema: {}{more}",
                differences.first().map(String::as_str).unwrap_or_default()
            )
        }
        _ => "failed".to_owned(),
    }
}

/// A test's `error`, with how to get an extension this machine lacks when it is about one
/// (a migration's failure carries its advice already).
fn with_extension_advice(error: &str) -> String {
    match strata::verify::extension_advice(error) {
        Some(advice) => format!("{error}\n             {advice}"),
        None => error.to_owned(),
    }
}
