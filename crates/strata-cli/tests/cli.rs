//! Integration tests of the `strata` binary, through one fluent helper.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The workspace's shared fixtures.
fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data")
}

/// One `strata` invocation: `Cmd::new().cwd(..).args(..).run()`.
struct Cmd {
    command: Command,
}

/// What a finished invocation printed and returned.
struct Ran {
    output: Output,
}

impl Cmd {
    fn new() -> Self {
        let mut command = Command::new(env!("CARGO_BIN_EXE_strata"));
        command
            .current_dir(data())
            .env_remove("DATABASE_URL")
            .env("NO_COLOR", "1")
            .env("GIT_AUTHOR_NAME", "Ada Lovelace")
            .env("GIT_AUTHOR_EMAIL", "ada@example.com");
        Self { command }
    }

    fn cwd(mut self, dir: &Path) -> Self {
        self.command.current_dir(dir);
        self
    }

    fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        self.command.args(args);
        self
    }

    fn run(mut self) -> Ran {
        let output = self
            .command
            .output()
            .unwrap_or_else(|e| panic!("cannot run strata: {e}"));
        Ran { output }
    }
}

impl Ran {
    fn code(&self) -> i32 {
        self.output.status.code().unwrap_or(-1)
    }

    fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.output.stdout).into_owned()
    }

    fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }

    #[track_caller]
    fn assert_code(self, expected: i32) -> Self {
        assert_eq!(
            self.code(),
            expected,
            "stdout:\n{}\nstderr:\n{}",
            self.stdout(),
            self.stderr()
        );
        self
    }

    fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.output.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.stdout()))
    }
}

fn subdirectories(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(Result::ok)
        .filter(|e| e.path().is_dir())
        .filter_map(|e| e.file_name().into_string().ok())
        .collect();
    names.sort();
    names
}

#[test]
fn validate_accepts_every_layout_and_naming_scheme() {
    for fixture in ["ok/layouts", "ok/names"] {
        let ran = Cmd::new()
            .args(["validate", "--dir", fixture])
            .run()
            .assert_code(0);
        insta::assert_snapshot!(fixture.replace('/', "_"), ran.stdout());
    }
}

#[test]
fn validate_reports_each_problem_with_file_line_and_exit_code_2() {
    for case in subdirectories(&data().join("err")) {
        let dir = format!("err/{case}");
        let ran = Cmd::new().args(["validate", "--dir", &dir]).run();
        // Warnings only: a file not read, a pair whose names differ (paired
        // by version, as golang-migrate pairs them), a migration that does
        // nothing, a template not filled in (which stops migrate, not validate).
        let warnings_only = [
            "ignored-file",
            "pair-name-mismatch",
            "empty-up",
            "unfilled-template",
        ];
        let expected_code = if warnings_only.contains(&case.as_str()) {
            0
        } else {
            2
        };
        let ran = ran.assert_code(expected_code);
        let stdout = ran.stdout();
        if case != "many" {
            assert!(stdout.contains(&format!("[{case}]")), "{case}:\n{stdout}");
        }
        insta::assert_snapshot!(format!("err_{case}"), stdout);
    }
}

#[test]
fn validate_json_lists_problems_and_migrations() {
    let ran = Cmd::new()
        .args(["validate", "--dir", "err/many", "--json"])
        .run()
        .assert_code(2);
    let report = ran.json();
    assert_eq!(report["ok"], false);
    let codes: Vec<&str> = report["diagnostics"]
        .as_array()
        .map(|a| a.iter().filter_map(|p| p["code"].as_str()).collect())
        .unwrap_or_default();
    for code in [
        "duplicate-version",
        "unknown-directive",
        "not-utf8",
        "syntax-error",
    ] {
        assert!(codes.contains(&code), "{codes:?}");
    }
    assert_eq!(report["errors"].as_u64(), Some(codes.len() as u64));
    insta::assert_json_snapshot!(report);

    let ok = Cmd::new()
        .args(["validate", "--dir", "ok/layouts", "--json"])
        .run()
        .assert_code(0)
        .json();
    assert_eq!(ok["ok"], true);
    assert_eq!(ok["migrations"].as_array().map(Vec::len), Some(17));
    assert_eq!(ok["migrations"][8]["no_transaction"], true);
}

