//! Migration directories other tools wrote, read as those tools read them:
//! whole file names as versions, the Supabase CLI's text order and the files
//! it skips, diesel's directory per migration. Each is applied to a real
//! throwaway cluster where the order or the history matters.

#[expect(
    dead_code,
    reason = "each test binary uses its own part of the shared helpers"
)]
mod support;

use std::path::{Path, PathBuf};

use support::{Cmd, Project, Server, states};

/// A fixture of strata-core's `tests/data/shapes`.
fn shape(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../strata-core/tests/data/shapes")
        .join(name)
}

/// A project whose `strata.toml` is `config`.
fn project_with(config: &str) -> Project {
    let project = Project::new();
    std::fs::write(project.root().join("strata.toml"), config)
        .unwrap_or_else(|e| panic!("cannot write strata.toml: {e}"));
    project
}

#[test]
fn init_writes_versions_name_where_files_share_a_number() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let migrations = tmp.path().join("migrations");
    std::fs::create_dir_all(&migrations).unwrap_or_else(|e| panic!("{e}"));
    for (file, sql) in [
        ("0001_create_table_a.up.sql", "create table a (id int);\n"),
        ("0001_create_table_a.down.sql", "drop table a;\n"),
        ("0001_create_table_b.up.sql", "create table b (id int);\n"),
        ("0001_create_table_b.down.sql", "drop table b;\n"),
    ] {
        std::fs::write(migrations.join(file), sql).unwrap_or_else(|e| panic!("{e}"));
    }
    // Read by number, the two files of 0001 clash.
    Cmd::in_dir(tmp.path())
        .args(["validate"])
        .run()
        .assert_code(2)
        .assert_stdout(&["duplicate-version"]);
    Cmd::in_dir(tmp.path())
        .args(["init"])
        .run()
        .assert_code(0)
        .assert_stdout(&["versions = \"name\""]);
    let config = std::fs::read_to_string(tmp.path().join("strata.toml")).unwrap_or_default();
    assert!(config.contains("\nversions = \"name\"\n"), "{config}");
    let ran = Cmd::in_dir(tmp.path())
        .args(["validate", "--json"])
        .run()
        .assert_code(0);
    let versions: Vec<String> = ran.json()["migrations"]
        .as_array()
        .map(|ms| {
            ms.iter()
                .filter_map(|m| m["version"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(versions, ["0001_create_table_a", "0001_create_table_b"]);
}

#[test]
fn init_leaves_versions_alone_where_numbers_are_versions() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    std::fs::create_dir_all(tmp.path().join("migrations")).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(tmp.path().join("migrations/1_init.up.sql"), "select 1;\n")
        .unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(tmp.path().join("migrations/1_init.down.sql"), "select 1;\n")
        .unwrap_or_else(|e| panic!("{e}"));
    let ran = Cmd::in_dir(tmp.path())
        .args(["init", "--json"])
        .run()
        .assert_code(0);
    assert!(ran.json().get("versions").is_none(), "{}", ran.stdout());
    let config = std::fs::read_to_string(tmp.path().join("strata.toml")).unwrap_or_default();
    assert!(!config.contains("versions"), "{config}");
}

#[test]
fn validate_reads_diesel_and_supabase_directories_with_warnings_only() {
    Cmd::in_dir(&shape("diesel"))
        .args(["validate"])
        .run()
        .assert_code(0)
        .assert_stdout(&["4 migrations in migrations: no problems"]);
    let ran = Cmd::in_dir(&shape("supabase-skips"))
        .args(["validate"])
        .run()
        .assert_code(0);
    let stdout = ran.stdout();
    assert!(
        stdout.contains("warning[skipped-by-supabase-cli]"),
        "{stdout}"
    );
    assert!(stdout.contains("warning[mixed-version-widths]"), "{stdout}");
    assert!(
        stdout.contains("3 migrations in supabase/migrations: 0 errors, 9 warnings"),
        "{stdout}"
    );
    Cmd::in_dir(&shape("diesel-bad-metadata"))
        .args(["validate"])
        .run()
        .assert_code(2)
        .assert_stdout(&["error[invalid-metadata]", "run_in_transactions"]);
}

#[test]
fn whole_names_are_versions_in_history_and_order() {
    let server = Server::start();
    let db = server.database("whole_names");
    let project = project_with("[migrations]\nversions = \"name\"\n");
    project
        .write(
            "0001_create_table_a.up.sql",
            "create table a (id int primary key);\n",
        )
        .write("0001_create_table_a.down.sql", "drop table a;\n")
        .write(
            "0001_create_table_b.up.sql",
            "create table b (id int primary key, a_id int references a);\n",
        )
        .write("0001_create_table_b.down.sql", "drop table b;\n")
        .write("0002.up.sql", "alter table b add column note text;\n")
        .write("0002.down.sql", "alter table b drop column note;\n");
    db.strata(&project)
        .args(["migrate"])
        .run()
        .assert_code(0)
        .assert_stdout(&[
            "applied 0001_create_table_a",
            "applied 0001_create_table_b",
            "applied 0002",
        ]);
    assert_eq!(
        db.query(
            "select string_agg(version, ' ' order by applied_at, version) from strata.migrations"
        ),
        "0001_create_table_a 0001_create_table_b 0002"
    );
    let status = db
        .strata(&project)
        .args(["status", "--json"])
        .run()
        .assert_code(0);
    assert_eq!(
        states(&status.json()),
        [
            ("0001_create_table_a".to_owned(), "applied".to_owned()),
            ("0001_create_table_b".to_owned(), "applied".to_owned()),
            ("0002".to_owned(), "applied".to_owned()),
        ]
    );
    // A name whose number is 0 is a name, not `--to 0` (everything): it
    // must name an applied migration.
    db.strata(&project)
        .args(["rollback", "--to", "0_typo", "--yes"])
        .run()
        .assert_code(2)
        .assert_stderr(&["no applied migration has this version"]);
    assert!(db.exists("b"));
    // Rollback undoes the last by name: b's note, then table b, then a.
    db.strata(&project)
        .args(["rollback", "--steps", "2", "--yes"])
        .run()
        .assert_code(0);
    assert!(db.exists("a") && !db.exists("b"));
    db.strata(&project)
        .args(["rollback", "--to", "0001_create_table_a", "--yes"])
        .run()
        .assert_code(0);
    assert!(db.exists("a"));
}

#[test]
fn a_supabase_project_is_applied_in_the_clis_text_order() {
    let server = Server::start();
    let db = server.database("supabase_order");
    let project = project_with("compat = \"supabase\"\n");
    // The 8-digit date sorts after the timestamps as text (as the Supabase
    // CLI applies it), before them as a number: it needs both tables.
    project
        .write(
            "20240101000001_create_notes.sql",
            "create table notes (id int primary key);\n-- ROLLBACK:\n-- drop table notes;\n",
        )
        .write(
            "20250103_link_tags.sql",
            "alter table notes add column tag_id int references tags;\n",
        )
        .write(
            "20240101000002_create_tags.sql",
            "create table tags (id int primary key);\n-- ROLLBACK:\n-- drop table tags;\n",
        )
        .write("seed.sql", "insert into notes values (1);\n");
    db.strata(&project).args(["migrate"]).run().assert_code(0);
    assert_eq!(
        db.query("select string_agg(version, ' ' order by applied_at) from strata.migrations"),
        "20240101000001 20240101000002 20250103"
    );
    assert_eq!(
        db.query("select count(*) from notes"),
        "0",
        "seed.sql was not run"
    );
    let status = db
        .strata(&project)
        .args(["status", "--json"])
        .run()
        .assert_code(0);
    let versions: Vec<String> = states(&status.json()).into_iter().map(|(v, _)| v).collect();
    assert_eq!(versions, ["20240101000001", "20240101000002", "20250103"]);
}

#[test]
fn a_diesel_directory_is_applied_with_its_metadata() {
    let server = Server::start();
    let db = server.database("diesel");
    let project = Project::new();
    let dir = project.root().join("migrations");
    for (migration, up, down) in [
        (
            "2024-01-01-120000_create_users",
            "create table users (id int primary key, email text);\n",
            "drop table users;\n",
        ),
        (
            "20240102093000_index_email",
            "create index concurrently users_email on users (email);\n",
            "drop index concurrently users_email;\n",
        ),
    ] {
        std::fs::create_dir_all(dir.join(migration)).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(dir.join(migration).join("up.sql"), up).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(dir.join(migration).join("down.sql"), down)
            .unwrap_or_else(|e| panic!("{e}"));
    }
    std::fs::write(
        dir.join("20240102093000_index_email/metadata.toml"),
        "run_in_transaction = false\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    db.strata(&project).args(["migrate"]).run().assert_code(0);
    assert_eq!(
        db.query("select string_agg(version, ' ' order by version) from strata.migrations"),
        "20240101120000 20240102093000"
    );
    assert!(db.exists("users_email"));
    db.strata(&project)
        .args(["rollback", "--steps", "1", "--yes"])
        .run()
        .assert_code(0);
    assert!(!db.exists("users_email"));
}
