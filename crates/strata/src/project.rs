//! Finding the project: its configuration file and migrations directory,
//! and loading its migrations.

use std::path::{Path, PathBuf};

use strata_core::config::{CONFIG_FILE, Config};
use strata_core::{Diagnostic, MigrationSet};
use strata_sql::ParsedSet;

use crate::error::{Error, Result};

/// Where to look for the project: what `--config` and `--dir` say, and the
/// directory to start from.
#[derive(Clone, Debug, Default)]
pub struct Discover {
    /// `strata.toml` to use instead of searching upwards for one.
    pub config: Option<PathBuf>,
    /// The migrations directory, instead of `strata.toml`'s.
    pub dir: Option<PathBuf>,
    /// Where to start; the working directory when `None`.
    pub cwd: Option<PathBuf>,
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
    /// The directory of downs beside it (`[migrations] downs`), shown the same way.
    pub downs_dir: Option<PathBuf>,
    /// Whether `root` is the directory of a strata.toml (else the working
    /// directory, which says nothing about where the project ends).
    has_config: bool,
    /// How to read the migrations directory (`[migrations]`, `compat`).
    load_options: strata_core::LoadOptions,
}

impl Project {
    /// Finds the project: `strata.toml` from `--config` or upwards from the
    /// working directory; without one, the working directory with defaults.
    pub fn discover(how: &Discover) -> Result<Self> {
        let cwd = match &how.cwd {
            Some(cwd) => cwd.clone(),
            None => working_directory()?,
        };
        let config_path = match &how.config {
            Some(path) => {
                if !path.exists() {
                    return Err(Error::input(format!(
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
                let root = path
                    .parent()
                    .filter(|p| !p.as_os_str().is_empty())
                    .map_or_else(|| cwd.clone(), Path::to_path_buf);
                let shown = relative_to(path, &cwd);
                let text = read_config(path, &root, &shown)?;
                let config =
                    Config::parse(&text, &shown).map_err(|e| Error::input(e.to_string()))?;
                (root, config)
            }
            None => (cwd.clone(), default_config(&cwd)),
        };
        let migrations_dir = match &how.dir {
            Some(dir) => dir.clone(),
            None => relative_to(&root.join(&config.migrations.dir), &cwd),
        };
        let downs_dir = config
            .migrations
            .downs
            .as_ref()
            .map(|downs| relative_to(&root.join(downs), &cwd));
        let load_options = strata_core::LoadOptions::from_config(&config)
            .map_err(|e| Error::input(format!("strata.toml: migrations.ignore: {e}")))?;
        Ok(Self {
            root,
            config,
            migrations_dir,
            downs_dir,
            has_config: config_path.is_some(),
            load_options,
        })
    }

    /// Loads the migrations directory. Linked migrations are read when they
    /// lead inside the project: the directory of strata.toml, or without
    /// one, the migrations directory's parent.
    pub fn load(&self) -> MigrationSet {
        let mut source = strata_core::FsSource::new(&self.migrations_dir);
        if self.has_config {
            source = source.within(&self.root);
        }
        let Some(downs_dir) = &self.downs_dir else {
            return strata_core::load_with(&source, &self.migrations_dir, &self.load_options, None);
        };
        let mut downs = strata_core::FsSource::new(downs_dir);
        if self.has_config {
            downs = downs.within(&self.root);
        }
        strata_core::load_with(
            &source,
            &self.migrations_dir,
            &self.load_options,
            Some((&downs, downs_dir)),
        )
    }

    /// Loads the migrations and splits every section with PostgreSQL's
    /// parser, once, for every stage after (validation, lint, the runner).
    pub fn load_parsed(&self) -> ParsedSet {
        ParsedSet::new(self.load())
    }

    /// Loads and validates the migrations (their SQL included): errors stop
    /// a command that would run them, before it connects.
    pub fn load_valid(&self) -> Result<ParsedSet> {
        let set = self.load_parsed();
        let diagnostics = strata_sql::check::validate(&set);
        if diagnostics.iter().any(Diagnostic::is_error) {
            return Err(Error::Invalid {
                dir: set.dir.clone(),
                diagnostics,
            });
        }
        Ok(set)
    }

    /// Loads, parses and validates the migrations, keeping every problem
    /// placed on the migration it concerns, for commands that run what is
    /// valid and stop where it is not (`migrate`, `rollback`).
    pub(crate) fn load_checked(&self) -> (ParsedSet, crate::validity::Validity) {
        let set = self.load_parsed();
        let validity = crate::validity::Validity::check(&set);
        (set, validity)
    }

    /// Loads the migrations without parsing their SQL, for commands that
    /// only compare files and history (`status`): file-level errors (names,
    /// layouts, encodings) still stop them.
    pub fn load_files(&self) -> Result<MigrationSet> {
        let set = self.load();
        if set.has_errors() {
            return Err(Error::Invalid {
                dir: set.dir.clone(),
                diagnostics: set.problems.clone(),
            });
        }
        Ok(set)
    }

    /// The project's `[lint]` configuration, for its platform: a Supabase
    /// project (`compat = "supabase"`, or without strata.toml, one whose
    /// migrations are the Supabase CLI's `supabase/migrations`) exposes
    /// `public` to API clients unless `exposed_schemas` says otherwise; a
    /// plain PostgreSQL project exposes nothing.
    pub fn lint_config(&self) -> Result<strata_lint::LintConfig> {
        use strata_core::config::Compat;
        let supabase_layout = !self.has_config
            && self.config.migrations.dir == Path::new("supabase").join("migrations");
        let compat = self
            .config
            .compat
            .or(supabase_layout.then_some(Compat::Supabase));
        strata_lint::LintConfig::for_project(self.config.lint.as_ref(), compat)
            .map_err(|e| Error::input(format!("strata.toml: {e}")))
    }

    /// Whether the migrations need the Supabase stand-in in a local or
    /// throwaway database: the project says `compat = "supabase"`, or its
    /// SQL uses what Supabase provides.
    pub fn needs_supabase(&self, set: &MigrationSet) -> bool {
        self.config.compat == Some(strata_core::config::Compat::Supabase)
            || strata_ephemeral::supabase::used_by(
                set.migrations.iter().map(|m| m.up.text.as_str()),
            )
    }
}

/// The working directory, as a bad-input error when it cannot be read.
pub(crate) fn working_directory() -> Result<PathBuf> {
    std::env::current_dir().map_err(|e| Error::io("cannot read the working directory", e))
}

/// Reads strata.toml (at `path`, shown as `shown`) with the care migrations
/// get: a regular file of sane size, a link only to a file inside `root`,
/// and text that is UTF-8 without NUL bytes. Whatever is wrong, the file is
/// bad input (exit code 2). When one of these checks fails, none of the
/// file's bytes are quoted; they stop it before the TOML parser, which quotes
/// the line of an error, could show a secret read through a link or a line
/// of binary.
fn read_config(path: &Path, root: &Path, shown: &Path) -> Result<String> {
    use strata_core::SourceError;
    let shown = shown.display();
    let bytes = strata_core::read_file(path, Some(root)).map_err(|e| match e {
        SourceError::NotRegular(kind) => Error::input(format!(
            "{shown} is {kind}, not a regular file: strata did not read it"
        )),
        SourceError::LinkOutside(target) => Error::input(format!(
            "{shown} is a symbolic link to {}, outside the project: strata did not read it; copy the configuration instead",
            target.display()
        )),
        SourceError::TooLarge { size, .. } => Error::input(format!(
            "{shown} is {size} bytes, far too large for a configuration file: strata did not read it"
        )),
        other => Error::input(format!("cannot read {shown}: {other}")),
    })?;
    let text = String::from_utf8(bytes).map_err(|e| {
        let (line, column) = position(&e.as_bytes()[..e.utf8_error().valid_up_to()]);
        Error::input(format!(
            "{shown}:{line}:{column}: the file is not valid UTF-8; save it as UTF-8"
        ))
    })?;
    if let Some(at) = text.find('\0') {
        let (line, column) = position(&text.as_bytes()[..at]);
        return Err(Error::input(format!(
            "{shown}:{line}:{column}: the file contains a NUL byte, which TOML does not allow"
        )));
    }
    Ok(text)
}

/// The 1-based line and column (in characters) just after `before`, valid UTF-8.
fn position(before: &[u8]) -> (usize, usize) {
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let column = String::from_utf8_lossy(&before[start..]).chars().count() + 1;
    (line, column)
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

/// The nearest `name` that is not a directory (a FIFO or a link to a device
/// is found too, and refused when read, rather than silently skipped).
fn find_upwards(start: &Path, name: &str) -> Option<PathBuf> {
    start
        .ancestors()
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.symlink_metadata().is_ok_and(|m| !m.is_dir()))
}

/// `path` relative to `base` when it lies below it, else unchanged.
pub(crate) fn relative_to(path: &Path, base: &Path) -> PathBuf {
    match path.strip_prefix(base) {
        Ok(rel) if rel.as_os_str().is_empty() => PathBuf::from("."),
        Ok(rel) => rel.to_path_buf(),
        Err(_) => path.to_path_buf(),
    }
}
