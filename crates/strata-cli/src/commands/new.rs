//! `strata new NAME`: write a new migration in the project's style.

use std::io::Write as _;
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
    let mut written = Vec::new();
    for file in &planned.files {
        let path = set.dir.join(&file.path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        let mut handle = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .with_context(|| format!("cannot create {}", path.display()))?;
        handle
            .write_all(file.content.as_bytes())
            .with_context(|| format!("cannot write {}", path.display()))?;
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
