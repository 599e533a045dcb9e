//! Finding the PostgreSQL server binaries (`initdb`, `postgres`) and reading their version.
//!
//! The search reads its inputs (`PG_BIN`, `PATH`, the well-known directories) from a
//! [`Search`] value rather than from the process environment directly, so tests can describe a
//! fake machine without touching global state.

use std::ffi::OsString;
use std::fmt;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;

use crate::Error;
use crate::process::output_retrying;

/// The programs a directory must hold to run a cluster.
const REQUIRED: [&str; 2] = ["initdb", "postgres"];

/// A directory holding the PostgreSQL server binaries, with their version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgBinaries {
    bin_dir: PathBuf,
    version: PgVersion,
}

impl PgBinaries {
    /// Finds the server binaries the way [`Search::from_env`] describes.
    ///
    /// The first success is remembered for the life of the process, so starting many clusters
    /// does not run `pg_config` and `postgres --version` each time.
    pub fn find() -> Result<Self, Error> {
        static FOUND: Mutex<Option<PgBinaries>> = Mutex::new(None);
        // A poisoned lock only means another thread panicked while searching: the cached value
        // (if any) is still a complete `PgBinaries`.
        let mut found = FOUND
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(binaries) = found.as_ref() {
            return Ok(binaries.clone());
        }
        let binaries = Search::from_env().find()?;
        *found = Some(binaries.clone());
        Ok(binaries)
    }

    /// Uses the binaries in `dir`, which must hold `initdb` and `postgres`.
    pub fn from_dir(dir: impl Into<PathBuf>) -> Result<Self, Error> {
        let dir = dir.into();
        match missing_programs(&dir) {
            None => Self::with_version(dir),
            Some(missing) => Err(Error::BinariesNotFound {
                searched: vec![format!("{}: {missing}", dir.display())],
            }),
        }
    }

    /// Reads the version of the binaries in `bin_dir`, already checked to hold them.
    fn with_version(bin_dir: PathBuf) -> Result<Self, Error> {
        let program = bin_dir.join("postgres");
        let mut command = Command::new(&program);
        command.arg("--version").stdin(Stdio::null());
        let output = output_retrying(&mut command).map_err(|error| Error::Spawn {
            program: program.clone(),
            error,
        })?;
        let text = String::from_utf8_lossy(&output.stdout).into_owned();
        let version = PgVersion::parse(&text).ok_or_else(|| Error::UnreadableVersion {
            program,
            output: text.trim().to_owned(),
        })?;
        if version.major() < 10 {
            return Err(Error::UnsupportedVersion {
                version: version.to_string(),
            });
        }
        Ok(Self { bin_dir, version })
    }

    /// The directory holding `initdb`, `postgres` and usually the client programs.
    pub fn bin_dir(&self) -> &Path {
        &self.bin_dir
    }

    /// The version reported by `postgres --version`.
    pub fn version(&self) -> &PgVersion {
        &self.version
    }

    /// The path of program `name` in the bin directory (it may not exist).
    pub fn program(&self, name: &str) -> PathBuf {
        self.bin_dir.join(name)
    }

    /// Whether the server's library directory holds the loadable module `name` (`pg_cron`),
    /// looked for where installations put it beside the bin directory: `../lib` (Debian's
    /// `/usr/lib/postgresql/<major>/lib`, the source build's default) or `../lib/postgresql`
    /// (Homebrew, Fedora).
    pub fn has_library(&self, name: &str) -> bool {
        let Some(prefix) = self.bin_dir.parent() else {
            return false;
        };
        let lib = prefix.join("lib");
        [lib.clone(), lib.join("postgresql")].iter().any(|dir| {
            ["so", "dylib"]
                .iter()
                .any(|ext| dir.join(format!("{name}.{ext}")).is_file())
        })
    }
}

/// A PostgreSQL server version, as printed by `postgres --version`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PgVersion {
    major: u32,
    text: String,
}

