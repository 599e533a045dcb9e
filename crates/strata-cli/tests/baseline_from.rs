//! `strata baseline --from TOOL`: the history of the tool a project used
//! before strata, read from the table that tool made, becomes strata's:
//! what it applied is recorded as applied without running, what it left
//! failed as failed, and what cannot be recorded (no file, a file edited
//! since) is reported. The old table is left as it was.
//!
//! Each tool's table is made by the tool itself where it can be installed
//! here (dbmate, from npm: `npm i -g dbmate`), else with the tool's
//! documented DDL, written here from its documentation.

#[expect(
    dead_code,
    reason = "each test binary uses its own part of the shared helpers"
)]
mod support;

use std::process::Command;

use support::{Db, Project, Server, lines};

/// A project whose migrations are golang-migrate's pairs: `NNNNNN_name.up.sql`
/// and `.down.sql`, creating table `t<N>`.
fn pairs_project(count: u32) -> Project {
    let project = Project::new();
    for n in 1..=count {
        project.write(
            &format!("{n:06}_create_t{n}.up.sql"),
            &format!("create table t{n} (id int primary key);\n"),
        );
        project.write(
            &format!("{n:06}_create_t{n}.down.sql"),
            &format!("drop table t{n};\n"),
        );
    }
    project
}

/// strata's history as `version status`, in version order.
fn history(db: &Db<'_>) -> Vec<String> {
    lines(&db.query("select version || ' ' || status from strata.migrations order by version"))
}

/// Runs `sql` to build the schema the old tool had built.
fn tables(db: &Db<'_>, names: &[&str]) {
    for name in names {
        db.query(&format!("create table {name} (id int primary key)"));
    }
}

// golang-migrate: one row, `version bigint, dirty boolean`.

/// golang-migrate's history table as its PostgreSQL driver creates it (its
/// documented layout: the version reached, and whether it is dirty).
const GOLANG_MIGRATE_DDL: &str =
    "create table schema_migrations (version bigint not null primary key, dirty boolean not null)";

#[test]
fn golang_migrate_version_imports_every_migration_up_to_it() {
    let server = Server::start();
    let db = server.database("golang_clean");
    let project = pairs_project(3);
    tables(&db, &["t1", "t2"]);
    db.query(GOLANG_MIGRATE_DDL);
    db.query("insert into schema_migrations values (2, false)");

    db.strata(&project)
        .args(["baseline", "--from", "golang-migrate"])
        .run()
        .assert_code(0)
        .assert_stdout(&[
            "recorded 2 migrations as applied without running them (up to 000002): those golang-migrate's history (public.schema_migrations) records as applied that have a file",
        ]);
    assert_eq!(history(&db), ["000001 applied", "000002 applied"]);
    // The old table is left as it was.
    assert_eq!(
        db.query("select version || ' ' || dirty from schema_migrations"),
        "2 false"
    );
    let log = db.strata(&project).args(["log"]).run().assert_code(0);
    assert!(
        log.stdout()
            .contains("from golang-migrate's history (public.schema_migrations): 2 migration(s) recorded as applied"),
        "{}",
        log.stdout()
    );
    // Only what golang-migrate had not applied runs next.
    db.strata(&project)
        .args(["migrate"])
        .run()
        .assert_code(0)
        .assert_stdout(&["000003"]);
    assert!(db.exists("t3"));
}

