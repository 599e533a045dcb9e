//! The commands that write project files: `init` and `new`; and `validate`,
//! which reads them without touching a database.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use strata_core::Severity;
use strata_core::Versions;
use strata_core::config::{CONFIG_FILE, Numbering};
use strata_core::new::{NewError, NewRequest, plan_new};

use crate::error::{Error, Result};
use crate::project::{Project, working_directory};
use crate::report::{InitReport, MigrationSummary, NewReport, ValidateReport};

/// Checks every migration file, its SQL included.
pub fn validate(project: &Project) -> ValidateReport {
    let set = project.load_parsed();
    let diagnostics = strata_sql::check::validate(&set);
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Warning)
        .count();
    ValidateReport {
        ok: errors == 0,
        dir: set.dir.clone(),
        errors,
        warnings,
        migrations: set
            .migrations
            .iter()
            .map(|m| MigrationSummary {
                version: m.version.to_string(),
                name: m.name.clone(),
                file: m.up.file.clone(),
                layout: m.layout,
                up_checksum: m.up.checksum,
                down_checksum: m.down.as_ref().map(|d| d.checksum),
                no_transaction: m.up.no_transaction(),
            })
            .collect(),
        diagnostics,
    }
}

/// What `new` is asked.
#[derive(Clone, Debug, Default)]
pub struct New {
    /// The migration's name (`create_users`).
    pub name: String,
    /// A sentence saying why, written into the file.
    pub purpose: Option<String>,
    /// The numbering, instead of the project's.
    pub numbering: Option<Numbering>,
}

/// Writes a new migration in the project's style: all of its files or none.
pub fn new(project: &Project, options: &New) -> Result<NewReport> {
    let set = project.load();
    let timestamp = jiff::Timestamp::now().strftime("%Y%m%d%H%M%S").to_string();
    let author = git_author();
    let request = NewRequest {
        name: &options.name,
        timestamp: &timestamp,
        author: author.as_deref(),
        purpose: options.purpose.as_deref(),
        numbering: options.numbering.or(project.config.migrations.numbering),
        downs_dir: project.downs_dir.is_some(),
    };
    let planned = plan_new(&set, &request).map_err(|e| match e {
        NewError::InvalidName(_) | NewError::NameTaken { .. } | NewError::VersionTaken { .. } => {
            Error::input(e.to_string())
        }
        other => Error::io(
            "cannot plan the new migration",
            std::io::Error::other(other),
        ),
    })?;
    let mut written: Vec<PathBuf> = Vec::new();
    for file in &planned.files {
        let path = match (&project.downs_dir, file.in_downs) {
            (Some(downs), true) => downs.join(&file.path),
            _ => set.dir.join(&file.path),
        };
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
            let context = if left.is_empty() {
                format!("nothing was created: {}", failed.context)
            } else {
                format!(
                    "{} could not be removed: delete it: {}",
                    left.join(" and "),
                    failed.context
                )
            };
            return Err(Error::io(context, failed.error));
        }
        written.push(path);
    }
    Ok(NewReport {
        ok: true,
        migration: planned.version.to_string(),
        name: planned.name.clone(),
        files: written,
        out_of_order: planned.out_of_order,
    })
}

/// Why a new file could not be written.
pub(crate) struct WriteFailure {
    pub(crate) context: String,
    pub(crate) error: std::io::Error,
    /// Whether the file was created and could not be removed again.
    left_behind: bool,
}

