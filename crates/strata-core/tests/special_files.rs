//! Migration directories holding what a pull request could slip in: links to
//! secrets or devices, FIFOs, absurdly large files. Each is refused by name,
//! without its content being read, and loading never hangs.

#![cfg(unix)]

use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use strata_core::{Diagnostic, FsSource, MAX_FILE_SIZE, MigrationSet, ProblemCode, load};

/// A project directory with `migrations/` holding one good migration.
struct Project {
    dir: tempfile::TempDir,
}

impl Project {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        std::fs::create_dir(dir.path().join("migrations")).unwrap_or_else(|e| panic!("{e}"));
        let project = Self { dir };
        project.write("migrations/0001_good.sql", "create table t (id int);\n");
        project
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn write(&self, rel: &str, text: &str) {
        let path = self.path(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap_or_else(|e| panic!("{e}"));
        }
        std::fs::write(path, text).unwrap_or_else(|e| panic!("{e}"));
    }

    fn link(&self, rel: &str, target: impl AsRef<Path>) {
        symlink(target, self.path(rel)).unwrap_or_else(|e| panic!("{e}"));
    }

    fn fifo(&self, rel: &str) {
        rustix::fs::mkfifoat(
            rustix::fs::CWD,
            self.path(rel),
            rustix::fs::Mode::from_raw_mode(0o644),
        )
        .unwrap_or_else(|e| panic!("mkfifo: {e}"));
    }

    /// Loads `migrations/` on another thread, failing the test if that takes
    /// more than ten seconds (a blocked open or an endless read).
    fn load(&self, source: FsSource) -> MigrationSet {
        let (done, result) = mpsc::channel();
        std::thread::spawn(move || {
            let _ = done.send(load(&source, Path::new("migrations")));
        });
        result
            .recv_timeout(Duration::from_secs(10))
            .unwrap_or_else(|_| panic!("loading the migrations hangs"))
    }

    fn load_default(&self) -> MigrationSet {
        self.load(FsSource::new(self.path("migrations")))
    }
}

/// The single problem about `file`, checking the good migration still loads.
#[track_caller]
fn only_problem<'a>(set: &'a MigrationSet, file: &str) -> &'a Diagnostic {
    assert!(
        set.migrations.iter().any(|m| m.name == "good"),
        "{:#?}",
        set.problems
    );
    let about: Vec<&Diagnostic> = set
        .problems
        .iter()
        .filter(|p| p.file == Path::new("migrations").join(file))
        .collect();
    assert_eq!(about.len(), 1, "{:#?}", set.problems);
    about[0]
}

#[test]
fn a_link_to_proc_self_environ_is_refused_without_reading_the_environment() {
    let project = Project::new();
    project.link("migrations/0002_x.sql", "/proc/self/environ");
    let set = project.load_default();
    let problem = only_problem(&set, "0002_x.sql");
    assert_eq!(
        problem.code,
        ProblemCode::SymlinkOutsideProject,
        "{problem}"
    );
    assert!(problem.message.contains("/proc/"), "{problem}");
    assert_eq!((problem.line(), problem.column()), (None, None));
    // Nothing of the environment reached the problem.
    let path = std::env::var("PATH").unwrap_or_default();
    assert!(!format!("{problem:?}").contains(&path), "{problem:?}");
}

#[test]
fn a_link_to_etc_passwd_is_refused() {
    let project = Project::new();
    project.link("migrations/0002_x.sql", "/etc/passwd");
    let set = project.load_default();
    let problem = only_problem(&set, "0002_x.sql");
    assert_eq!(
        problem.code,
        ProblemCode::SymlinkOutsideProject,
        "{problem}"
    );
    assert!(problem.message.contains("/etc/passwd"), "{problem}");
}

#[test]
fn a_link_to_dev_zero_is_refused_without_hanging() {
    let project = Project::new();
    project.link("migrations/0002_x.sql", "/dev/zero");
    let set = project.load_default();
    let problem = only_problem(&set, "0002_x.sql");
    assert_eq!(
        problem.code,
        ProblemCode::SymlinkOutsideProject,
        "{problem}"
    );
}

#[test]
fn a_fifo_named_like_a_migration_is_refused_without_hanging() {
    let project = Project::new();
    project.fifo("migrations/0002_a.sql");
    let set = project.load_default();
    let problem = only_problem(&set, "0002_a.sql");
    assert_eq!(problem.code, ProblemCode::NotARegularFile, "{problem}");
    assert!(problem.message.contains("FIFO"), "{problem}");
}