#[test]
fn golang_migrate_dirty_version_is_recorded_as_failed_and_blocks_migrate_until_repaired() {
    let server = Server::start();
    let db = server.database("golang_dirty");
    let project = pairs_project(4);
    tables(&db, &["t1", "t2", "t3"]);
    db.query(GOLANG_MIGRATE_DDL);
    db.query("insert into schema_migrations values (3, true)");

    db.strata(&project)
        .args(["baseline", "--from", "golang-migrate"])
        .run()
        .assert_code(1)
        .assert_stdout(&["recorded 2 migrations as applied without running them (up to 000002)"])
        .assert_stderr(&[
            "recorded migration 000003 as failed part-way, as golang-migrate left it",
            "`strata repair --mark-applied 000003`",
            "`strata repair --clear-failed 000003`",
        ]);
    assert_eq!(
        history(&db),
        ["000001 applied", "000002 applied", "000003 failed"]
    );
    db.strata(&project)
        .args(["status"])
        .run()
        .assert_code(1)
        .assert_stdout(&["golang-migrate recorded it dirty"]);
    db.strata(&project)
        .args(["migrate"])
        .run()
        .assert_code(1)
        .assert_stderr(&["000003", "must be repaired"]);
    assert!(!db.exists("t4"), "migrate ran past a failed migration");

    // Its table exists: it completed after all.
    db.strata(&project)
        .args(["repair", "--mark-applied", "000003"])
        .run()
        .assert_code(0);
    db.strata(&project)
        .args(["migrate"])
        .run()
        .assert_code(0)
        .assert_stdout(&["000004"]);
    assert!(db.exists("t4"));
}

#[test]
fn golang_migrate_errors_say_what_is_wrong_and_change_nothing() {
    let server = Server::start();
    let project = pairs_project(2);

    let none = server.database("golang_none");
    none.strata(&project)
        .args(["baseline", "--from", "golang-migrate"])
        .run()
        .assert_code(1)
        .assert_stderr(&[
            "there is no history of golang-migrate here: table schema_migrations does not exist (if golang-migrate was configured with another table, name it with `--table`)",
        ]);
    assert_eq!(history(&none), Vec::<String>::new());

    // x-migrations-table names another table; --table finds it.
    let elsewhere = server.database("golang_table");
    elsewhere.query("create schema migrate");
    elsewhere.query(
        "create table migrate.history (version bigint not null primary key, dirty boolean not null);
         insert into migrate.history values (1, false);",
    );
    elsewhere
        .strata(&project)
        .args([
            "baseline",
            "--from",
            "golang-migrate",
            "--table",
            "migrate.history",
        ])
        .run()
        .assert_code(0)
        .assert_stdout(&["(migrate.history)"]);
    assert_eq!(history(&elsewhere), ["000001 applied"]);

    // dbmate's table has the same name: its columns tell.
    let dbmate = server.database("golang_is_dbmate");
    dbmate.query(DBMATE_DDL);
    dbmate.query("insert into schema_migrations values ('1')");
    dbmate
        .strata(&project)
        .args(["baseline", "--from", "golang-migrate"])
        .run()
        .assert_code(1)
        .assert_stderr(&[
            "table public.schema_migrations is not golang-migrate's history: it has no column dirty; its columns are dbmate's (`strata baseline --from dbmate`)",
        ]);
    assert_eq!(history(&dbmate), Vec::<String>::new());

    let empty = server.database("golang_empty");
    empty.query(GOLANG_MIGRATE_DDL);
    empty
        .strata(&project)
        .args(["baseline", "--from", "golang-migrate"])
        .run()
        .assert_code(1)
        .assert_stderr(&["records no applied migration: there is nothing to import"]);

    // --table without --from is refused by the arguments.
    Command::new(env!("CARGO_BIN_EXE_strata"))
        .args(["baseline", "--table", "x"])
        .output()
        .map(|o| assert_eq!(o.status.code(), Some(2), "{o:?}"))
        .unwrap_or_else(|e| panic!("cannot run strata: {e}"));
}

// dbmate: a row per applied version.

/// dbmate's history table as its PostgreSQL driver creates it.
const DBMATE_DDL: &str = "create table schema_migrations (version varchar(255) primary key)";

/// A migration in dbmate's format creating `table`.
fn dbmate_migration(table: &str) -> String {
    format!(
        "-- migrate:up\ncreate table {table} (id int primary key);\n\n-- migrate:down\ndrop table {table};\n"
    )
}

