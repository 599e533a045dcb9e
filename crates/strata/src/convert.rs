//! `convert-downs`: rewrites every live down into a commented `-- ROLLBACK:`
//! block, so that a tool running the files verbatim (the Supabase CLI on
//! `supabase/migrations`) runs the ups only. Up sections keep their text and
//! checksum, so applied migrations stay valid in every database's history.

use std::path::{Path, PathBuf};

use schemars::JsonSchema;
use serde::Serialize;
use strata_core::convert::{Rewrite, Unconvertible, rollback_block};

use crate::error::{Error, Result};
use crate::project::Project;

/// `strata convert-downs --json`: what was rewritten, and what was left with
/// the reason.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct ConvertReport {
    /// Every live down was rewritten (or would be, with `dry_run`).
    pub ok: bool,
    /// Nothing was written.
    pub dry_run: bool,
    /// The migrations directory.
    pub dir: PathBuf,
    /// Whether the Supabase CLI reads this directory.
    pub supabase_cli: bool,
    /// The migrations rewritten.
    pub converted: Vec<Converted>,
    /// The migrations with a live down left as they are.
    pub left: Vec<Left>,
}

/// A migration whose down is now a commented block.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct Converted {
    /// Its version.
    pub version: String,
    /// The file holding the migration now.
    pub file: PathBuf,
    /// Files removed (a pair's up and down, now one file).
    pub removed: Vec<PathBuf>,
}

/// A migration with a live down that was not rewritten.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct Left {
    /// Its version.
    pub version: String,
    /// Its up file.
    pub file: PathBuf,
    /// Why, and what to do instead.
    pub reason: String,
}

/// Rewrites (or, with `dry_run`, plans) every live down of the project.
pub fn convert_downs(project: &Project, dry_run: bool) -> Result<ConvertReport> {
    let set = project.load();
    let read = |path: &Path| std::fs::read_to_string(path);
    let (mut converted, mut left) = (Vec::new(), Vec::new());
    for m in &set.migrations {
        let planned = rollback_block(m, &read)
            .map_err(|e| Error::io(format!("cannot read {}", m.up.file.display()), e))?;
        let written = match planned {
            Err(Unconvertible::NothingToDo) => continue,
            Err(why) => Err(why.to_string()),
            Ok(rewrite) if dry_run => Ok(rewrite),
            Ok(rewrite) => write(&rewrite, &m.up.file).map(|()| rewrite),
        };
        match written {
            Ok(rewrite) => converted.push(Converted {
                version: m.version.to_string(),
                file: rewrite.file,
                removed: rewrite.remove,
            }),
            Err(reason) => left.push(Left {
                version: m.version.to_string(),
                file: m.up.file.clone(),
                reason,
            }),
        }
    }
    Ok(ConvertReport {
        ok: left.is_empty(),
        dry_run,
        supabase_cli: strata_core::read_by_supabase_cli(&set.dir),
        dir: set.dir,
        converted,
        left,
    })
}

/// Writes a rewrite of the migration whose up file is `up`: rewritten in
/// place through a temporary file renamed over it (a crash leaves the old
/// file or the new one), else its new file is created (never over another
/// file); then the files it replaces are removed.
fn write(rewrite: &Rewrite, up: &Path) -> std::result::Result<(), String> {
    let file = &rewrite.file;
    let in_place = file == up;
    let target = if in_place {
        let temporary = file.with_extension("sql.strata-tmp");
        // A temporary file an interrupted run left behind.
        let _ = std::fs::remove_file(&temporary);
        temporary
    } else {
        file.clone()
    };
    crate::files::write_new(&target, &rewrite.text)
        .map_err(|failed| format!("{}: {}", failed.context, failed.error))?;
    if in_place && let Err(e) = std::fs::rename(&target, file) {
        let _ = std::fs::remove_file(&target);
        return Err(format!("cannot rewrite {}: {e}", file.display()));
    }
    for old in rewrite.remove.iter().filter(|old| *old != file) {
        std::fs::remove_file(old).map_err(|e| {
            format!(
                "wrote {} but cannot remove {}: {e}; remove it by hand before anything reads the directory",
                file.display(),
                old.display()
            )
        })?;
    }
    Ok(())
}
