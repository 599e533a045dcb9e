//! `strata baseline`: adopt a database whose schema exists already, or the
//! history of the tool a project used before (`--from TOOL`).

use crate::Outcome;
use crate::args::{BaselineArgs, Global, LockArgs, version_opt};
use crate::render;

/// Runs `strata baseline`.
pub fn run(global: &Global, args: &BaselineArgs) -> anyhow::Result<Outcome> {
    let version = version_opt("--version", args.version.as_deref())?;
    let project = strata::Project::discover(&global.discover())?;
    let from = args.from.map(|tool| strata_pg::import::Source {
        tool,
        table: args.table.clone(),
    });
    let report = strata::history::baseline(
        &project,
        &global.connect(&LockArgs::default()),
        version.as_ref(),
        from.as_ref(),
    )?;
    render::history_change(global, &report, |done| {
        match &done.done {
            // With --from, or in a Supabase project, the workflow says what it adopted.
            Some(what) => render::success(what),
            None => render::success(&format!(
                "recorded {} as applied without running them (up to {})",
                render::plural(done.versions.len(), "migration"),
                done.versions.last().map(String::as_str).unwrap_or_default()
            )),
        }
        for missing in &done.not_recorded {
            render::warning(&missing.message);
            eprintln!("  help: {}", missing.help);
        }
        if let Some(imported) = &done.imported {
            for version in &imported.failed {
                render::warning(&format!(
                    "recorded migration {version} as failed part-way, as {} left it: look at the database, then `strata repair --mark-applied {version}` once all its changes are there (complete them by hand if need be), or undo what it did and `strata repair --clear-failed {version}` so that the next migrate runs it again",
                    imported.from
                ));
            }
            for skipped in &imported.not_imported {
                render::warning(&skipped.message);
                eprintln!("  help: {}", skipped.help);
            }
        }
    })
}