/// Applies the project's migrations with the real dbmate when it is
/// installed, else builds what it would leave: its table (by its DDL), its
/// rows, and the tables. Says which.
fn dbmate_up(db: &Db<'_>, project: &Project, tables_made: &[(&str, &str)]) -> bool {
    let dir = project.root().join("migrations");
    let ran = Command::new("dbmate")
        .arg("--url")
        .arg(format!("{}?sslmode=disable", db.url()))
        .arg("--migrations-dir")
        .arg(&dir)
        .args(["--no-dump-schema", "up"])
        .output();
    match ran {
        Ok(output) => {
            assert!(
                output.status.success(),
                "dbmate up failed:\n{}\n{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
            true
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            eprintln!("dbmate is not installed: its table is made by its documented DDL");
            db.query(DBMATE_DDL);
            for (version, table) in tables_made {
                db.query(&format!(
                    "insert into schema_migrations values ('{version}'); create table {table} (id int primary key);"
                ));
            }
            false
        }
        Err(e) => panic!("cannot run dbmate: {e}"),
    }
}

#[test]
fn dbmate_history_made_by_dbmate_is_imported_and_a_version_without_its_file_reported() {
    let server = Server::start();
    let db = server.database("dbmate");
    let project = Project::new();
    project.write(
        "20240101000001_create_users.sql",
        &dbmate_migration("users"),
    );
    project.write(
        "20240101000002_create_posts.sql",
        &dbmate_migration("posts"),
    );
    project.write("20240101000003_create_tags.sql", &dbmate_migration("tags"));
    let real = dbmate_up(
        &db,
        &project,
        &[
            ("20240101000001", "users"),
            ("20240101000002", "posts"),
            ("20240101000003", "tags"),
        ],
    );
    eprintln!("history made by {}", if real { "dbmate" } else { "DDL" });
    assert_eq!(
        lines(&db.query("select version from schema_migrations order by version")),
        ["20240101000001", "20240101000002", "20240101000003"]
    );
    // One migration's file is gone (another branch's), and one is new.
    project.remove("20240101000003_create_tags.sql");
    project.write(
        "20240101000004_create_likes.sql",
        &dbmate_migration("likes"),
    );

    db.strata(&project)
        .args(["baseline", "--from", "dbmate"])
        .run()
        .assert_code(1)
        .assert_stdout(&[
            "recorded 2 migrations as applied without running them (up to 20240101000002): those dbmate's history (public.schema_migrations) records as applied that have a file",
        ])
        .assert_stderr(&[
            "migration 20240101000003, which dbmate recorded as applied, has no file: strata did not record it",
            "`strata repair --mark-applied 20240101000003`",
        ]);
    assert_eq!(
        history(&db),
        ["20240101000001 applied", "20240101000002 applied"]
    );
    assert_eq!(
        db.query("select count(*) from schema_migrations"),
        "3",
        "the old table changed"
    );
    // Only the new migration runs.
    db.strata(&project)
        .args(["migrate"])
        .run()
        .assert_code(0)
        .assert_stdout(&["20240101000004"]);
    assert!(db.exists("likes"));
    // A second baseline is refused: strata has its history now.
    db.strata(&project)
        .args(["baseline", "--from", "dbmate"])
        .run()
        .assert_code(1)
        .assert_stderr(&["already has migration history"]);
}

#[test]
fn dbmate_baseline_json_and_version_limit() {
    let server = Server::start();
    let db = server.database("dbmate_json");
    let project = Project::new();
    project.write(
        "20240101000001_create_users.sql",
        &dbmate_migration("users"),
    );
    project.write(
        "20240101000002_create_posts.sql",
        &dbmate_migration("posts"),
    );
    dbmate_up(
        &db,
        &project,
        &[("20240101000001", "users"), ("20240101000002", "posts")],
    );
    db.query("insert into schema_migrations values ('20231231000000')");

    let ran = db
        .strata(&project)
        .args([
            "baseline",
            "--from",
            "dbmate",
            "--version",
            "20240101000001",
            "--json",
        ])
        .run()
        .assert_code(1);
    let json = ran.json();
    assert_eq!(json["ok"], false, "{json}");
    assert_eq!(
        json["versions"],
        serde_json::json!(["20240101000001"]),
        "{json}"
    );
    assert_eq!(json["imported"]["from"], "dbmate", "{json}");
    assert_eq!(
        json["imported"]["table"], "public.schema_migrations",
        "{json}"
    );
    assert_eq!(
        json["imported"]["not_imported"][0]["version"], "20231231000000",
        "{json}"
    );
    assert_eq!(
        json["imported"]["not_imported"][0]["reason"], "no-file",
        "{json}"
    );
    assert_eq!(history(&db), ["20240101000001 applied"]);

    // golang-migrate's table has dbmate's name: its columns tell.
    let other = server.database("dbmate_is_golang");
    other.query(GOLANG_MIGRATE_DDL);
    other.query("insert into schema_migrations values (1, false)");
    other
        .strata(&project)
        .args(["baseline", "--from", "dbmate"])
        .run()
        .assert_code(1)
        .assert_stderr(&[
            "table public.schema_migrations is not dbmate's history: its columns are golang-migrate's (`strata baseline --from golang-migrate`)",
        ]);
}

// sqlx: a row per migration, with `success` and the file's SHA-384.

/// sqlx's history table as its PostgreSQL driver creates it.
const SQLX_DDL: &str = "create table _sqlx_migrations (
    version bigint primary key,
    description text not null,
    installed_on timestamptz not null default now(),
    success boolean not null,
    checksum bytea not null,
    execution_time bigint not null
)";

