//! One bad file does not stop everything: `migrate` applies what comes before the first
//! migration it cannot apply and stops there, `status` shows every migration with the invalid
//! ones marked, `rollback` is blocked only by problems in what it rolls back. Files other
//! tools leave empty are migrations that do nothing; a template of `strata new` nobody
//! filled in stops `migrate`.

#[expect(
    dead_code,
    reason = "each test binary uses its own part of the shared helpers"
)]
mod support;

use support::{Project, Server};

const A: &str = "create table a (id int);\n-- strata:down\ndrop table a;\n";
const C: &str = "create table c (id int);\n-- strata:down\ndrop table c;\n";
const D: &str = "create table d (id int);\n-- strata:down\ndrop table d;\n";

#[test]
fn migrate_applies_up_to_the_first_invalid_file_and_status_marks_it() {
    let server = Server::start();
    let db = server.database("stop_at_invalid");
    let project = Project::new();
    project
        .write("0001_a.sql", A)
        // A broken down does not stop applying the up.
        .write(
            "0002_b.sql",
            "create table b (id int);\n-- strata:down\ndrop tabel b;\n",
        )
        .write(
            "0003_c.sql",
            "create tabel c (id int);\n-- strata:down\ndrop table c;\n",
        )
        .write("0004_d.sql", D);
    db.strata(&project)
        .args(["migrate"])
        .run()
        .assert_code(1)
        .assert_stdout(&["applied 0001 a", "applied 0002 b", "applied 2 migrations"])
        .assert_stderr(&[
            "migrations/0003_c.sql:1:8",
            "stopped before 0003 c: its file cannot be applied",
        ]);
    assert!(db.exists("public.b"));
    assert!(
        !db.exists("public.d"),
        "migrate skipped past the invalid file"
    );

    // The same, as JSON, on a database of its own.
    let fresh = server.database("stop_at_invalid_json");
    let json = fresh.strata(&project).args(["--json", "migrate"]).run();
    assert_eq!(json.code(), 1);
    let report: serde_json::Value =
        serde_json::from_str(&json.stdout()).unwrap_or_else(|e| panic!("{e}: {}", json.stdout()));
    assert_eq!(report["stopped_before"]["version"], "0003", "{report:#}");
    assert_eq!(
        report["stopped_before"]["problems"][0]["code"], "syntax-error",
        "{report:#}"
    );

    // status shows every row, the invalid ones marked, and needs attention.
    db.strata(&project)
        .args(["status"])
        .run()
        .assert_code(1)
        .assert_stdout(&[
            "0001     applied",
            "invalid: syntax error at or near \"tabel\" (in the down section)",
            "0003     pending",
            "invalid: syntax error at or near \"tabel\" (in the up section)",
            "0004     pending",
            "2 needing attention",
        ]);

    // Rolling back 0002 needs its down: refused. Fixed, it rolls back although 0003 is
    // still invalid: that file has nothing to do with it.
    db.strata(&project)
        .args(["rollback", "--yes"])
        .run()
        .assert_code(2)
        .assert_stderr(&["0002_b.sql:3:6"]);
    project.write(
        "0002_b.sql",
        "create table b (id int);\n-- strata:down\ndrop table b;\n",
    );
    db.strata(&project)
        .args(["rollback", "--yes"])
        .run()
        .assert_code(0)
        .assert_stdout(&["rolled back 0002 b"]);

    // Fixed, everything applies.
    project.write("0003_c.sql", C);
    db.strata(&project)
        .args(["migrate"])
        .run()
        .assert_code(0)
        .assert_stdout(&["applied 3 migrations"]);
}

#[test]
fn status_lists_a_version_with_two_files_instead_of_refusing() {
    let server = Server::start();
    let db = server.database("status_duplicate");
    let project = Project::new();
    project
        .write("0001_a.sql", A)
        .write("0002_b.sql", "create table b (id int);\n")
        .write("0002_b_again.sql", "create table b2 (id int);\n");
    db.strata(&project)
        .args(["status"])
        .run()
        .assert_code(1)
        .assert_stdout(&["0001     pending", "version 0002 is also used by"]);
    // migrate applies what comes before the version with two files.
    db.strata(&project)
        .args(["migrate"])
        .run()
        .assert_code(1)
        .assert_stdout(&["applied 0001 a"])
        .assert_stderr(&["stopped before 0002"]);
}

#[test]
fn empty_files_of_other_tools_apply_and_roll_back_as_migrations_that_do_nothing() {
    let server = Server::start();
    let db = server.database("empty_files");
    let project = Project::new();
    project
        .write("1_create_a.up.sql", "create table a (id int);\n")
        .write(
            "1_create_a.down.sql",
            "-- Rollback: 1_create_a\ndrop table a;\n",
        )
        .write("2_placeholder.up.sql", "-- nothing here any more\n")
        .write("2_placeholder.down.sql", "");
    db.strata(&project)
        .args(["validate"])
        .run()
        .assert_code(0)
        .assert_stdout(&["the up section holds no SQL"]);
    db.strata(&project)
        .args(["migrate"])
        .run()
        .assert_code(0)
        .assert_stdout(&["applied 2 migrations"]);
    db.strata(&project)
        .args(["rollback", "--steps", "2", "--yes"])
        .run()
        .assert_code(0)
        .assert_stdout(&["rolled back 2 migrations"]);
    // The down file's `-- Rollback:` header is a comment: its SQL ran.
    assert!(!db.exists("public.a"));
    assert_eq!(db.query("select count(*) from strata.migrations"), "0");
}

#[test]
fn a_template_of_strata_new_not_filled_in_stops_migrate_before_it() {
    let server = Server::start();
    let db = server.database("unfilled_template");
    let project = Project::new();
    project.write("0001_a.sql", A).write(
        "0002_add_invoices.sql",
        "-- Migration: add invoices\n-- Author: someone\n-- Date: 2026-11-25 10:00:00 UTC\n\
         -- Purpose: billing\n\n-- strata:up\n\n\n-- strata:down\n\n",
    );
    db.strata(&project)
        .args(["validate"])
        .run()
        .assert_code(0)
        .assert_stdout(&["the migration `strata new` wrote has no SQL yet"]);
    db.strata(&project)
        .args(["migrate"])
        .run()
        .assert_code(1)
        .assert_stdout(&["applied 0001 a"])
        .assert_stderr(&["stopped before 0002 add_invoices"]);
}