/// Creates `path` (never over an existing file) holding `content`, on disk
/// when this returns. On failure the file is removed again: a full disk must
/// not leave an empty or truncated file that the next command reads.
pub(crate) fn write_new(path: &Path, content: &str) -> Result<(), WriteFailure> {
    let failed = |context: String| {
        move |error| WriteFailure {
            context,
            error,
            left_behind: false,
        }
    };
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .map_err(failed(format!("cannot create {}", parent.display())))?;
    }
    let mut handle = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(failed(format!("cannot create {}", path.display())))?;
    // sync_all: some file systems report a full disk only when the data
    // is flushed, not at the write.
    let written = handle
        .write_all(content.as_bytes())
        .and_then(|()| handle.sync_all());
    drop(handle);
    written.map_err(|error| WriteFailure {
        context: format!("cannot write {}", path.display()),
        error,
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

/// What `init` is asked.
#[derive(Clone, Debug, Default)]
pub struct Init {
    /// The configuration file to write (`strata.toml`).
    pub config: Option<PathBuf>,
    /// The migrations directory (else `supabase/migrations` when it exists,
    /// else `migrations`).
    pub dir: Option<PathBuf>,
}

/// Creates `strata.toml` and the migrations directory in the working
/// directory, and keeps `.strata/` out of git.
pub fn init(options: &Init) -> Result<InitReport> {
    let root = working_directory()?;
    let config_path = options
        .config
        .clone()
        .unwrap_or_else(|| PathBuf::from(CONFIG_FILE));
    if root.join(&config_path).exists() {
        return Err(Error::input(format!(
            "{} already exists; this project is initialised",
            config_path.display()
        )));
    }
    let supabase_dir = Path::new("supabase").join("migrations");
    let supabase = root.join(&supabase_dir).is_dir();
    let dir = match (&options.dir, supabase) {
        (Some(dir), _) => dir.clone(),
        (None, true) => supabase_dir,
        (None, false) => PathBuf::from("migrations"),
    };
    let migrations = root.join(&dir);
    let created_dir = !migrations.is_dir();
    // Files another tool wrote, several sharing a number: their runner takes
    // whole names as versions, and so must strata.
    let versions = if created_dir {
        Versions::Number
    } else {
        strata_core::detect_versions(&strata_core::FsSource::new(&migrations), &dir)
    };
    let toml = template(&dir, supabase, versions)?;
    std::fs::create_dir_all(&migrations)
        .map_err(|e| Error::io(format!("cannot create {}", dir.display()), e))?;
    write_new(&root.join(&config_path), &toml).map_err(|f| Error::io(f.context, f.error))?;
    let gitignore_updated = ensure_gitignored(&root)?;
    Ok(InitReport {
        ok: true,
        config: config_path,
        migrations_dir: dir,
        created_migrations_dir: created_dir,
        compat: supabase.then_some("supabase"),
        versions: (versions == Versions::Name).then_some(versions.as_str()),
        gitignore_updated,
    })
}

/// The `strata.toml` that `init` writes.
fn template(dir: &Path, supabase: bool, versions: Versions) -> Result<String> {
    let dir_text = dir
        .to_str()
        .ok_or_else(|| Error::input("the migrations directory must be a UTF-8 path"))?
        .replace('\\', "/");
    let mut toml = String::new();
    writeln!(
        toml,
        "# strata configuration: https://github.com/strata-migrations/strata"
    )?;
    if supabase {
        writeln!(
            toml,
            "\n# Supabase project: auth/storage schemas and roles are expected."
        )?;
        writeln!(toml, "compat = \"supabase\"")?;
    }
    writeln!(toml, "\n[migrations]\ndir = {}", toml_string(&dir_text))?;
    if versions == Versions::Name {
        writeln!(
            toml,
            "# Several files share a number: each file's whole name is its version,\n# and versions are ordered by name, as the tool that wrote them does.\nversions = \"name\""
        )?;
    }
    writeln!(
        toml,
        "# numbering = \"timestamp\"   # or \"sequential\" (default: follow existing files)"
    )?;
    writeln!(toml, "\n[history]\nschema = \"strata\"")?;
    writeln!(
        toml,
        "\n# With no --url, --env or DATABASE_URL, strata uses `local`: a PostgreSQL it runs\n# itself under .strata/local/.\n[environments.local]"
    )?;
    writeln!(
        toml,
        "\n# [environments.staging]\n# url = \"${{STAGING_DATABASE_URL}}\"\n\n# [environments.production]\n# url = \"${{DATABASE_URL}}\"\n# protected = true\n# requires = [\"staging\"]"
    )?;
    Ok(toml)
}

fn toml_string(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// Adds `.strata/` (the local database and caches) to .gitignore; true when changed.
fn ensure_gitignored(root: &Path) -> Result<bool> {
    let path = root.join(".gitignore");
    let existing = match strata_core::read_file(&path, Some(root)) {
        Ok(bytes) => {
            String::from_utf8(bytes).map_err(|_| Error::input(".gitignore is not valid UTF-8"))?
        }
        Err(strata_core::SourceError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => {
            String::new()
        }
        Err(e) => return Err(Error::input(format!("cannot read .gitignore: {e}"))),
    };
    if existing
        .lines()
        .any(|l| matches!(l.trim(), ".strata" | ".strata/" | "/.strata" | "/.strata/"))
    {
        return Ok(false);
    }
    let mut text = existing;
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str(".strata/\n");
    std::fs::write(&path, text).map_err(|e| Error::io("cannot write .gitignore", e))?;
    Ok(true)
}