/// The row sqlx writes for a migration whose file held `content`.
fn sqlx_row(version: u32, description: &str, success: bool, content: &str) -> String {
    format!(
        "insert into _sqlx_migrations (version, description, success, checksum, execution_time)
         values ({version}, '{description}', {success}, sha384(convert_to($c${content}$c$, 'UTF8')), 1000)"
    )
}

#[test]
fn sqlx_checksums_are_compared_and_an_unsuccessful_row_is_recorded_as_failed() {
    let server = Server::start();
    let db = server.database("sqlx");
    let project = Project::new();
    let users = "create table users (id int primary key);\n";
    let posts = "create table posts (id int primary key);\n";
    let index = "-- no-transaction\ncreate index concurrently posts_id on posts (id);\n";
    // The file as sqlx applied it, checked out since with CRLF line ends.
    project.write("1_create_users.sql", &users.replace('\n', "\r\n"));
    // Edited after sqlx applied it.
    project.write(
        "2_create_posts.sql",
        "create table posts (id int primary key, title text);\n",
    );
    project.write("3_index_posts.sql", index);
    project.write(
        "4_create_tags.sql",
        "create table tags (id int primary key);\n",
    );
    tables(&db, &["users", "posts"]);
    db.query(SQLX_DDL);
    db.query(&sqlx_row(1, "create users", true, users));
    db.query(&sqlx_row(2, "create posts", true, posts));
    db.query(&sqlx_row(3, "index posts", false, index));

    db.strata(&project)
        .args(["baseline", "--from", "sqlx"])
        .run()
        .assert_code(1)
        .assert_stdout(&[
            "recorded 1 migration as applied without running them (up to 1): those sqlx's history (public._sqlx_migrations) records as applied that have a file unchanged since",
        ])
        .assert_stderr(&[
            "2_create_posts.sql: migration 2 (create_posts) was edited after sqlx applied it",
            "the next `strata migrate` would run it again",
            "`strata repair --mark-applied 2`",
            "recorded migration 3 as failed part-way, as sqlx left it",
        ]);
    assert_eq!(history(&db), ["1 applied", "3 failed"]);
    let json = db.strata(&project).args(["status", "--json"]).run().json();
    assert_eq!(json["ok"], false, "{json}");

    // The edit was harmless to the database as it is: recorded as it is.
    db.strata(&project)
        .args(["repair", "--mark-applied", "2"])
        .run()
        .assert_code(0);
    // The failed index is undone and run again.
    db.strata(&project)
        .args(["repair", "--clear-failed", "3"])
        .run()
        .assert_code(0);
    db.strata(&project)
        .args(["migrate"])
        .run()
        .assert_code(0)
        .assert_stdout(&["3", "4"]);
    assert!(db.exists("posts_id") && db.exists("tags"));
}