impl PgVersion {
    /// Reads the version out of `postgres --version` output such as
    /// `postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)`, or out of a bare `17beta1`.
    pub fn parse(output: &str) -> Option<Self> {
        let rest = match output.find("(PostgreSQL)") {
            Some(at) => &output[at + "(PostgreSQL)".len()..],
            None => output,
        };
        let text = rest.split_whitespace().next()?;
        let digits_end = text
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len());
        let major = text[..digits_end].parse().ok()?;
        Some(Self {
            major,
            text: text.to_owned(),
        })
    }

    /// The major version: `15` for 15.18, `9` for 9.6.24.
    pub fn major(&self) -> u32 {
        self.major
    }

    /// The whole version as printed: `15.18`, `17beta1`.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl fmt::Display for PgVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// A well-known place where server binaries may be installed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// One directory, used as is (`/usr/local/pgsql/bin`).
    Dir(PathBuf),
    /// `<parent>/<prefix><version>/<rest>` for every version installed, highest version first
    /// (`/usr/lib/postgresql/17/bin`, `/opt/homebrew/opt/postgresql@17/bin`).
    Versioned {
        /// The directory whose entries are versions.
        parent: PathBuf,
        /// What comes before the version in an entry name (`postgresql@`), often empty.
        prefix: String,
        /// The path below a version entry (`bin`).
        rest: PathBuf,
    },
}

impl Location {
    /// The candidate directories of this location, in the order to try them.
    fn candidates(&self) -> Vec<PathBuf> {
        match self {
            Self::Dir(dir) => vec![dir.clone()],
            Self::Versioned {
                parent,
                prefix,
                rest,
            } => {
                let Ok(entries) = fs::read_dir(parent) else {
                    return Vec::new();
                };
                let mut versions: Vec<(Vec<u32>, PathBuf)> = entries
                    .filter_map(Result::ok)
                    .filter_map(|entry| {
                        let name = entry.file_name();
                        let version = name.to_str()?.strip_prefix(prefix.as_str())?;
                        let key = version
                            .split('.')
                            .map(str::parse)
                            .collect::<Result<Vec<u32>, _>>()
                            .ok()?;
                        Some((key, entry.path().join(rest)))
                    })
                    .collect();
                versions.sort_by(|a, b| b.0.cmp(&a.0));
                versions.into_iter().map(|(_, dir)| dir).collect()
            }
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Dir(dir) => write!(f, "{}", dir.display()),
            Self::Versioned {
                parent,
                prefix,
                rest,
            } => write!(
                f,
                "{}",
                parent.join(format!("{prefix}*")).join(rest).display()
            ),
        }
    }
}

/// Where to look for the server binaries, in this order: `PG_BIN`; `pg_config --bindir` if
/// `pg_config` is on `PATH`; the well-known [`Location`]s; `initdb` on `PATH` (symlinks
/// resolved, so `postgres` is looked for beside the real `initdb`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Search {
    pg_bin: Option<PathBuf>,
    path: Option<OsString>,
    pg_config: bool,
    locations: Vec<Location>,
}

impl Search {
    /// The search of this machine: `PG_BIN` and `PATH` from the process environment, `pg_config`
    /// asked, and [`Search::default_locations`].
    pub fn from_env() -> Self {
        Self {
            pg_bin: std::env::var_os("PG_BIN")
                .filter(|value| !value.is_empty())
                .map(PathBuf::from),
            path: std::env::var_os("PATH"),
            pg_config: true,
            locations: Self::default_locations(),
        }
    }

    /// A search that looks nowhere; add places with the other methods.
    pub fn empty() -> Self {
        Self {
            pg_bin: None,
            path: None,
            pg_config: false,
            locations: Vec::new(),
        }
    }

    /// The well-known installation directories: Debian/Ubuntu, the source build default,
    /// Homebrew (Apple silicon and Intel), then the PGDG packages for Fedora/RHEL.
    pub fn default_locations() -> Vec<Location> {
        let versioned = |parent: &str, prefix: &str| Location::Versioned {
            parent: PathBuf::from(parent),
            prefix: prefix.to_owned(),
            rest: PathBuf::from("bin"),
        };
        vec![
            versioned("/usr/lib/postgresql", ""),
            Location::Dir(PathBuf::from("/usr/local/pgsql/bin")),
            versioned("/opt/homebrew/opt", "postgresql@"),
            versioned("/usr/local/opt", "postgresql@"),
            versioned("/usr", "pgsql-"),
        ]
    }