#[test]
fn a_link_to_a_fifo_inside_the_project_is_refused_without_hanging() {
    let project = Project::new();
    project.fifo("pipe");
    project.link("migrations/0002_a.sql", project.path("pipe"));
    let set = project.load_default();
    let problem = only_problem(&set, "0002_a.sql");
    assert_eq!(problem.code, ProblemCode::NotARegularFile, "{problem}");
}

#[test]
fn a_fifo_in_the_up_directory_is_refused_without_hanging() {
    let project = Project::new();
    std::fs::create_dir(project.path("migrations/up")).unwrap_or_else(|e| panic!("{e}"));
    project.fifo("migrations/up/0002_a.sql");
    let set = project.load_default();
    let problem = only_problem(&set, "up/0002_a.sql");
    assert_eq!(problem.code, ProblemCode::NotARegularFile, "{problem}");
}

#[test]
fn an_up_directory_linked_outside_the_project_is_refused() {
    let project = Project::new();
    let elsewhere = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(elsewhere.path().join("0002_a.sql"), "select 'secret';\n")
        .unwrap_or_else(|e| panic!("{e}"));
    project.link("migrations/up", elsewhere.path());
    let set = project.load_default();
    let problem = only_problem(&set, "up");
    assert_eq!(
        problem.code,
        ProblemCode::SymlinkOutsideProject,
        "{problem}"
    );
    assert_eq!(set.migrations.len(), 1);
}

#[test]
fn a_file_over_the_size_limit_is_refused_without_reading_it() {
    let project = Project::new();
    // Sparse: the size is there, the bytes are not; reading it would take
    // 256 MiB of memory and some time, refusing it takes neither.
    let file = std::fs::File::create(project.path("migrations/0002_big.sql"))
        .unwrap_or_else(|e| panic!("{e}"));
    file.set_len(MAX_FILE_SIZE + 1)
        .unwrap_or_else(|e| panic!("{e}"));
    let set = project.load_default();
    let problem = only_problem(&set, "0002_big.sql");
    assert_eq!(problem.code, ProblemCode::FileTooLarge, "{problem}");
    assert_eq!(
        problem.message,
        "the file is 256.1 MiB, larger than the 256 MiB strata reads: it was not read"
    );
}

#[test]
fn links_to_files_inside_the_project_are_followed() {
    let project = Project::new();
    project.write("shared/0002_a.sql", "create table a (id int);\n");
    project.write("migrations/0003_b.sql", "create table b (id int);\n");
    project.link("migrations/0002_a.sql", "../shared/0002_a.sql");
    project.link("migrations/0004_b.sql", "0003_b.sql");
    let set = project.load_default();
    assert_eq!(set.problems, vec![]);
    assert_eq!(set.migrations.len(), 4);
}

#[test]
fn the_project_root_given_to_the_source_bounds_where_links_lead() {
    // strata.toml at the top, migrations two levels down, a shared file
    // beside them: inside the project, though not in the migrations' parent.
    let project = Project::new();
    project.write("strata.toml", "");
    project.write("shared/0002_a.sql", "create table a (id int);\n");
    project.write("db/migrations/0001_good.sql", "create table t (id int);\n");
    project.link(
        "db/migrations/0002_a.sql",
        project.path("shared/0002_a.sql"),
    );
    let migrations = project.path("db/migrations");

    let set = project.load(FsSource::new(&migrations).within(project.path("")));
    assert_eq!(set.problems, vec![]);
    assert_eq!(set.migrations.len(), 2);

    let set = project.load(FsSource::new(&migrations));
    let problem = only_problem(&set, "0002_a.sql");
    assert_eq!(
        problem.code,
        ProblemCode::SymlinkOutsideProject,
        "{problem}"
    );
}

#[test]
fn a_nul_byte_is_located_by_line_and_column() {
    let project = Project::new();
    project.write("migrations/0002_x.sql", "select 1;\nselect 'é\0secret';\n");
    let set = project.load_default();
    let problem = only_problem(&set, "0002_x.sql");
    assert_eq!(problem.code, ProblemCode::NulByte);
    assert_eq!((problem.line(), problem.column()), (Some(2), Some(10)));
}

#[test]
fn an_invalid_utf8_byte_is_located_by_line_and_column_in_characters() {
    let project = Project::new();
    std::fs::write(
        project.path("migrations/0002_x.sql"),
        b"select 1;\n-- \xc3\xa9t\xe9\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let set = project.load_default();
    let problem = only_problem(&set, "0002_x.sql");
    assert_eq!(problem.code, ProblemCode::NotUtf8);
    assert_eq!((problem.line(), problem.column()), (Some(2), Some(6)));
}
