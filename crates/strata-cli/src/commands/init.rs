//! `strata init`: create strata.toml and the migrations directory.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use strata_core::config::CONFIG_FILE;

use crate::Outcome;
use crate::args::{Global, InitArgs};
use crate::project::usage;
use crate::render;

/// Runs `strata init` in the working directory.
pub fn run(global: &Global, _args: &InitArgs) -> anyhow::Result<Outcome> {
    let root = std::env::current_dir().context("cannot read the working directory")?;
    let config_path = global
        .config
        .clone()
        .unwrap_or_else(|| PathBuf::from(CONFIG_FILE));
    if root.join(&config_path).exists() {
        return Err(usage(format!(
            "{} already exists; this project is initialised",
            config_path.display()
        )));
    }
    let supabase_dir = Path::new("supabase").join("migrations");
    let supabase = root.join(&supabase_dir).is_dir();
    let dir = match (&global.dir, supabase) {
        (Some(dir), _) => dir.clone(),
        (None, true) => supabase_dir,
        (None, false) => PathBuf::from("migrations"),
    };
    let dir_text = dir
        .to_str()
        .ok_or_else(|| usage("the migrations directory must be a UTF-8 path"))?
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

    let migrations = root.join(&dir);
    let created_dir = !migrations.is_dir();
    std::fs::create_dir_all(&migrations)
        .with_context(|| format!("cannot create {}", dir.display()))?;
    write_new(&root.join(&config_path), &toml)?;
    let gitignore = ensure_gitignored(&root)?;

    if global.json {
        render::json(&serde_json::json!({
            "config": config_path,
            "migrations_dir": dir,
            "created_migrations_dir": created_dir,
            "compat": if supabase { Some("supabase") } else { None },
            "gitignore_updated": gitignore,
        }))?;
    } else {
        render::success(&format!("created {}", config_path.display()));
        if created_dir {
            println!("created {}/", dir.display());
        } else {
            println!("using the existing {}/", dir.display());
        }
        if gitignore {
            println!("added .strata/ to .gitignore");
        }
        println!("\nnext: strata new create_first_table");
    }
    Ok(Outcome::Success)
}

fn toml_string(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

fn write_new(path: &Path, content: &str) -> anyhow::Result<()> {
    use std::io::Write as _;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    file.write_all(content.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))
}

/// Adds `.strata/` (the local database and caches) to .gitignore; true when changed.
fn ensure_gitignored(root: &Path) -> anyhow::Result<bool> {
    let path = root.join(".gitignore");
    let existing = match strata_core::read_file(&path, Some(root)) {
        Ok(bytes) => String::from_utf8(bytes).context(".gitignore is not valid UTF-8")?,
        Err(strata_core::SourceError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => {
            String::new()
        }
        Err(e) => return Err(e).context("cannot read .gitignore"),
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
    std::fs::write(&path, text).context("cannot write .gitignore")?;
    Ok(true)
}
