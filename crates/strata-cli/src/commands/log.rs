//! `strata log`: what happened to the history, newest first.

use std::io::Write as _;

use crate::Outcome;
use crate::args::{Global, LockArgs, LogArgs};
use crate::db;
use crate::project::Project;
use crate::render;

/// Runs `strata log`.
pub fn run(global: &Global, args: &LogArgs) -> anyhow::Result<Outcome> {
    let project = Project::discover(global)?;
    db::runtime()?.block_on(async {
        let db = db::open(&project, global, &LockArgs::default(), None).await?;
        let events = match db.migrator.events(args.limit).await {
            Ok(events) => events,
            Err(e) => {
                render::pg_error(&e, &|s| db.redact(s), render::Action::Other);
                return Ok(Outcome::Failed);
            }
        };
        if global.json {
            let events: Vec<_> = events
                .into_iter()
                .map(|mut e| {
                    e.detail = e.detail.map(|d| db.redact(&d));
                    e
                })
                .collect();
            render::json(&events)?;
            return Ok(Outcome::Success);
        }
        let mut out = anstream::stdout().lock();
        if events.is_empty() {
            writeln!(out, "no events yet")?;
        }
        for e in &events {
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
                    .map(|d| format!(": {}", db.redact(d)))
                    .unwrap_or_default(),
            )?;
        }
        Ok(Outcome::Success)
    })
}
