//! `strata new NAME`: write a new migration in the project's style.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Context as _;
use strata_core::config::Numbering;
use strata_core::new::{NewError, NewRequest, plan_new};

use crate::Outcome;
use crate::args::{Global, NewArgs};
use crate::project::{Project, usage};
use crate::render;

/// Runs `strata new`.
pub fn run(global: &Global, args: &NewArgs) -> anyhow::Result<Outcome> {
    let project = Project::discover(global)?;
    let set = project.load();
    let timestamp = jiff::Timestamp::now().strftime("%Y%m%d%H%M%S").to_string();
    let author = git_author();
    let numbering = if args.sequential {
        Some(Numbering::Sequential)
    } else if args.timestamp {
        Some(Numbering::Timestamp)
    } else {
        project.config.migrations.numbering
    };
    let request = NewRequest {
        name: &args.name,
        timestamp: &timestamp,
        author: author.as_deref(),
        purpose: args.purpose.as_deref(),
        numbering,
    };
    let planned = plan_new(&set, &request).map_err(|e| match e {
        NewError::InvalidName(_) | NewError::NameTaken { .. } | NewError::VersionTaken { .. } => {
            usage(e.to_string())
        }
        other => anyhow::Error::new(other),
    })?;
    let mut written: Vec<PathBuf> = Vec::new();
    for file in &planned.files {
        let path = set.dir.join(&file.path);
        if let Err(failed) = write_new(&path, &file.content) {
            // All or nothing: a pair's first half goes too.
            let mut left: Vec<String> = written
                .iter()
                .filter(|done| std::fs::remove_file(done).is_err())
                .map(|done| done.display().to_string())
                .collect();
            if failed.left_behind {
                left.push(path.display().to_string());
            }
            return Err(if left.is_empty() {
                failed.error.context("nothing was created")
            } else {
                failed.error.context(format!(
                    "{} could not be removed: delete it",
                    left.join(" and ")
                ))
            });
        }
        written.push(path);
    }
    if global.json {
        render::json(&serde_json::json!({
            "version": planned.version,
            "name": planned.name,
            "files": written,
            "out_of_order": planned.out_of_order,
        }))?;
    } else {
        for path in &written {
            render::success(&format!("created {}", path.display()));
        }
        if planned.out_of_order {
            render::warning(&format!(
                "version {} sorts before an existing migration; is the clock right?",
                planned.version
            ));
        }
    }
    Ok(Outcome::Success)
}

/// Why a new file could not be written.
struct WriteFailure {
    error: anyhow::Error,
    /// Whether the file was created and could not be removed again.
    left_behind: bool,
}

/// Creates `path` (never over an existing file) holding `content`, on disk
/// when this returns. On failure the file is removed again: a full disk must
/// not leave an empty or truncated migration that the next command reads.
fn write_new(path: &Path, content: &str) -> Result<(), WriteFailure> {
    let failed = |error: anyhow::Error| WriteFailure {
        error,
        left_behind: false,
    };
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))
            .map_err(failed)?;
    }
    let mut handle = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))
        .map_err(failed)?;
    // sync_all: some file systems report a full disk only when the data
    // is flushed, not at the write.
    let written = handle
        .write_all(content.as_bytes())
        .and_then(|()| handle.sync_all());
    drop(handle);
    written.map_err(|error| WriteFailure {
        error: anyhow::Error::new(error).context(format!("cannot write {}", path.display())),
        left_behind: std::fs::remove_file(path).is_err(),
    })
}

/// `Name <email>` from git (honouring GIT_AUTHOR_NAME/EMAIL), if git is there.
fn git_author() -> Option<String> {
    let output = Command::new("git")
        .args(["var", "GIT_AUTHOR_IDENT"])
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    let ident = String::from_utf8(output.stdout).ok()?;
    // "Name <email> 1700000000 +0000": keep up to the closing bracket.
    let end = ident.find('>')?;
    Some(ident[..=end].trim().to_owned())
}