#[test]
fn sqlx_baseline_json_names_the_edited_file() {
    let server = Server::start();
    let db = server.database("sqlx_json");
    let project = Project::new();
    project.write(
        "1_create_users.sql",
        "create table users (id int primary key, name text);\n",
    );
    db.query(SQLX_DDL);
    db.query(&sqlx_row(
        1,
        "create users",
        true,
        "create table users (id int primary key);\n",
    ));
    let json = db
        .strata(&project)
        .args(["baseline", "--from", "sqlx", "--json"])
        .run()
        .assert_code(1)
        .json();
    assert_eq!(json["imported"]["from"], "sqlx", "{json}");
    assert_eq!(
        json["imported"]["not_imported"][0]["reason"], "checksum-mismatch",
        "{json}"
    );
    assert!(json.get("versions").is_none(), "{json}");
    // Nothing was recorded, so baseline can run again once the file is restored.
    assert!(
        json["imported"]["not_imported"][0]["help"]
            .as_str()
            .is_some_and(|h| h.contains("`strata baseline --from sqlx` again")),
        "{json}"
    );
    project.write(
        "1_create_users.sql",
        "create table users (id int primary key);\n",
    );
    db.strata(&project)
        .args(["baseline", "--from", "sqlx"])
        .run()
        .assert_code(0);
    assert_eq!(history(&db), ["1 applied"]);
}

// goose: a log of applies and rollbacks; the latest row of a version decides.

/// goose's history table as its PostgreSQL dialect creates it.
const GOOSE_DDL: &str = "create table goose_db_version (
    id serial not null primary key,
    version_id bigint not null,
    is_applied boolean not null,
    tstamp timestamp null default now()
)";

/// A migration in goose's format creating `table`.
fn goose_migration(table: &str) -> String {
    format!(
        "-- +goose Up\ncreate table {table} (id int primary key);\n\n-- +goose Down\ndrop table {table};\n"
    )
}

#[test]
fn goose_log_imports_what_its_latest_rows_leave_applied() {
    let server = Server::start();
    let db = server.database("goose");
    let project = Project::new();
    project.write("00001_create_users.sql", &goose_migration("users"));
    project.write("00002_create_posts.sql", &goose_migration("posts"));
    project.write("00003_create_tags.sql", &goose_migration("tags"));
    tables(&db, &["users", "posts"]);
    db.query(GOOSE_DDL);
    // goose's own row, three applies, and a rollback of the third.
    db.query(
        "insert into goose_db_version (version_id, is_applied) values
         (0, true), (1, true), (2, true), (3, true), (3, false)",
    );

    db.strata(&project)
        .args(["baseline", "--from", "goose"])
        .run()
        .assert_code(0)
        .assert_stdout(&[
            "recorded 2 migrations as applied without running them (up to 00002): those goose's history (public.goose_db_version) records as applied that have a file",
        ]);
    assert_eq!(history(&db), ["00001 applied", "00002 applied"]);
    db.strata(&project)
        .args(["migrate"])
        .run()
        .assert_code(0)
        .assert_stdout(&["00003"]);
    assert!(db.exists("tags"));
}

// Flyway: a log with each SQL file's CRC-32, a baseline, undos.

/// Flyway's history table as its PostgreSQL support creates it.
const FLYWAY_DDL: &str = "create table flyway_schema_history (
    installed_rank integer not null primary key,
    version varchar(50),
    description varchar(200) not null,
    type varchar(20) not null,
    script varchar(1000) not null,
    checksum integer,
    installed_by varchar(100) not null,
    installed_on timestamp not null default now(),
    execution_time integer not null,
    success boolean not null
)";

/// Flyway's checksum of a file: CRC-32 of its lines without their ends,
/// as a signed number (written here from its documentation, to check
/// strata's own against).
fn flyway_checksum(content: &str) -> i32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &byte in content
        .as_bytes()
        .iter()
        .filter(|b| **b != b'\n' && **b != b'\r')
    {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    (crc ^ 0xFFFF_FFFF).cast_signed()
}

