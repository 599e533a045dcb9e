//! Finding the project: its configuration file and migrations directory.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use strata_core::config::{CONFIG_FILE, Config};

use crate::args::Global;

/// An error in what the user gave us (exit code 2).
#[derive(Debug)]
pub struct UsageError(pub String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// Returns a bad-input error.
pub fn usage(message: impl Into<String>) -> anyhow::Error {
    UsageError(message.into()).into()
}

/// The project a command works on.
#[derive(Debug)]
pub struct Project {
    /// The directory holding strata.toml (or the working directory without one).
    pub root: PathBuf,
    /// The configuration (defaults without a file).
    pub config: Config,
    /// The migrations directory, as shown to users (relative when possible).
    pub migrations_dir: PathBuf,
}

impl Project {
    /// Finds the project from the flags and the working directory.
    pub fn discover(global: &Global) -> anyhow::Result<Self> {
        let cwd = std::env::current_dir().context("cannot read the working directory")?;
        let config_path = match &global.config {
            Some(path) => {
                if !path.is_file() {
                    return Err(usage(format!(
                        "configuration file {} does not exist",
                        path.display()
                    )));
                }
                Some(path.clone())
            }
            None => find_upwards(&cwd, CONFIG_FILE),
        };
        let (root, config) = match &config_path {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("cannot read {}", path.display()))?;
                let config = Config::parse(&text, &relative_to(path, &cwd))
                    .map_err(|e| usage(e.to_string()))?;
                let root = path
                    .parent()
                    .filter(|p| !p.as_os_str().is_empty())
                    .map_or_else(|| cwd.clone(), Path::to_path_buf);
                (root, config)
            }
            None => (cwd.clone(), default_config(&cwd)),
        };
        let migrations_dir = match &global.dir {
            Some(dir) => dir.clone(),
            None => relative_to(&root.join(&config.migrations.dir), &cwd),
        };
        Ok(Self {
            root,
            config,
            migrations_dir,
        })
    }

    /// Loads the migrations directory.
    pub fn load(&self) -> strata_core::MigrationSet {
        let source = strata_core::FsSource::new(&self.migrations_dir);
        strata_core::load(&source, &self.migrations_dir)
    }
}

/// Without strata.toml, a Supabase project keeps migrations in supabase/migrations.
fn default_config(cwd: &Path) -> Config {
    let mut config = Config::default();
    let supabase = Path::new("supabase").join("migrations");
    if !cwd.join(&config.migrations.dir).is_dir() && cwd.join(&supabase).is_dir() {
        config.migrations.dir = supabase;
    }
    config
}

fn find_upwards(start: &Path, name: &str) -> Option<PathBuf> {
    start
        .ancestors()
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

/// `path` relative to `base` when it lies below it, else unchanged.
pub fn relative_to(path: &Path, base: &Path) -> PathBuf {
    match path.strip_prefix(base) {
        Ok(rel) if rel.as_os_str().is_empty() => PathBuf::from("."),
        Ok(rel) => rel.to_path_buf(),
        Err(_) => path.to_path_buf(),
    }
}