    /// Sets the value of `PG_BIN` (an explicit bin directory, tried first and alone).
    pub fn pg_bin(mut self, dir: Option<PathBuf>) -> Self {
        self.pg_bin = dir;
        self
    }

    /// Sets the value of `PATH`, searched for `pg_config` and `initdb`.
    pub fn path(mut self, path: Option<OsString>) -> Self {
        self.path = path;
        self
    }

    /// Whether to ask `pg_config --bindir` (when `pg_config` is on the search `PATH`).
    pub fn pg_config(mut self, ask: bool) -> Self {
        self.pg_config = ask;
        self
    }

    /// Sets the well-known directories to try.
    pub fn locations(mut self, locations: Vec<Location>) -> Self {
        self.locations = locations;
        self
    }

    /// Finds the binaries and reads their version.
    pub fn find(&self) -> Result<PgBinaries, Error> {
        PgBinaries::with_version(self.locate()?)
    }

    /// Finds the directory holding `initdb` and `postgres`, without running them.
    pub fn locate(&self) -> Result<PathBuf, Error> {
        let mut searched = Vec::new();

        // An explicit PG_BIN is what the user asked for: a wrong one is an error, not a reason
        // to silently pick some other installation.
        if let Some(dir) = &self.pg_bin {
            return match missing_programs(dir) {
                None => Ok(dir.clone()),
                Some(missing) => Err(Error::BinariesNotFound {
                    searched: vec![format!("PG_BIN={}: {missing}", dir.display())],
                }),
            };
        }

        if self.pg_config {
            match self.which("pg_config") {
                None => searched.push("pg_config --bindir: no pg_config on PATH".to_owned()),
                Some(pg_config) => match bindir_of(&pg_config) {
                    Ok(dir) => match missing_programs(&dir) {
                        None => return Ok(dir),
                        Some(missing) => searched.push(format!(
                            "{} --bindir = {}: {missing}",
                            pg_config.display(),
                            dir.display()
                        )),
                    },
                    Err(problem) => {
                        searched.push(format!("{} --bindir: {problem}", pg_config.display()));
                    }
                },
            }
        }

        for location in &self.locations {
            let candidates = location.candidates();
            if candidates.is_empty() {
                searched.push(format!("{location}: does not exist"));
            }
            for dir in candidates {
                match missing_programs(&dir) {
                    None => return Ok(dir),
                    Some(missing) => searched.push(format!("{}: {missing}", dir.display())),
                }
            }
        }

        match self.which("initdb") {
            None => searched.push("initdb on PATH: not found".to_owned()),
            Some(initdb) => match fs::canonicalize(&initdb) {
                Ok(real) => {
                    let dir = real.parent().map(Path::to_path_buf).unwrap_or_default();
                    match missing_programs(&dir) {
                        None => return Ok(dir),
                        Some(missing) => searched.push(format!(
                            "{} (initdb on PATH) -> {}: {missing}",
                            initdb.display(),
                            dir.display()
                        )),
                    }
                }
                Err(error) => searched.push(format!("{}: {error}", initdb.display())),
            },
        }

        Err(Error::BinariesNotFound { searched })
    }

    /// The first executable file called `name` in the search `PATH`.
    fn which(&self, name: &str) -> Option<PathBuf> {
        let path = self.path.as_ref()?;
        std::env::split_paths(path)
            .filter(|dir| !dir.as_os_str().is_empty())
            .map(|dir| dir.join(name))
            .find(|candidate| is_executable(candidate))
    }
}

/// Runs `pg_config --bindir`, describing any failure in words for the not-found report.
fn bindir_of(pg_config: &Path) -> Result<PathBuf, String> {
    let mut command = Command::new(pg_config);
    command.arg("--bindir").stdin(Stdio::null());
    let output = output_retrying(&mut command).map_err(|error| error.to_string())?;
    if !output.status.success() {
        return Err(format!("failed ({})", output.status));
    }
    let text = String::from_utf8_lossy(&output.stdout);
    let dir = text.trim();
    if dir.is_empty() {
        return Err("printed nothing".to_owned());
    }
    Ok(PathBuf::from(dir))
}