#[test]
fn flyway_log_is_imported_with_its_baseline_and_checksums() {
    let server = Server::start();
    let db = server.database("flyway");
    let project = Project::new();
    let posts = "create table posts (id int primary key);\n";
    let tags = "create table tags (id int primary key);\n";
    project.write(
        "V1__create_users.sql",
        "create table users (id int primary key);\n",
    );
    project.write("V2__create_posts.sql", &posts.replace('\n', "\r\n"));
    project.write(
        "V3__create_tags.sql",
        "create table tags (id bigint primary key);\n",
    );
    project.write(
        "V4__create_likes.sql",
        "create table likes (id int primary key);\n",
    );
    tables(&db, &["users", "posts", "tags"]);
    db.query(FLYWAY_DDL);
    db.query(&format!(
        "insert into flyway_schema_history (installed_rank, version, description, type, script, checksum, installed_by, execution_time, success) values
         (1, '1', '<< Flyway Baseline >>', 'BASELINE', '<< Flyway Baseline >>', null, 'me', 0, true),
         (2, '2', 'create posts', 'SQL', 'V2__create_posts.sql', {}, 'me', 5, true),
         (3, '3', 'create tags', 'SQL', 'V3__create_tags.sql', {}, 'me', 5, true),
         (4, null, 'views', 'SQL', 'R__views.sql', 42, 'me', 5, true)",
        flyway_checksum(posts),
        flyway_checksum(tags)
    ));

    db.strata(&project)
        .args(["baseline", "--from", "flyway"])
        .run()
        .assert_code(1)
        .assert_stdout(&[
            "recorded 2 migrations as applied without running them (up to 2): those Flyway's history (public.flyway_schema_history) records as applied that have a file unchanged since",
        ])
        .assert_stderr(&[
            "V3__create_tags.sql: migration 3 (create_tags) was edited after Flyway applied it",
        ]);
    assert_eq!(history(&db), ["1 applied", "2 applied"]);
}

// Prisma: attempts per migration, each with the file's SHA-256.

/// Prisma Migrate's history table as it creates it on PostgreSQL.
const PRISMA_DDL: &str = "create table _prisma_migrations (
    id varchar(36) primary key,
    checksum varchar(64) not null,
    finished_at timestamptz,
    migration_name varchar(255) not null,
    logs text,
    rolled_back_at timestamptz,
    started_at timestamptz not null default now(),
    applied_steps_count integer not null default 0
)";

#[test]
fn prisma_attempts_are_imported_as_applied_or_failed() {
    let server = Server::start();
    let db = server.database("prisma");
    let project = Project::new();
    let init = "create table users (id int primary key);\n";
    let posts = "create table posts (id int primary key);\n";
    let tags = "create table tags (id int primary key);\n";
    project.write("20240101000001_init.sql", init);
    project.write("20240101000002_posts.sql", posts);
    project.write("20240101000003_tags.sql", tags);
    tables(&db, &["users", "posts"]);
    db.query(PRISMA_DDL);
    let sha = |content: &str| format!("encode(sha256(convert_to($c${content}$c$, 'UTF8')), 'hex')");
    db.query(&format!(
        "insert into _prisma_migrations (id, checksum, finished_at, migration_name, rolled_back_at, started_at) values
         ('a', {}, now(), '20240101000001_init', null, now() - interval '3 min'),
         ('b', {}, null, '20240101000002_posts', now(), now() - interval '2 min'),
         ('c', {}, now(), '20240101000002_posts', null, now() - interval '1 min'),
         ('d', {}, null, '20240101000003_tags', null, now())",
        sha(init),
        sha(posts),
        sha(posts),
        sha(tags)
    ));

    db.strata(&project)
        .args(["baseline", "--from", "prisma"])
        .run()
        .assert_code(1)
        .assert_stdout(&[
            "recorded 2 migrations as applied without running them (up to 20240101000002): those Prisma's history (public._prisma_migrations) records as applied that have a file unchanged since",
        ])
        .assert_stderr(&["recorded migration 20240101000003 as failed part-way, as prisma left it"]);
    assert_eq!(
        history(&db),
        [
            "20240101000001 applied",
            "20240101000002 applied",
            "20240101000003 failed"
        ]
    );
}

// The Supabase CLI, named: its rows are adopted as they are.