/// Issue 10: `COPY ... TO STDOUT` and pg_dump's `COPY ... FROM stdin` with
/// inline rows passed validate, then broke the connection part-way through a
/// migration. They are refused at the COPY statement before anything runs,
/// never as a syntax error at the first row of data.
#[test]
fn copy_to_stdout_and_copy_from_stdin_with_inline_data_passed_validate() {
    let ran = Cmd::new()
        .args(["validate", "--dir", "err/client-copy"])
        .run()
        .assert_code(2);
    let stdout = ran.stdout();
    let refusals = stdout.matches("error[client-copy]").count();
    // Two exports, and a COPY FROM STDIN in each of the other five files.
    assert_eq!(refusals, 7, "{stdout}");
    for phrase in [
        "err/client-copy/0001_export.sql:3:1",
        "strata's connection cannot receive them",
        "pg_write_server_files",
        "err/client-copy/0002_seed_from_pg_dump.sql:8:1",
        "with inline data (lines 9-12, up to `\\.`) in the up section: inline COPY data is psql's format",
        "pg_dump --data-only --inserts",
        "err/client-copy/0003_no_transaction.sql:3:1",
        "err/client-copy/0004_in_down.sql:5:1",
        "in the down section",
        "err/client-copy/0005_rollback_block.sql:3:4",
        "err/client-copy/0006_no_data.sql:2:1",
        "waits for rows from the client",
    ] {
        assert!(stdout.contains(phrase), "no {phrase:?} in:\n{stdout}");
    }
    assert!(!stdout.contains("syntax-error"), "{stdout}");

    // verify refuses before it starts a server (migrate connects first, to
    // apply what comes before the first invalid file).
    let ran = Cmd::new()
        .args(["verify", "--dir", "err/client-copy"])
        .run()
        .assert_code(2);
    assert!(
        ran.stderr().contains("error[client-copy]"),
        "{}",
        ran.stderr()
    );
    assert!(ran.stderr().contains("nothing was run"), "{}", ran.stderr());

    // lint reads the same files without falling over.
    let ran = Cmd::new().args(["lint", "--dir", "err/client-copy"]).run();
    assert!(
        matches!(ran.code(), 0..=2),
        "exit {}:\n{}",
        ran.code(),
        ran.stderr()
    );
    assert!(!ran.stderr().contains("panicked"), "{}", ran.stderr());
}

#[test]
fn validate_without_a_migrations_directory_says_what_to_do() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let ran = Cmd::new()
        .cwd(tmp.path())
        .args(["validate"])
        .run()
        .assert_code(2);
    assert!(ran.stdout().contains("strata init"), "{}", ran.stdout());
}

#[test]
fn init_creates_config_directory_and_gitignore_once() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let ran = Cmd::new()
        .cwd(tmp.path())
        .args(["init"])
        .run()
        .assert_code(0);
    assert!(
        ran.stdout().contains("created strata.toml"),
        "{}",
        ran.stdout()
    );
    assert!(tmp.path().join("migrations").is_dir());
    let gitignore = std::fs::read_to_string(tmp.path().join(".gitignore")).unwrap_or_default();
    assert_eq!(gitignore, ".strata/\n");
    let config = std::fs::read_to_string(tmp.path().join("strata.toml")).unwrap_or_default();
    insta::assert_snapshot!(config);
    // The written configuration is valid and an empty project validates.
    Cmd::new()
        .cwd(tmp.path())
        .args(["validate"])
        .run()
        .assert_code(0);
    let again = Cmd::new()
        .cwd(tmp.path())
        .args(["init"])
        .run()
        .assert_code(2);
    assert!(
        again.stderr().contains("already exists"),
        "{}",
        again.stderr()
    );
}

#[test]
fn init_in_a_supabase_project_uses_its_migrations() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    std::fs::create_dir_all(tmp.path().join("supabase/migrations"))
        .unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(tmp.path().join(".gitignore"), "node_modules").unwrap_or_else(|e| panic!("{e}"));
    Cmd::new()
        .cwd(tmp.path())
        .args(["init"])
        .run()
        .assert_code(0);
    let config = std::fs::read_to_string(tmp.path().join("strata.toml")).unwrap_or_default();
    assert!(config.contains("compat = \"supabase\""), "{config}");
    assert!(config.contains("dir = \"supabase/migrations\""), "{config}");
    let gitignore = std::fs::read_to_string(tmp.path().join(".gitignore")).unwrap_or_default();
    assert_eq!(gitignore, "node_modules\n.strata/\n");
}

