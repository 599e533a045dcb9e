//! `strata status`: every migration and its state.

use std::io::Write as _;

use serde::Serialize;
use strata_core::plan::{State, status};
use strata_pg::{Health, PgError};

use crate::Outcome;
use crate::args::{Global, LockArgs};
use crate::db;
use crate::project::Project;
use crate::render;

#[derive(Serialize)]
struct Row<'a> {
    version: String,
    name: &'a str,
    state: State,
    #[serde(skip_serializing_if = "Option::is_none")]
    file: Option<&'a std::path::Path>,
    #[serde(skip_serializing_if = "Option::is_none")]
    applied_at: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    applied_by: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    duration_ms: Option<i64>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    down_changed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    failure: Option<&'a str>,
}

/// Runs `strata status`.
pub fn run(global: &Global) -> anyhow::Result<Outcome> {
    let project = Project::discover(global)?;
    // Reading the files and reading the history are independent, and with
    // thousands of migrations each takes a while: the files are read on
    // another thread while this one talks to the database.
    // One runtime for the session: its connection lives as long as it does.
    let runtime = db::runtime()?;
    let (set, history) = std::thread::scope(|scope| {
        let files = scope.spawn(|| db::load_files(&project));
        let history = read_history(&runtime, &project, global);
        let set = files
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (set, history)
    });
    // Problems with the files come first: they say why nothing else is shown.
    let set = set?;
    let (db, health) = history?;
    let health = match health {
        Ok(health) => health,
        Err(e) => {
            render::pg_error(&e, &|s| db.redact(s), render::Action::Other);
            return Ok(Outcome::Failed);
        }
    };
    let invalid = health.invalid;
    let mut records = health.records;
    // Failed rows: what the catalog says now (still running? left what?).
    if let Err(e) = runtime.block_on(db.migrator.explain(&set, &mut records)) {
        render::pg_error(&e, &|s| db.redact(s), render::Action::Other);
        return Ok(Outcome::Failed);
    }
    let rows: Vec<Row<'_>> = status(&set, &records)
        .into_iter()
        .map(|r| Row {
            version: r.version.to_string(),
            name: r.name,
            state: r.state,
            file: r.migration.map(|m| m.up.file.as_path()),
            applied_at: r.record.map(|x| x.applied_at.as_str()),
            applied_by: r.record.map(|x| x.applied_by.as_str()),
            duration_ms: r.record.map(|x| x.duration_ms),
            down_changed: r.down_changed,
            failure: r.record.and_then(|x| x.failure.as_deref()),
        })
        .collect();
    let broken = invalid.iter().filter(|f| f.kind.is_error()).count();
    let problems = rows.iter().filter(|r| r.state.is_problem()).count() + broken;
    if global.json {
        render::json(&serde_json::json!({
            "database": db.target.display(),
            "ok": problems == 0,
            "migrations": rows,
            "catalog": invalid,
        }))?;
    } else {
        // Buffered: one write for the table, not one per row.
        let mut out = std::io::BufWriter::new(anstream::stdout().lock());
        writeln!(out, "database: {}", db.target.display())?;
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
        for r in &rows {
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
                r.applied_at.unwrap_or(""),
                r.applied_by.unwrap_or(""),
                took,
                r.name
            )?;
            if let Some(failure) = r.failure {
                writeln!(out, "{:<width$}  {}", "", db.redact(failure))?;
            }
        }
        if !invalid.is_empty() {
            writeln!(out)?;
        }
        for finding in &invalid {
            let label = if finding.kind.is_error() {
                "error"
            } else {
                "warning"
            };
            writeln!(out, "{label}: {}", finding.message)?;
            writeln!(out, "  help: {}", finding.help)?;
        }
        let pending = rows.iter().filter(|r| r.state == State::Pending).count();
        writeln!(
            out,
            "\n{} applied, {pending} pending, {} needing attention",
            rows.iter().filter(|r| r.state == State::Applied).count(),
            problems
        )?;
        out.flush()?;
    }
    Ok(if problems > 0 {
        Outcome::Failed
    } else {
        Outcome::Success
    })
}

/// Connects and reads the history; the outer error is a failure to connect,
/// the inner one a failure to read.
fn read_history(
    runtime: &tokio::runtime::Runtime,
    project: &Project,
    global: &Global,
) -> anyhow::Result<(db::Db, Result<Health, PgError>)> {
    runtime.block_on(async {
        let db = db::open(project, global, &LockArgs::default(), None).await?;
        let health = db.migrator.health().await;
        Ok((db, health))
    })
}