#[test]
fn supabase_cli_history_is_adopted_with_from_supabase_in_any_project() {
    let server = Server::start();
    let db = server.database("supabase_from");
    let project = Project::new();
    project.write(
        "20240101000001_create_users.sql",
        "create table users (id int primary key);\n",
    );
    project.write(
        "20240101000002_create_posts.sql",
        "create table posts (id int primary key);\n",
    );
    tables(&db, &["users"]);
    db.query(
        "create schema supabase_migrations;
         create table supabase_migrations.schema_migrations (version text not null primary key, statements text[], name text);
         insert into supabase_migrations.schema_migrations (version, name) values
           ('20231201000000', 'from_another_branch'), ('20240101000001', 'create_users');",
    );
    db.strata(&project)
        .args(["baseline", "--from", "supabase"])
        .run()
        .assert_code(1)
        .assert_stdout(&[
            "recorded 1 migration as applied without running them (up to 20240101000001): those the Supabase CLI's history (supabase_migrations.schema_migrations) records as applied that have a file",
        ])
        .assert_stderr(&[
            "migration 20231201000000 (from_another_branch), which the Supabase CLI recorded as applied, has no file: strata did not record it",
        ]);
    assert_eq!(history(&db), ["20240101000001 applied"]);
    assert_eq!(
        db.query("select count(*) from supabase_migrations.schema_migrations"),
        "2"
    );
    let none = server.database("supabase_none");
    none.strata(&project)
        .args(["baseline", "--from", "supabase"])
        .run()
        .assert_code(1)
        .assert_stderr(&[
            "there is no history of the Supabase CLI here: table supabase_migrations.schema_migrations does not exist",
        ]);
}

// diesel: a row per applied migration, versions without the dashes.

#[test]
fn diesel_directories_are_matched_by_their_version_without_dashes() {
    let server = Server::start();
    let db = server.database("diesel");
    let project = Project::new();
    let dirs = [
        ("2024-01-01-120000_create_users", "users"),
        ("2024-01-02-120000_create_posts", "posts"),
    ];
    for (dir, table) in dirs {
        let path = project.root().join("migrations").join(dir);
        std::fs::create_dir_all(&path).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(
            path.join("up.sql"),
            format!("create table {table} (id int primary key);\n"),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(path.join("down.sql"), format!("drop table {table};\n"))
            .unwrap_or_else(|e| panic!("{e}"));
    }
    tables(&db, &["users"]);
    // diesel's table as diesel_migrations creates it.
    db.query(
        "create table __diesel_schema_migrations (version varchar(50) primary key not null, run_on timestamp not null default current_timestamp);
         insert into __diesel_schema_migrations (version) values ('20240101120000');",
    );
    db.strata(&project)
        .args(["baseline", "--from", "diesel"])
        .run()
        .assert_code(0)
        .assert_stdout(&[
            "recorded 1 migration as applied without running them (up to 20240101120000)",
        ]);
    assert_eq!(history(&db), ["20240101120000 applied"]);
    db.strata(&project)
        .args(["migrate"])
        .run()
        .assert_code(0)
        .assert_stdout(&["20240102120000"]);
}

// refinery: a row per applied migration.

#[test]
fn refinery_rows_are_imported_by_version() {
    let server = Server::start();
    let db = server.database("refinery");
    let project = Project::new();
    project.write(
        "V1__create_users.sql",
        "create table users (id int primary key);\n",
    );
    project.write(
        "V2__create_posts.sql",
        "create table posts (id int primary key);\n",
    );
    tables(&db, &["users"]);
    // refinery's table as refinery_core creates it.
    db.query(
        "create table refinery_schema_history (version int4 primary key, name varchar(255), applied_on varchar(255), checksum varchar(255));
         insert into refinery_schema_history values (1, 'create_users', '2024-01-01T00:00:00Z', '1234567890');",
    );
    db.strata(&project)
        .args(["baseline", "--from", "refinery"])
        .run()
        .assert_code(0)
        .assert_stdout(&["recorded 1 migration as applied without running them (up to 1)"]);
    assert_eq!(history(&db), ["1 applied"]);
}
