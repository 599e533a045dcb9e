//! `strata rollback`: undo applied migrations, newest first.

use std::io::{BufRead as _, IsTerminal as _, Write as _};

use strata_pg::RollbackTarget;

use crate::Outcome;
use crate::args::{Global, RollbackArgs};
use crate::commands::migrate::{Lines, error_json, run_summary, version_arg};
use crate::db;
use crate::project::{Project, usage};
use crate::render;

/// Runs `strata rollback`.
pub fn run(global: &Global, args: &RollbackArgs) -> anyhow::Result<Outcome> {
    let project = Project::discover(global)?;
    let set = db::load_valid(&project)?;
    let target = match (&args.to, args.steps) {
        (Some(to), _) => RollbackTarget::To(version_arg("--to", to)?),
        (None, Some(0)) => return Err(usage("--steps must be at least 1")),
        (None, steps) => RollbackTarget::Steps(steps.unwrap_or(1)),
    };
    db::runtime()?.block_on(async {
        let mut db = db::open(&project, global, &args.lock, Some(&set)).await?;
        let redact = db.redactor();
        // `--to V` must name an applied migration, or 0 for "everything": a typo
        // must not roll back more than meant.
        if let RollbackTarget::To(to) = &target
            && to.parts().iter().any(|&p| p != 0)
        {
            let applied = db.migrator.history().await.map_err(|e| anyhow::anyhow!(redact(&e.to_string())))?;
            if !applied.iter().any(|r| r.version == *to) {
                return Err(usage(format!(
                    "--to {to}: no applied migration has this version (use --to 0 to roll back everything)"
                )));
            }
        }
        let plan = match db.migrator.rollback_plan(&set, &target).await {
            Ok(plan) => plan,
            Err(e) => {
                if global.json {
                    render::json(
                        &serde_json::json!({"ok": false, "error": error_json(&e, &redact)}),
                    )?;
                } else {
                    render::pg_error(&e, &redact, render::Action::Rollback);
                }
                return Ok(Outcome::Failed);
            }
        };
        if plan.is_empty() {
            if global.json {
                render::json(&serde_json::json!({"ok": true, "rolled_back": []}))?;
            } else {
                println!("nothing to roll back");
            }
            return Ok(Outcome::Success);
        }
        if !global.json {
            println!("will roll back, in this order:");
            for step in &plan {
                println!(
                    "  {} {}  {}",
                    step.record.version, step.record.name, step.source
                );
            }
        }
        if args.dry_run {
            if global.json {
                let versions: Vec<String> =
                    plan.iter().map(|s| s.record.version.to_string()).collect();
                render::json(
                    &serde_json::json!({"ok": true, "dry_run": true, "would_roll_back": versions}),
                )?;
            }
            return Ok(Outcome::Success);
        }
        if !global.yes {
            if !std::io::stdin().is_terminal() {
                return Err(usage(
                    "rolling back changes the database: confirm with --yes when not on a terminal",
                ));
            }
            print!(
                "roll back {}? [y/N] ",
                render::plural(plan.len(), "migration")
            );
            std::io::stdout().flush()?;
            let mut answer = String::new();
            std::io::stdin().lock().read_line(&mut answer)?;
            if !matches!(answer.trim(), "y" | "Y" | "yes") {
                println!("nothing was changed");
                return Ok(Outcome::Failed);
            }
        }
        let mut lines = Lines::new(global.json, plan.len());
        // What runs is what was shown (and confirmed), or nothing.
        let shown: Vec<strata_core::Version> =
            plan.iter().map(|step| step.record.version.clone()).collect();
        // Timed from here: the confirmation above is the person's time.
        let started = std::time::Instant::now();
        let report = db
            .migrator
            .rollback_confirmed(&set, &target, &shown, &mut lines)
            .await;
        let took = started.elapsed();
        if global.json {
            render::json(&serde_json::json!({
                "ok": report.error.is_none(),
                "rolled_back": report.done,
                "duration_ms": took.as_millis(),
                "error": report.error.as_ref().map(|e| error_json(e, &redact)),
            }))?;
        } else if let Some(error) = &report.error {
            render::pg_error(error, &redact, render::Action::Rollback);
        } else {
            render::success(&run_summary(
                &format!(
                    "rolled back {}",
                    render::plural(report.done.len(), "migration")
                ),
                took,
                &lines,
            ));
        }
        Ok(if report.error.is_some() {
            Outcome::Failed
        } else {
            Outcome::Success
        })
    })
}
