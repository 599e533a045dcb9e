//! `strata baseline`: adopt a database whose schema exists already.

use crate::Outcome;
use crate::args::{BaselineArgs, Global, LockArgs, version_opt};
use crate::render;

/// Runs `strata baseline`.
pub fn run(global: &Global, args: &BaselineArgs) -> anyhow::Result<Outcome> {
    let version = version_opt("--version", args.version.as_deref())?;
    let project = strata::Project::discover(&global.discover())?;
    let report = strata::history::baseline(
        &project,
        &global.connect(&LockArgs::default()),
        version.as_ref(),
    )?;
    render::history_change(global, &report, |done| {
        match &done.done {
            // In a Supabase project, the workflow says what it adopted.
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
    })
}
