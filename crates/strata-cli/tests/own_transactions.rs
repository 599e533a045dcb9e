//! Migrations that run statement by statement with transaction blocks of
//! their own: `-- strata:no-transaction` sections with `BEGIN` ... `COMMIT`,
//! `SET ROLE` or `SET search_path`, and files written for runners that
//! execute a file as psql does (several blocks, a `COMMIT` in the middle).
//! strata's history writes between their statements must never join one of
//! their blocks nor run with their role or settings.
//!
//! Every test starts its own cluster; the database is inspected with psql.

#[expect(
    dead_code,
    reason = "each test binary uses its own part of the shared helpers"
)]
mod support;

use support::{Cmd, Project, Server, states};

/// The password of every role of these tests' clusters.
const PASSWORD: &str = "own-tx:pw/1";

/// Rows of `sql`, one per line.
fn rows(db: &support::Db<'_>, sql: &str) -> Vec<String> {
    support::lines(&db.query(sql))
}

#[test]
fn bookkeeping_inside_a_no_transaction_block_committed_it_half_way() {
    // strata recorded progress after each statement with its own BEGIN and
    // COMMIT: inside the section's block, that COMMIT ended the block after
    // its first statement, and a `SET LOCAL` of the block was reset.
    let server = Server::start();
    let db = server.database("one_block");
    db.query("create role app");
    db.query("grant create on schema public to app");
    let project = Project::new();
    project.write(
        "001_block.sql",
        "-- strata:no-transaction\ncreate table xids (n int, xid bigint);\ngrant insert on xids to app;\nbegin;\nset local role app;\ninsert into xids values (1, txid_current());\ncreate table owned (id int);\ninsert into xids values (2, txid_current());\ncommit;\ninsert into xids values (3, txid_current());\n",
    );
    db.strata(&project)
        .args(["migrate"])
        .run()
        .assert_code(0)
        .assert_stdout(&["applied 001 block"]);
    // The block's statements ran in one transaction, as its role; the
    // statement after it in another.
    assert_eq!(
        db.query("select count(distinct xid) from xids where n in (1, 2)"),
        "1"
    );
    assert_eq!(
        db.query("select count(distinct xid) from xids"),
        "2",
        "the statement after the block runs in a transaction of its own"
    );
    assert_eq!(
        db.query("select relowner::regrole from pg_class where relname = 'owned'"),
        "app"
    );
    assert_eq!(
        db.query(
            "select status || ' ' || statements_done || ' ' || no_transaction from strata.migrations"
        ),
        "applied 9 true"
    );
}

#[test]
fn a_failure_inside_a_no_transaction_block_rolls_the_whole_block_back() {
    let server = Server::start();
    let db = server.database("block_fails");
    let project = Project::new();
    project.write(
        "001_block.sql",
        "-- strata:no-transaction\ncreate table before_block (id int);\nbegin;\ncreate table in_block (id int);\ninsert into in_block values (1);\nselect 1 / 0;\ncommit;\ncreate table after_block (id int);\n",
    );
    db.strata(&project)
        .args(["migrate"])
        .run()
        .assert_code(1)
        .assert_stderr(&[
            "migrations/001_block.sql:6:",
            "SQLSTATE 22012",
            "1 of 7 statement(s) completed and stay applied (the transaction block statement 5 failed in was rolled back)",
            "strata repair --mark-applied 001",
        ]);
    assert!(db.exists("before_block"));
    assert!(!db.exists("in_block"), "the failed block was rolled back");
    assert!(!db.exists("after_block"));
    assert_eq!(
        rows(
            &db,
            "select status || ' ' || statements_done || ' ' || failure from strata.migrations"
        ),
        [
            "failed 1 statement 5 of 7 failed: division by zero (SQLSTATE 22012); the transaction block it was in, from statement 2, was rolled back"
        ]
    );
    assert_eq!(db.events(), ["apply 001 failed"]);
    // The connection was left usable: status reads the failure.
    let status = db
        .strata(&project)
        .args(["status", "--json"])
        .run()
        .assert_code(1);
    assert_eq!(
        states(&status.json()),
        [("001".to_owned(), "failed".to_owned())]
    );
}

