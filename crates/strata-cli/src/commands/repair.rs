//! `strata repair`: fix the history by hand, one recorded action at a time.

use strata_pg::Repair;

use crate::Outcome;
use crate::args::{Global, LockArgs, RepairArgs, version};
use crate::render;

/// Runs `strata repair`.
pub fn run(global: &Global, args: &RepairArgs) -> anyhow::Result<Outcome> {
    let action = match (
        &args.mark_applied,
        &args.mark_rolled_back,
        &args.accept_checksum,
        &args.clear_failed,
    ) {
        (Some(v), ..) => Repair::MarkApplied(version("--mark-applied", v)?),
        (_, Some(v), ..) => Repair::MarkRolledBack(version("--mark-rolled-back", v)?),
        (_, _, Some(v), _) => Repair::AcceptChecksum(version("--accept-checksum", v)?),
        (_, _, _, Some(v)) => Repair::ClearFailed(version("--clear-failed", v)?),
        _ => {
            return Err(
                strata::Error::input("say what to repair, e.g. --mark-applied VERSION").into(),
            );
        }
    };
    let project = strata::Project::discover(&global.discover())?;
    let report = strata::history::repair(&project, &global.connect(&LockArgs::default()), &action)?;
    render::history_change(global, &report, |done| {
        render::success(done.done.as_deref().unwrap_or_default())
    })
}
