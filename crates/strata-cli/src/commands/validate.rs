//! `strata validate`: check every migration file without touching a database.

use std::io::Write as _;

use crate::Outcome;
use crate::args::Global;
use crate::render;

/// Runs `strata validate`.
pub fn run(global: &Global) -> anyhow::Result<Outcome> {
    let project = strata::Project::discover(&global.discover())?;
    let report = strata::files::validate(&project);
    if global.json {
        render::report(&report)?;
    } else {
        let mut out = anstream::stdout().lock();
        render::problems(&mut out, &report.diagnostics)?;
        let count = render::plural(report.migrations.len(), "migration");
        let dir = report.dir.display();
        if report.diagnostics.is_empty() {
            drop(out);
            render::success(&format!("{count} in {dir}: no problems"));
        } else {
            writeln!(
                out,
                "{count} in {dir}: {}, {}",
                render::plural(report.errors, "error"),
                render::plural(report.warnings, "warning")
            )?;
        }
    }
    Ok(if report.ok {
        Outcome::Success
    } else {
        Outcome::BadInput
    })
}