#[test]
fn a_first_block_that_fails_leaves_nothing_and_is_not_recorded() {
    let server = Server::start();
    let db = server.database("first_block_fails");
    let project = Project::new();
    project.write(
        "001_block.sql",
        "-- strata:no-transaction\nbegin;\ncreate table in_block (id int);\nselect * from missing_table;\ncommit;\n",
    );
    db.strata(&project)
        .args(["migrate"])
        .run()
        .assert_code(1)
        .assert_stderr(&[
            "statement 3 failed inside its first transaction block, which was rolled back: nothing of it stays and it is not recorded",
        ]);
    assert!(!db.exists("in_block"));
    assert_eq!(db.query("select count(*) from strata.migrations"), "0");
}

#[test]
fn bookkeeping_runs_as_the_connecting_user_after_set_role_and_set_search_path() {
    // A migration switches to a role with no rights on strata's schema,
    // and to a search path where its own `now()` comes before
    // pg_catalog's; strata's history writes between and after its
    // statements must be neither refused nor redirected, and the
    // migration's statements must keep its role and path.
    let server = Server::with_password(PASSWORD);
    let db = server.database("switched");
    db.query(&format!(
        "create role deployer login password '{PASSWORD}' createrole;
         grant create on database switched to deployer;
         create role app;
         grant app to deployer;
         grant create on database switched to app;
         grant create on schema public to app;"
    ));
    let deployer = db.url().replacen("//postgres:", "//deployer:", 1);
    assert_ne!(deployer, db.url(), "the URL names its user");
    let project = Project::new();
    project
        .write(
            "001_switch.sql",
            "-- strata:no-transaction\nset role app;\ncreate schema other;\ncreate function other.now() returns timestamptz language plpgsql as $$ begin raise exception 'the migration''s now() was called'; end $$;\ncreate table r1 (id int);\nbegin;\ninsert into r1 values (1);\nset search_path = other, pg_catalog, public;\ncreate table r2 (id int);\ncommit;\nbegin;\ninsert into r1 values (2);\ncommit;\ncreate table r3 (id int);\n",
        )
        .write(
            "002_transactional.sql",
            "set role app;\nset search_path = other, pg_catalog, public;\ncreate table r4 (id int);\n",
        );
    Cmd::new(&project)
        .env("DATABASE_URL", &deployer)
        .hiding(server.secrets())
        .args(["migrate"])
        .run()
        .assert_code(0)
        .assert_stdout(&["applied 2 migrations"]);
    assert!(
        !db.query("select has_schema_privilege('app', 'strata', 'usage')")
            .starts_with('t'),
        "app has no rights on strata"
    );
    assert_eq!(
        rows(
            &db,
            "select version || ' ' || status || ' ' || statements_done || ' ' || applied_by
             from strata.migrations order by version"
        ),
        ["001 applied 13 deployer", "002 applied 0 deployer"]
    );
    assert_eq!(
        rows(
            &db,
            "select relname || ' ' || relnamespace::regnamespace || ' ' || relowner::regrole
             from pg_class where relname ~ '^r[0-9]$' order by relname"
        ),
        [
            "r1 public app",
            "r2 other app",
            "r3 other app",
            "r4 other app"
        ]
    );
    assert_eq!(db.query("select count(*) from r1"), "2");
    assert_eq!(db.events(), ["apply 001 ok", "apply 002 ok"]);
}

/// A file written for a runner that executes it as psql does: two blocks,
/// and a down with two blocks of its own.
const TWO_BLOCKS: &str = "-- strata:up\nbegin;\ncreate table first_block (id int primary key);\ninsert into first_block values (1);\ncommit;\n\nbegin;\ncreate table second_block (id int primary key);\ninsert into second_block values (1);\ncommit;\n\n-- strata:down\nbegin;\ndrop table second_block;\ncommit;\nbegin;\ndrop table first_block;\ncommit;\n";