fn created_files(ran: &Ran) -> Vec<PathBuf> {
    ran.json()["files"]
        .as_array()
        .map(|files| {
            files
                .iter()
                .filter_map(|f| f.as_str().map(PathBuf::from))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn new_writes_a_timestamped_file_with_header_and_sections() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    Cmd::new()
        .cwd(tmp.path())
        .args(["init"])
        .run()
        .assert_code(0);
    let ran = Cmd::new()
        .cwd(tmp.path())
        .args([
            "new",
            "Create users",
            "-m",
            "accounts for sign-in",
            "--json",
        ])
        .run()
        .assert_code(0);
    let files = created_files(&ran);
    assert_eq!(files.len(), 1);
    let name = files[0]
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default()
        .to_owned();
    assert_eq!(
        name.len(),
        "20261121103000_create_users.sql".len(),
        "{name}"
    );
    assert!(name[..14].bytes().all(|b| b.is_ascii_digit()), "{name}");
    assert!(name.ends_with("_create_users.sql"), "{name}");
    let content = std::fs::read_to_string(tmp.path().join(&files[0])).unwrap_or_default();
    assert!(
        content.contains("-- Author: Ada Lovelace <ada@example.com>"),
        "{content}"
    );
    assert!(
        content.contains("-- Purpose: accounts for sign-in"),
        "{content}"
    );
    assert!(content.contains("-- strata:up\n"), "{content}");
    assert!(content.contains("-- strata:down\n"), "{content}");

    // Fresh from `new`, the up is empty: validate warns that the template is
    // not filled in (migrate stops before it).
    let ran = Cmd::new()
        .cwd(tmp.path())
        .args(["validate"])
        .run()
        .assert_code(0);
    assert!(
        ran.stdout().contains("[unfilled-template]"),
        "{}",
        ran.stdout()
    );
    // Filled in, it validates.
    let filled = content.replace(
        "-- strata:up\n",
        "-- strata:up\ncreate table users (id bigint primary key);\n",
    );
    std::fs::write(tmp.path().join(&files[0]), filled).unwrap_or_else(|e| panic!("{e}"));
    Cmd::new()
        .cwd(tmp.path())
        .args(["validate"])
        .run()
        .assert_code(0);

    // The same name again is refused.
    let ran = Cmd::new()
        .cwd(tmp.path())
        .args(["new", "create_users"])
        .run()
        .assert_code(2);
    assert!(ran.stderr().contains("already exists"), "{}", ran.stderr());
}

#[test]
fn new_sequential_and_in_the_projects_style() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let first = Cmd::new()
        .cwd(tmp.path())
        .args(["new", "first", "--sequential", "--json"])
        .run()
        .assert_code(0);
    assert_eq!(
        created_files(&first),
        [PathBuf::from("migrations/0001_first.sql")]
    );
    // Detected from the existing file: no flag needed.
    let second = Cmd::new()
        .cwd(tmp.path())
        .args(["new", "second", "--json"])
        .run()
        .assert_code(0);
    assert_eq!(
        created_files(&second),
        [PathBuf::from("migrations/0002_second.sql")]
    );

    let pairs = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    std::fs::create_dir_all(pairs.path().join("migrations")).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(pairs.path().join("migrations/007_a.up.sql"), "select 1;\n")
        .unwrap_or_else(|e| panic!("{e}"));
    let ran = Cmd::new()
        .cwd(pairs.path())
        .args(["new", "b", "--json"])
        .run()
        .assert_code(0);
    assert_eq!(
        created_files(&ran),
        [
            PathBuf::from("migrations/008_b.up.sql"),
            PathBuf::from("migrations/008_b.down.sql")
        ]
    );
}

#[test]
fn new_refuses_a_bad_name() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    for bad in ["../escape", "drop; table", "   "] {
        let ran = Cmd::new()
            .cwd(tmp.path())
            .args(["new", bad])
            .run()
            .assert_code(2);
        assert!(
            ran.stderr().contains("invalid migration name"),
            "{}",
            ran.stderr()
        );
    }
    assert!(
        !tmp.path().join("migrations").exists()
            || std::fs::read_dir(tmp.path().join("migrations"))
                .map(|d| d.count())
                .unwrap_or(0)
                == 0
    );
}

#[test]
fn a_broken_config_is_bad_input_naming_the_file() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(
        tmp.path().join("strata.toml"),
        "[migrations]\ndri = \"x\"\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let ran = Cmd::new()
        .cwd(tmp.path())
        .args(["validate"])
        .run()
        .assert_code(2);
    assert!(ran.stderr().contains("strata.toml"), "{}", ran.stderr());
    assert!(ran.stderr().contains("dri"), "{}", ran.stderr());
    let ran = Cmd::new()
        .cwd(tmp.path())
        .args(["validate", "--config", "missing.toml"])
        .run()
        .assert_code(2);
    assert!(ran.stderr().contains("missing.toml"), "{}", ran.stderr());
}

#[test]
fn config_found_in_a_parent_directory() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(
        tmp.path().join("strata.toml"),
        "[migrations]\ndir = \"db\"\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    std::fs::create_dir_all(tmp.path().join("db")).unwrap_or_else(|e| panic!("{e}"));
    std::fs::create_dir_all(tmp.path().join("src/deep")).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(tmp.path().join("db/0001_a.sql"), "select 1;\n")
        .unwrap_or_else(|e| panic!("{e}"));
    let ran = Cmd::new()
        .cwd(&tmp.path().join("src/deep"))
        .args(["validate", "--json"])
        .run()
        .assert_code(0);
    assert_eq!(ran.json()["migrations"].as_array().map(Vec::len), Some(1));
}

#[test]
fn bad_invocation_exits_2() {
    Cmd::new().args(["frobnicate"]).run().assert_code(2);
    Cmd::new().args(["new"]).run().assert_code(2);
}
