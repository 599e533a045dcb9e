//! `convert-downs`: rewrites every live down into a commented `-- ROLLBACK:`
//! block, so that a tool running the files verbatim (the Supabase CLI on
//! `supabase/migrations`) runs the ups only. Up sections keep their text and
//! checksum, so applied migrations stay valid in every database's history.

use std::io::Write;
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
    let read = |path: &Path| -> std::io::Result<String> {
        let bytes = std::fs::read(path)?;
        String::from_utf8(bytes).map_err(std::io::Error::other)
    };
    let mut report = ConvertReport {
        ok: true,
        dry_run,
        supabase_cli: strata_core::read_by_supabase_cli(&set.dir),
        dir: set.dir.clone(),
        converted: Vec::new(),
        left: Vec::new(),
    };
    for m in &set.migrations {
        let planned = rollback_block(m, &read)
            .map_err(|e| Error::io(format!("cannot read {}", m.up.file.display()), e))?;
        let left = |reason: String| Left {
            version: m.version.to_string(),
            file: m.up.file.clone(),
            reason,
        };
        match planned {
            Err(Unconvertible::NothingToDo) => {}
            Err(why) => report.left.push(left(why.to_string())),
            Ok(rewrite) if dry_run => report.converted.push(converted(m, rewrite)),
            Ok(rewrite) => match write(&rewrite, &m.up.file) {
                Ok(()) => report.converted.push(converted(m, rewrite)),
                Err(reason) => report.left.push(left(reason)),
            },
        }
    }
    report.ok = report.left.is_empty();
    Ok(report)
}

fn converted(m: &strata_core::Migration, rewrite: Rewrite) -> Converted {
    Converted {
        version: m.version.to_string(),
        file: rewrite.file,
        removed: rewrite.remove,
    }
}

/// Writes a rewrite of the migration whose up file is `up`: rewritten in
/// place, through a temporary file renamed over it; else its new file is
/// created (never over another file), then the files it replaces removed.
fn write(rewrite: &Rewrite, up: &Path) -> std::result::Result<(), String> {
    let file = &rewrite.file;
    if file == up {
        let temporary = file.with_extension("sql.strata-tmp");
        let written = write_synced(&temporary, &rewrite.text, false)
            .and_then(|()| std::fs::rename(&temporary, file));
        if let Err(e) = written {
            let _ = std::fs::remove_file(&temporary);
            return Err(format!("cannot rewrite {}: {e}", file.display()));
        }
        for old in rewrite.remove.iter().filter(|old| *old != file) {
            std::fs::remove_file(old).map_err(|e| {
                format!(
                    "rewrote {} but cannot remove {}: {e}; remove it by hand",
                    file.display(),
                    old.display()
                )
            })?;
        }
        return Ok(());
    }
    write_synced(file, &rewrite.text, true)
        .map_err(|e| format!("cannot create {}: {e}", file.display()))?;
    for old in &rewrite.remove {
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

/// Writes `text` to `path` and syncs it; `new` refuses an existing file.
fn write_synced(path: &Path, text: &str, new: bool) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true);
    if new {
        options.create_new(true);
    } else {
        options.create(true).truncate(true);
    }
    let mut handle = options.open(path)?;
    handle.write_all(text.as_bytes())?;
    handle.sync_all()
}
