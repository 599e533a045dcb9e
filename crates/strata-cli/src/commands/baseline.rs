//! `strata baseline`: adopt a database whose schema exists already.

use crate::Outcome;
use crate::args::{BaselineArgs, Global, LockArgs};
use crate::commands::migrate::{error_json, version_arg};
use crate::db;
use crate::project::Project;
use crate::render;

/// Runs `strata baseline`.
pub fn run(global: &Global, args: &BaselineArgs) -> anyhow::Result<Outcome> {
    let version = args
        .version
        .as_deref()
        .map(|v| version_arg("--version", v))
        .transpose()?;
    let project = Project::discover(global)?;
    let set = db::load_valid(&project)?;
    db::runtime()?.block_on(async {
        let mut db = db::open(&project, global, &LockArgs::default(), Some(&set)).await?;
        let redact = db.redactor();
        match db.migrator.baseline(&set, version.as_ref()).await {
            Ok(versions) => {
                if global.json {
                    let versions: Vec<String> = versions.iter().map(ToString::to_string).collect();
                    render::json(&serde_json::json!({"ok": true, "baselined": versions}))?;
                } else {
                    render::success(&format!(
                        "recorded {} as applied without running them (up to {})",
                        render::plural(versions.len(), "migration"),
                        versions.last().map(ToString::to_string).unwrap_or_default()
                    ));
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
