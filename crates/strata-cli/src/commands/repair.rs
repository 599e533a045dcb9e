//! `strata repair`: fix the history by hand, one recorded action at a time.

use strata_pg::Repair;

use crate::Outcome;
use crate::args::{Global, LockArgs, RepairArgs};
use crate::commands::migrate::{error_json, version_arg};
use crate::db;
use crate::project::{Project, usage};
use crate::render;

/// Runs `strata repair`.
pub fn run(global: &Global, args: &RepairArgs) -> anyhow::Result<Outcome> {
    let action = match (
        &args.mark_applied,
        &args.mark_rolled_back,
        &args.accept_checksum,
        &args.clear_failed,
    ) {
        (Some(v), ..) => Repair::MarkApplied(version_arg("--mark-applied", v)?),
        (_, Some(v), ..) => Repair::MarkRolledBack(version_arg("--mark-rolled-back", v)?),
        (_, _, Some(v), _) => Repair::AcceptChecksum(version_arg("--accept-checksum", v)?),
        (_, _, _, Some(v)) => Repair::ClearFailed(version_arg("--clear-failed", v)?),
        _ => return Err(usage("say what to repair, e.g. --mark-applied VERSION")),
    };
    let project = Project::discover(global)?;
    let set = project.load();
    db::runtime()?.block_on(async {
        let mut db = db::open(&project, global, &LockArgs::default(), Some(&set)).await?;
        let redact = db.redactor();
        match db.migrator.repair(&set, &action).await {
            Ok(done) => {
                if global.json {
                    render::json(&serde_json::json!({"ok": true, "done": done}))?;
                } else {
                    render::success(&done);
                }
                Ok(Outcome::Success)
            }
            Err(e) => {
                if global.json {
                    render::json(
                        &serde_json::json!({"ok": false, "error": error_json(&e, &redact)}),
                    )?;
                } else {
                    render::pg_error(&e, &redact, render::Action::Other);
                }
                Ok(Outcome::Failed)
            }
        }
    })
}