#[test]
fn a_file_with_two_begin_commit_blocks_applies_records_history_and_rolls_back() {
    let server = Server::start();
    let db = server.database("two_blocks");
    let project = Project::new();
    project.write("001_two_blocks.sql", TWO_BLOCKS);
    // Refused before; now a warning saying how it runs.
    Cmd::new(&project)
        .args(["validate"])
        .run()
        .assert_code(0)
        .assert_stdout(&[
            "warning[transaction-control]",
            "migrations/001_two_blocks.sql:5:1",
            "manages its own transactions",
            "cannot be applied atomically",
        ]);
    db.strata(&project)
        .args(["migrate"])
        .run()
        .assert_code(0)
        .assert_stdout(&["applied 001 two_blocks"]);
    assert_eq!(db.query("select count(*) from first_block"), "1");
    assert_eq!(db.query("select count(*) from second_block"), "1");
    assert_eq!(
        db.query(
            "select status || ' ' || statements_done || ' ' || no_transaction from strata.migrations"
        ),
        "applied 8 true"
    );
    db.strata(&project)
        .args(["rollback", "--yes"])
        .run()
        .assert_code(0)
        .assert_stdout(&["rolled back 001 two_blocks"]);
    assert!(!db.exists("first_block"));
    assert!(!db.exists("second_block"));
    assert_eq!(db.query("select count(*) from strata.migrations"), "0");
    assert_eq!(db.events(), ["apply 001 ok", "rollback 001 ok"]);
    // And it applies again.
    db.strata(&project).args(["migrate"]).run().assert_code(0);
    assert!(db.exists("second_block"));
}

#[test]
fn a_failure_in_the_second_block_leaves_the_first_committed_and_history_says_where_it_stopped() {
    let server = Server::start();
    let db = server.database("second_fails");
    let project = Project::new();
    project.write(
        "001_blocks.sql",
        "BEGIN;\ncreate table first_block (id int primary key);\ninsert into first_block values (1);\nCOMMIT;\nBEGIN;\ncreate table second_block (id int primary key);\ninsert into second_block values (1), (1);\nCOMMIT;\n",
    );
    db.strata(&project)
        .args(["migrate"])
        .run()
        .assert_code(1)
        .assert_stderr(&[
            "migrations/001_blocks.sql:7:",
            "SQLSTATE 23505",
            "4 of 8 statement(s) completed and stay applied (the transaction block statement 7 failed in was rolled back)",
            "strata repair --clear-failed 001",
        ]);
    assert_eq!(db.query("select count(*) from first_block"), "1");
    assert!(!db.exists("second_block"));
    assert_eq!(
        rows(
            &db,
            "select status || ' ' || statements_done || ' ' || failure from strata.migrations"
        ),
        [
            "failed 4 statement 7 of 8 failed: duplicate key value violates unique constraint \"second_block_pkey\" (SQLSTATE 23505); the transaction block it was in, from statement 5, was rolled back"
        ]
    );
    db.strata(&project)
        .args(["migrate"])
        .run()
        .assert_code(1)
        .assert_stderr(&["migration 001 (blocks) failed part-way after 4 statement(s)"]);
    // Fixed and cleared, it runs again from the start, over what stayed.
    db.strata(&project)
        .args(["repair", "--clear-failed", "001"])
        .run()
        .assert_code(0);
    project.write(
        "001_blocks.sql",
        "BEGIN;\ncreate table if not exists first_block (id int primary key);\ninsert into first_block values (1) on conflict do nothing;\nCOMMIT;\nBEGIN;\ncreate table second_block (id int primary key);\ninsert into second_block values (1), (2);\nCOMMIT;\n",
    );
    db.strata(&project).args(["migrate"]).run().assert_code(0);
    assert_eq!(db.query("select count(*) from second_block"), "2");
}

#[test]
fn a_block_left_open_at_the_end_is_refused_before_anything_runs() {
    let server = Server::start();
    let db = server.database("left_open");
    let project = Project::new();
    project.write(
        "001_open.sql",
        "create table a (id int);\ncommit;\nbegin;\ncreate table b (id int);\n",
    );
    Cmd::new(&project)
        .args(["validate"])
        .run()
        .assert_code(2)
        .assert_stdout(&[
            "error[transaction-control]",
            "migrations/001_open.sql:3:1",
            "nothing closes",
        ]);
    db.strata(&project).args(["migrate"]).run().assert_code(2);
    assert!(!db.exists("a"));
}

#[test]
fn lint_reports_the_warning_of_a_file_with_its_own_transactions() {
    let project = Project::new();
    project.write(
        "001_middle.sql",
        "create table a (id int primary key);\ncommit;\ncreate table b (id int primary key);\n",
    );
    Cmd::new(&project).args(["lint"]).run().assert_stdout(&[
        "warning[transaction-control]",
        "migrations/001_middle.sql:2:1",
        "cannot be applied atomically",
    ]);
}
