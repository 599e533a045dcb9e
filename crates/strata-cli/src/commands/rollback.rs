//! `strata rollback`: undo applied migrations, newest first.

use std::io::{BufRead as _, IsTerminal as _, Write as _};

use strata::history::{Rollback, RollbackTo};
use strata::report::RollbackStep;

use crate::Outcome;
use crate::args::{Global, RollbackArgs, version};
use crate::commands::migrate::{Lines, run_summary};
use crate::render;

/// Runs `strata rollback`.
pub fn run(global: &Global, args: &RollbackArgs) -> anyhow::Result<Outcome> {
    let to = match (&args.to, args.steps) {
        (Some(to), _) => RollbackTo::Version(version("--to", to)?),
        (None, steps) => RollbackTo::Steps(steps.unwrap_or(1)),
    };
    let options = Rollback {
        to,
        dry_run: args.dry_run,
    };
    let project = strata::Project::discover(&global.discover())?;
    let mut confirm = |plan: &[RollbackStep]| confirm(global, plan);
    let mut lines = Lines::new(global.json, 0);
    let report = strata::history::rollback(
        &project,
        &global.connect(&args.lock),
        &options,
        &mut confirm,
        &mut lines,
    )?;
    if global.json {
        render::report(&report)?;
    } else if let Some(error) = &report.error {
        render::run_error(error, render::Action::Rollback);
    } else if report.plan.is_empty() && report.ok {
        println!("nothing to roll back");
    } else if args.dry_run {
        show_plan(&report.plan);
    } else if report.ok {
        render::success(&run_summary(
            &format!(
                "rolled back {}",
                render::plural(report.rolled_back.len(), "migration")
            ),
            report.timing,
        ));
    }
    Ok(Outcome::of(report.ok))
}

fn show_plan(plan: &[RollbackStep]) {
    println!("will roll back, in this order:");
    for step in plan {
        println!("  {} {}  {}", step.version, step.name, step.source);
    }
}

/// Shows the plan and asks, unless `--yes`; off a terminal, `--yes` is needed.
fn confirm(global: &Global, plan: &[RollbackStep]) -> Result<bool, strata::Error> {
    if !global.json {
        show_plan(plan);
    }
    if global.yes {
        return Ok(true);
    }
    if !std::io::stdin().is_terminal() {
        return Err(strata::Error::input(
            "rolling back changes the database: confirm with --yes when not on a terminal",
        ));
    }
    let io = |e| strata::Error::io("cannot ask for confirmation", e);
    print!(
        "roll back {}? [y/N] ",
        render::plural(plan.len(), "migration")
    );
    std::io::stdout().flush().map_err(io)?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer).map_err(io)?;
    let yes = matches!(answer.trim(), "y" | "Y" | "yes");
    if !yes {
        println!("nothing was changed");
    }
    Ok(yes)
}
