//! `strata log`: what happened to the history, newest first.

use std::io::Write as _;

use crate::Outcome;
use crate::args::{Global, LockArgs, LogArgs};
use crate::render;

/// Runs `strata log`.
pub fn run(global: &Global, args: &LogArgs) -> anyhow::Result<Outcome> {
    let project = strata::Project::discover(&global.discover())?;
    let report = strata::history::log(&project, &global.connect(&LockArgs::default()), args.limit)?;
    if global.json {
        render::report(&report)?;
    } else if let Some(error) = &report.error {
        render::run_error(error, render::Action::Other);
    } else {
        let mut out = anstream::stdout().lock();
        if report.events.is_empty() {
            writeln!(out, "no events yet")?;
        }
        for e in &report.events {
            writeln!(
                out,
                "{}  {:<8}  {:<6}  {} {}  by {}{}{}",
                e.at,
                e.kind,
                e.outcome,
                e.version.as_deref().unwrap_or("-"),
                e.name.as_deref().unwrap_or(""),
                e.actor,
                e.os_user
                    .as_deref()
                    .map(|u| format!(" ({u})"))
                    .unwrap_or_default(),
                e.detail
                    .as_deref()
                    .map(|d| format!(": {d}"))
                    .unwrap_or_default(),
            )?;
        }
    }
    Ok(Outcome::of(report.ok))
}
