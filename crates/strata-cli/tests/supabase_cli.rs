//! strata beside the Supabase CLI, which runs every `<timestamp>_name.sql` file
//! of `supabase/migrations` verbatim: no down may be live SQL there.

#[expect(
    dead_code,
    reason = "each test binary uses its own part of the shared helpers"
)]
mod support;

use std::path::{Path, PathBuf};

use support::{Cmd, Project, Server};

/// Runs every statement of every migration file of `dir`, in file-name order,
/// one at a time, as a plain SQL runner does: comments are comments, and
/// `-- strata:down` means nothing.
fn run_verbatim(db: &support::Db<'_>, dir: &Path) {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "sql"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no files in {}", dir.display());
    for file in files {
        let text = std::fs::read_to_string(&file)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", file.display()));
        let statements = strata_sql::split(&text)
            .unwrap_or_else(|e| panic!("{} does not parse: {e}", file.display()));
        for statement in statements {
            db.query(statement.text(&text));
        }
    }
}

#[test]
fn the_supabase_example_run_verbatim_keeps_every_table() {
    let server = Server::start();
    let db = server.database("verbatim");
    db.query(strata_ephemeral::supabase::STANDIN_SQL);
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/supabase-app/supabase/migrations");
    run_verbatim(&db, &dir);
    for table in ["public.profiles", "public.organisations", "public.members"] {
        assert!(db.exists(table), "{table} is gone after a verbatim run");
    }
}

/// Moves the project's `migrations/` to `supabase/migrations/`.
fn move_to_supabase(project: &Project) {
    let root = project.root();
    std::fs::create_dir(root.join("supabase")).unwrap_or_else(|e| panic!("mkdir: {e}"));
    std::fs::rename(root.join("migrations"), root.join("supabase/migrations"))
        .unwrap_or_else(|e| panic!("cannot move migrations/: {e}"));
    std::fs::write(
        root.join("strata.toml"),
        "[migrations]\ndir = \"supabase/migrations\"\n",
    )
    .unwrap_or_else(|e| panic!("cannot write strata.toml: {e}"));
}

#[test]
fn live_downs_in_supabase_migrations_are_refused_and_convert_downs_keeps_history_valid() {
    let server = Server::start();
    let db = server.database("converted");
    let project = Project::new();
    project
        .write(
            "20240101000000_a.sql",
            "-- Migration: a\n-- strata:up\ncreate table a (id int primary key);\n\n-- strata:down\ndrop table a;\n",
        )
        .write("20240102000000_b.up.sql", "create table b (id int);\n")
        .write("20240102000000_b.down.sql", "drop table b;\n")
        .write(
            "20240103000000_c.sql",
            "-- migrate:up\ncreate table c (id int);\n-- migrate:down\ndrop table c;\n",
        );
    db.strata(&project).args(["migrate"]).run().assert_code(0);
    move_to_supabase(&project);

    let refused = Cmd::new(&project).args(["validate"]).run().assert_code(2);
    let out = refused.stdout();
    assert_eq!(
        out.matches("error[down-run-by-supabase-cli]").count(),
        3,
        "{out}"
    );
    assert!(out.contains("strata convert-downs"), "{out}");
    db.strata(&project).args(["migrate"]).run().assert_code(2);

    let migrations = project.root().join("supabase/migrations");
    let before =
        std::fs::read_to_string(migrations.join("20240101000000_a.sql")).unwrap_or_default();
    let planned = Cmd::new(&project)
        .args(["convert-downs", "--dry-run"])
        .run()
        .assert_code(0);
    assert!(
        planned.stdout().contains("would rewrite"),
        "{}",
        planned.stdout()
    );
    let unchanged =
        std::fs::read_to_string(migrations.join("20240101000000_a.sql")).unwrap_or_default();
    assert_eq!(unchanged, before, "--dry-run wrote");

    Cmd::new(&project)
        .args(["convert-downs"])
        .run()
        .assert_code(0);
    assert!(!migrations.join("20240102000000_b.down.sql").exists());
    assert!(migrations.join("20240102000000_b.sql").exists());
    Cmd::new(&project).args(["validate"]).run().assert_code(0);
    // Applied up sections kept their checksums: nothing is modified.
    let status = db.strata(&project).args(["status"]).run().assert_code(0);
    assert!(!status.stdout().contains("modified"), "{}", status.stdout());
    // The downs still work, from their blocks.
    db.strata(&project)
        .args(["rollback", "--steps", "3", "--yes"])
        .run()
        .assert_code(0);
    for table in ["a", "b", "c"] {
        assert!(!db.exists(table), "{table} was not rolled back");
    }
    // And a plain runner now applies the ups only.
    let fresh = server.database("fresh");
    run_verbatim(&fresh, &migrations);
    for table in ["a", "b", "c"] {
        assert!(
            fresh.exists(table),
            "{table} is missing after a verbatim run"
        );
    }
}

#[test]
fn strata_new_writes_a_down_the_supabase_cli_skips() {
    let project = Project::new();
    move_to_supabase(&project);
    let ran = Cmd::new(&project)
        .args(["new", "add things"])
        .run()
        .assert_code(0);
    let migrations = project.root().join("supabase/migrations");
    let file = std::fs::read_dir(&migrations)
        .ok()
        .and_then(|mut d| d.next())
        .and_then(Result::ok)
        .map(|e| e.path())
        .unwrap_or_else(|| panic!("no file written: {}", ran.stderr()));
    let text = std::fs::read_to_string(&file).unwrap_or_default();
    assert!(
        text.contains("-- ROLLBACK:") && !text.contains("-- strata:down"),
        "{text}"
    );
}

#[test]
fn downs_in_a_directory_beside_are_written_by_new_applied_by_rollback_and_skipped_by_the_cli() {
    let server = Server::start();
    let db = server.database("beside");
    let project = Project::new();
    move_to_supabase(&project);
    std::fs::write(
        project.root().join("strata.toml"),
        "[migrations]\ndir = \"supabase/migrations\"\ndowns = \"supabase/rollbacks\"\n",
    )
    .unwrap_or_else(|e| panic!("cannot write strata.toml: {e}"));
    Cmd::new(&project)
        .args(["new", "add t"])
        .run()
        .assert_code(0);
    let up_dir = project.root().join("supabase/migrations");
    let down_dir = project.root().join("supabase/rollbacks");
    let name = std::fs::read_dir(&up_dir)
        .ok()
        .and_then(|mut d| d.next())
        .and_then(Result::ok)
        .map(|e| e.file_name())
        .unwrap_or_else(|| panic!("no up file written"));
    assert!(down_dir.join(&name).exists(), "no down file beside");
    std::fs::write(up_dir.join(&name), "create table t (id int);\n").unwrap_or_default();
    std::fs::write(down_dir.join(&name), "drop table t;\n").unwrap_or_default();
    Cmd::new(&project).args(["validate"]).run().assert_code(0);
    db.strata(&project).args(["migrate"]).run().assert_code(0);
    assert!(db.exists("t"));
    db.strata(&project)
        .args(["rollback", "--yes"])
        .run()
        .assert_code(0);
    assert!(!db.exists("t"), "the down beside did not run");
    let fresh = server.database("fresh_beside");
    run_verbatim(&fresh, &up_dir);
    assert!(
        fresh.exists("t"),
        "a verbatim run of supabase/migrations lost the table"
    );
}
