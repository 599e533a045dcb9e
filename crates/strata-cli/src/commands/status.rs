//! `strata status`: every migration and its state.

use std::io::Write as _;

use strata_core::plan::State;

use crate::Outcome;
use crate::args::{Global, LockArgs};
use crate::render;

/// Runs `strata status`.
pub fn run(global: &Global) -> anyhow::Result<Outcome> {
    let project = strata::Project::discover(&global.discover())?;
    let report = strata::history::status_of(&project, &global.connect(&LockArgs::default()))?;
    if global.json {
        render::report(&report)?;
    } else if let Some(error) = &report.error {
        render::run_error(error, render::Action::Other);
    } else {
        table(&report)?;
    }
    Ok(Outcome::of(report.ok))
}

fn table(report: &strata::report::StatusReport) -> anyhow::Result<()> {
    let rows = &report.migrations;
    // Buffered: one write for the table, not one per row.
    let mut out = std::io::BufWriter::new(anstream::stdout().lock());
    writeln!(out, "database: {}", report.database)?;
    if rows.is_empty() {
        writeln!(out, "no migrations")?;
    }
    let width = rows
        .iter()
        .map(|r| r.version.len())
        .max()
        .unwrap_or(7)
        .max(7);
    writeln!(
        out,
        "{:<width$}  {:<12}  {:<20}  {:<12}  {:>9}  NAME",
        "VERSION", "STATE", "APPLIED AT", "BY", "TOOK"
    )?;
    for r in rows {
        let took = r
            .duration_ms
            .map(|ms| format!("{ms} ms"))
            .unwrap_or_default();
        let note = if r.down_changed {
            "  (down section edited since apply)"
        } else {
            ""
        };
        writeln!(
            out,
            "{:<width$}  {:<12}  {:<20}  {:<12}  {:>9}  {}{note}",
            r.version,
            r.state.as_str(),
            r.applied_at.as_deref().unwrap_or(""),
            r.applied_by.as_deref().unwrap_or(""),
            took,
            r.name
        )?;
        if let Some(failure) = &r.failure {
            writeln!(out, "{:<width$}  {failure}", "")?;
        }
        if let Some(invalid) = &r.invalid {
            writeln!(out, "{:<width$}  invalid: {invalid}", "")?;
        }
    }
    if !report.problems.is_empty() {
        writeln!(out)?;
        render::problems(&mut out, &report.problems)?;
    }
    if !report.catalog.is_empty() {
        writeln!(out)?;
    }
    for finding in &report.catalog {
        let label = if finding.kind.is_error() {
            "error"
        } else {
            "warning"
        };
        writeln!(out, "{label}: {}", finding.message)?;
        writeln!(out, "  help: {}", finding.help)?;
    }
    if !report.supabase_mismatches.is_empty() {
        writeln!(
            out,
            "\nthe Supabase CLI's history (supabase_migrations.schema_migrations) and strata's disagree:"
        )?;
    }
    for mismatch in &report.supabase_mismatches {
        writeln!(out, "error: {}", mismatch.message)?;
        writeln!(out, "  help: {}", mismatch.help)?;
    }
    let broken = report.catalog.iter().filter(|f| f.kind.is_error()).count();
    let problems = rows
        .iter()
        .filter(|r| r.state.is_problem() || r.invalid.is_some())
        .count()
        + broken
        + report.supabase_mismatches.len()
        + report.problems.len();
    writeln!(
        out,
        "\n{} applied, {} pending, {problems} needing attention",
        strata::history::count(report, State::Applied),
        strata::history::count(report, State::Pending),
    )?;
    out.flush()?;
    Ok(())
}
