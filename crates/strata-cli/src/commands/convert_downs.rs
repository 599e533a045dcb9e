//! `strata convert-downs`: rewrite live downs into commented `-- ROLLBACK:`
//! blocks, so a tool that runs the files verbatim runs only the ups.

use crate::Outcome;
use crate::args::{ConvertDownsArgs, Global};
use crate::render;

/// Runs `strata convert-downs`.
pub fn run(global: &Global, args: &ConvertDownsArgs) -> anyhow::Result<Outcome> {
    let project = strata::Project::discover(&global.discover())?;
    let report = strata::convert::convert_downs(&project, args.dry_run)?;
    if global.json {
        render::report(&report)?;
    } else {
        let verb = if report.dry_run {
            "would rewrite"
        } else {
            "rewrote"
        };
        for c in &report.converted {
            let mut line = format!("{verb} {} ({})", c.file.display(), c.version);
            for removed in &c.removed {
                line.push_str(&format!(
                    "; {} {}",
                    if report.dry_run {
                        "would remove"
                    } else {
                        "removed"
                    },
                    removed.display()
                ));
            }
            render::success(&line);
        }
        for l in &report.left {
            render::warning(&format!(
                "left {} ({}): {}",
                l.file.display(),
                l.version,
                l.reason
            ));
        }
        let dir = report.dir.display();
        match (report.converted.len(), report.left.len()) {
            (0, 0) => render::success(&format!("no live down in {dir}: nothing to rewrite")),
            (n, _) => {
                let count = render::plural(n, "migration");
                let keeps = if report.dry_run {
                    "run without --dry-run to write them"
                } else {
                    "up sections and their checksums are unchanged, so history stays valid; the down checksums change (status notes it)"
                };
                eprintln!("{verb} {count} in {dir}: {keeps}");
            }
        }
        if !report.supabase_cli && !report.converted.is_empty() {
            render::warning(&format!(
                "{dir} is not supabase/migrations: the Supabase CLI does not read it, and strata reads either shape"
            ));
        }
    }
    Ok(if report.ok {
        Outcome::Success
    } else {
        Outcome::BadInput
    })
}