/// `None` when `dir` holds every required program, else a description of what is missing.
fn missing_programs(dir: &Path) -> Option<String> {
    if !dir.is_dir() {
        return Some("no such directory".to_owned());
    }
    let missing: Vec<&str> = REQUIRED
        .into_iter()
        .filter(|name| !is_executable(&dir.join(name)))
        .collect();
    if missing.is_empty() {
        None
    } else {
        Some(format!("no {}", missing.join(", no ")))
    }
}

/// Whether `path` is (or links to) a regular file with an execute bit.
fn is_executable(path: &Path) -> bool {
    fs::metadata(path)
        .map(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::symlink;

    use super::*;

    /// Makes `dir` look like a bin directory holding `programs` (empty executable files).
    fn fake_bin(dir: &Path, programs: &[&str]) -> PathBuf {
        fs::create_dir_all(dir).expect("create fake bin dir");
        for name in programs {
            write_executable(&dir.join(name), "#!/bin/sh\nexit 0\n");
        }
        dir.to_path_buf()
    }

    fn write_executable(path: &Path, text: &str) {
        fs::write(path, text).expect("write fake program");
        fs::set_permissions(path, fs::Permissions::from_mode(0o755)).expect("chmod fake program");
    }

    fn versioned(parent: &Path, prefix: &str) -> Location {
        Location::Versioned {
            parent: parent.to_path_buf(),
            prefix: prefix.to_owned(),
            rest: PathBuf::from("bin"),
        }
    }

    #[test]
    fn pg_bin_pointing_at_an_empty_dir_gives_the_install_hint() {
        let empty = tempfile::tempdir().expect("tempdir");
        let error = Search::empty()
            .pg_bin(Some(empty.path().to_path_buf()))
            .locate()
            .expect_err("an empty PG_BIN must not be accepted");
        assert!(matches!(error, Error::BinariesNotFound { .. }));
        let message = error.to_string();
        for needle in [
            &format!("PG_BIN={}: no initdb, no postgres", empty.path().display()),
            "apt-get install postgresql",
            "/usr/lib/postgresql/<major>/bin",
            "dnf install postgresql-server",
            "brew install postgresql@17",
            "set PG_BIN",
        ] {
            assert!(
                message.contains(needle),
                "{needle:?} missing from:\n{message}"
            );
        }
    }

    #[test]
    fn pg_bin_wins_even_when_other_places_have_binaries() {
        let root = tempfile::tempdir().expect("tempdir");
        let chosen = fake_bin(&root.path().join("chosen"), &REQUIRED);
        fake_bin(&root.path().join("lib/16/bin"), &REQUIRED);
        let found = Search::empty()
            .pg_bin(Some(chosen.clone()))
            .locations(vec![versioned(&root.path().join("lib"), "")])
            .locate()
            .expect("PG_BIN holds the binaries");
        assert_eq!(found, chosen);
    }

    #[test]
    fn nothing_found_lists_every_place_looked_at() {
        let root = tempfile::tempdir().expect("tempdir");
        let partial = fake_bin(&root.path().join("local/pgsql/bin"), &["initdb"]);
        let path_dir = fake_bin(&root.path().join("path"), &[]);
        let error = Search::empty()
            .path(Some(path_dir.into_os_string()))
            .pg_config(true)
            .locations(vec![
                versioned(&root.path().join("nowhere"), ""),
                Location::Dir(partial.clone()),
            ])
            .locate()
            .expect_err("nothing is installed");
        let message = error.to_string();
        for needle in [
            "pg_config --bindir: no pg_config on PATH".to_owned(),
            format!("{}/nowhere/*/bin: does not exist", root.path().display()),
            format!("{}: no postgres", partial.display()),
            "initdb on PATH: not found".to_owned(),
        ] {
            assert!(
                message.contains(&needle),
                "{needle:?} missing from:\n{message}"
            );
        }
    }

    #[test]
    fn pg_config_bindir_comes_before_well_known_locations() {
        let root = tempfile::tempdir().expect("tempdir");
        let from_pg_config = fake_bin(&root.path().join("pgc/bin"), &REQUIRED);
        fake_bin(&root.path().join("lib/17/bin"), &REQUIRED);
        let path_dir = fake_bin(&root.path().join("path"), &[]);
        write_executable(
            &path_dir.join("pg_config"),
            &format!("#!/bin/sh\necho '{}'\n", from_pg_config.display()),
        );
        let found = Search::empty()
            .path(Some(path_dir.into_os_string()))
            .pg_config(true)
            .locations(vec![versioned(&root.path().join("lib"), "")])
            .locate()
            .expect("pg_config points at binaries");
        assert_eq!(found, from_pg_config);
    }

    #[test]
    fn pg_config_of_a_client_only_install_is_skipped() {
        let root = tempfile::tempdir().expect("tempdir");
        let client_only = fake_bin(&root.path().join("client/bin"), &["psql"]);
        let server = fake_bin(&root.path().join("lib/15/bin"), &REQUIRED);
        let path_dir = fake_bin(&root.path().join("path"), &[]);
        write_executable(
            &path_dir.join("pg_config"),
            &format!("#!/bin/sh\necho '{}'\n", client_only.display()),
        );
        let found = Search::empty()
            .path(Some(path_dir.into_os_string()))
            .pg_config(true)
            .locations(vec![versioned(&root.path().join("lib"), "")])
            .locate()
            .expect("the well-known location has binaries");
        assert_eq!(found, server);
    }

    #[test]
    fn highest_major_version_is_preferred() {
        let root = tempfile::tempdir().expect("tempdir");
        let lib = root.path().join("lib");
        fake_bin(&lib.join("9.6/bin"), &REQUIRED);
        fake_bin(&lib.join("10/bin"), &REQUIRED);
        let newest = fake_bin(&lib.join("16/bin"), &REQUIRED);
        // A newer directory without the server (client packages only) is passed over.
        fake_bin(&lib.join("17/bin"), &["psql"]);
        fs::create_dir_all(lib.join("not-a-version/bin")).expect("mkdir");
        let found = Search::empty()
            .locations(vec![versioned(&lib, "")])
            .locate()
            .expect("a version is installed");
        assert_eq!(found, newest);
    }

    #[test]
    fn homebrew_style_prefix_is_understood() {
        let root = tempfile::tempdir().expect("tempdir");
        let opt = root.path().join("opt");
        fake_bin(&opt.join("postgresql@14/bin"), &REQUIRED);
        let newest = fake_bin(&opt.join("postgresql@17/bin"), &REQUIRED);
        fake_bin(&opt.join("other@99/bin"), &REQUIRED);
        let found = Search::empty()
            .locations(vec![versioned(&opt, "postgresql@")])
            .locate()
            .expect("a version is installed");
        assert_eq!(found, newest);
    }

    #[test]
    fn initdb_on_path_is_followed_through_its_symlink() {
        let root = tempfile::tempdir().expect("tempdir");
        let real = fake_bin(&root.path().join("real/bin"), &REQUIRED);
        let path_dir = fake_bin(&root.path().join("path"), &[]);
        symlink(real.join("initdb"), path_dir.join("initdb")).expect("symlink");
        let found = Search::empty()
            .path(Some(path_dir.into_os_string()))
            .locate()
            .expect("initdb is on PATH");
        assert_eq!(found, fs::canonicalize(real).expect("canonicalize"));
    }

    #[test]
    fn from_dir_rejects_a_dir_without_the_server() {
        let root = tempfile::tempdir().expect("tempdir");
        let error = PgBinaries::from_dir(root.path()).expect_err("empty dir");
        assert!(
            error.to_string().contains("no initdb, no postgres"),
            "{error}"
        );
    }

    #[test]
    fn versions_are_read_from_postgres_output() {
        let debian = PgVersion::parse("postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)\n")
            .expect("debian version");
        assert_eq!((debian.major(), debian.as_str()), (15, "15.18"));
        let beta = PgVersion::parse("postgres (PostgreSQL) 17beta1").expect("beta");
        assert_eq!((beta.major(), beta.as_str()), (17, "17beta1"));
        let old = PgVersion::parse("postgres (PostgreSQL) 9.6.24").expect("old");
        assert_eq!(old.major(), 9);
        assert_eq!(PgVersion::parse("18devel").map(|v| v.major()), Some(18));
        assert_eq!(PgVersion::parse("postgres (PostgreSQL) banana"), None);
        assert_eq!(PgVersion::parse(""), None);
    }
}
