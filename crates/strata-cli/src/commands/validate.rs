//! `strata validate`: check every migration file without touching a database.

use std::io::Write as _;
use std::path::PathBuf;

use serde::Serialize;
use strata_core::{Checksum, Diagnostic, Layout, Severity};

use crate::Outcome;
use crate::args::Global;
use crate::project::Project;
use crate::render;

#[derive(Serialize)]
struct Report<'a> {
    dir: &'a std::path::Path,
    ok: bool,
    errors: usize,
    warnings: usize,
    problems: &'a [Diagnostic],
    migrations: Vec<MigrationSummary<'a>>,
}

#[derive(Serialize)]
struct MigrationSummary<'a> {
    version: &'a str,
    name: &'a str,
    file: &'a PathBuf,
    layout: Layout,
    up_checksum: Checksum,
    #[serde(skip_serializing_if = "Option::is_none")]
    down_checksum: Option<Checksum>,
    no_transaction: bool,
}

/// Runs `strata validate`.
pub fn run(global: &Global) -> anyhow::Result<Outcome> {
    let project = Project::discover(global)?;
    let set = project.load();
    let problems = strata_sql::check::validate(&set);
    let errors = problems.iter().filter(|p| p.is_error()).count();
    let warnings = problems
        .iter()
        .filter(|p| p.severity == Severity::Warning)
        .count();
    if global.json {
        render::json(&Report {
            dir: &set.dir,
            ok: errors == 0,
            errors,
            warnings,
            problems: &problems,
            migrations: set
                .migrations
                .iter()
                .map(|m| MigrationSummary {
                    version: m.version.as_str(),
                    name: &m.name,
                    file: &m.up.file,
                    layout: m.layout,
                    up_checksum: m.up.checksum,
                    down_checksum: m.down.as_ref().map(|d| d.checksum),
                    no_transaction: m.up.no_transaction(),
                })
                .collect(),
        })?;
    } else {
        let mut out = anstream::stdout().lock();
        render::problems(&mut out, &problems)?;
        let count = render::plural(set.migrations.len(), "migration");
        let dir = set.dir.display();
        if problems.is_empty() {
            drop(out);
            render::success(&format!("{count} in {dir}: no problems"));
        } else {
            writeln!(
                out,
                "{count} in {dir}: {}, {}",
                render::plural(errors, "error"),
                render::plural(warnings, "warning")
            )?;
        }
    }
    Ok(if errors > 0 {
        Outcome::BadInput
    } else {
        Outcome::Success
    })
}
