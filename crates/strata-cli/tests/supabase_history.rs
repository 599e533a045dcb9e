//! One history for strata and the Supabase CLI: in a `compat = "supabase"`
//! project, `strata migrate` and `strata rollback` keep
//! `supabase_migrations.schema_migrations` in step, `strata status` reports
//! where the two disagree with the remedy, and `strata baseline` adopts what
//! the Supabase CLI applied.

#[expect(
    dead_code,
    reason = "each test binary uses its own part of the shared helpers"
)]
mod support;

use support::{Project, Server, lines};

const USERS: &str = "20240101000001_create_users.sql";
const POSTS: &str = "20240101000002_create_posts.sql";

/// A Supabase project: `compat = "supabase"`, migrations in
/// `supabase/migrations`, downs in commented `-- ROLLBACK:` blocks.
fn supabase_project() -> Project {
    let project = Project::new();
    let root = project.root();
    std::fs::create_dir_all(root.join("supabase/migrations"))
        .unwrap_or_else(|e| panic!("cannot make supabase/migrations: {e}"));
    std::fs::write(
        root.join("strata.toml"),
        "compat = \"supabase\"\n\n[migrations]\ndir = \"supabase/migrations\"\n",
    )
    .unwrap_or_else(|e| panic!("cannot write strata.toml: {e}"));
    for (file, table) in [(USERS, "users"), (POSTS, "posts")] {
        std::fs::write(
            root.join("supabase/migrations").join(file),
            format!(
                "create table {table} (id int primary key);\n-- ROLLBACK:\n--   drop table {table};\n"
            ),
        )
        .unwrap_or_else(|e| panic!("cannot write {file}: {e}"));
    }
    project
}

/// The Supabase CLI's history as `version name statements`, by version.
fn cli_history(db: &support::Db<'_>) -> Vec<String> {
    lines(&db.query(
        "select concat_ws(' ', version, name, array_to_string(statements, ' | '))
         from supabase_migrations.schema_migrations order by version",
    ))
}

/// What `supabase db push` leaves after applying `users` alone, and the row
/// of a migration whose file this project does not have.
const PUSHED_BY_THE_CLI: &str = "create table users (id int primary key);
create schema supabase_migrations;
create table supabase_migrations.schema_migrations (version text not null primary key, statements text[], name text);
insert into supabase_migrations.schema_migrations (version, name, statements) values
  ('20240101000001', 'create_users', '{\"create table users (id int primary key);\"}'),
  ('20231201000000', 'from_another_branch', '{\"select 1;\"}');";

#[test]
fn migrate_and_rollback_keep_the_supabase_clis_history() {
    let server = Server::start();
    let db = server.database("in_step");
    let project = supabase_project();
    db.strata(&project).args(["migrate"]).run().assert_code(0);
    assert_eq!(
        cli_history(&db),
        [
            "20240101000001 create_users create table users (id int primary key)",
            "20240101000002 create_posts create table posts (id int primary key)",
        ]
    );
    db.strata(&project)
        .args(["rollback", "--yes"])
        .run()
        .assert_code(0);
    assert_eq!(
        cli_history(&db),
        ["20240101000001 create_users create table users (id int primary key)"]
    );
    db.strata(&project)
        .args(["status"])
        .run()
        .assert_code(0)
        .assert_stdout(&["1 applied, 1 pending, 0 needing attention"]);
}

#[test]
fn status_reports_where_the_two_histories_disagree_and_the_remedy() {
    let server = Server::start();
    let db = server.database("mismatch");
    let project = supabase_project();
    db.strata(&project).args(["migrate"]).run().assert_code(0);
    // Someone reverted the CLI's record of posts, and pushed from elsewhere.
    db.query(
        "delete from supabase_migrations.schema_migrations where version = '20240101000002';
         insert into supabase_migrations.schema_migrations (version, name) values ('20231201000000', 'from_another_branch');",
    );
    db.strata(&project)
        .args(["status"])
        .run()
        .assert_code(1)
        .assert_stdout(&[
            "the Supabase CLI's history (supabase_migrations.schema_migrations) and strata's disagree",
            "strata applied migration 20240101000002 (create_posts)",
            "`supabase migration repair --status applied 20240101000002`",
            "the Supabase CLI recorded migration 20231201000000 (from_another_branch) as applied",
            "`supabase migration repair --status reverted 20231201000000`",
            "2 applied, 0 pending, 2 needing attention",
        ]);
    let status = db.strata(&project).args(["status", "--json"]).run();
    let json = status.json();
    assert_eq!(json["ok"], false);
    let mismatches: Vec<(String, String)> = json["supabase_mismatches"]
        .as_array()
        .unwrap_or_else(|| panic!("no supabase_mismatches in {json}"))
        .iter()
        .map(|m| {
            (
                m["version"].as_str().unwrap_or_default().to_owned(),
                m["recorded_by"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        mismatches,
        [
            ("20231201000000".to_owned(), "supabase-cli".to_owned()),
            ("20240101000002".to_owned(), "strata".to_owned()),
        ]
    );

    // The remedy works: the CLI's history gets the row again, the other is reverted.
    db.query(
        "insert into supabase_migrations.schema_migrations (version, name) values ('20240101000002', 'create_posts');
         delete from supabase_migrations.schema_migrations where version = '20231201000000';",
    );
    db.strata(&project).args(["status"]).run().assert_code(0);
}

#[test]
fn baseline_adopts_what_the_supabase_cli_applied_and_reports_a_version_without_its_file() {
    let server = Server::start();
    let db = server.database("adopt");
    let project = supabase_project();
    db.query(PUSHED_BY_THE_CLI);
    db.strata(&project)
        .args(["status"])
        .run()
        .assert_code(1)
        .assert_stdout(&["`strata baseline`"]);

    db.strata(&project)
        .args(["baseline"])
        .run()
        .assert_code(1)
        .assert_stdout(&[
            "recorded 1 migration as applied without running them (up to 20240101000001): exactly the versions the Supabase CLI had applied",
        ])
        .assert_stderr(&[
            "migration 20231201000000 (from_another_branch), which the Supabase CLI recorded as applied, has no file: strata did not record it",
            "`strata repair --mark-applied 20231201000000`",
        ]);
    assert_eq!(
        lines(&db.query("select version from strata.migrations order by version")),
        ["20240101000001"]
    );
    // Only what the CLI had not applied runs next, and both histories get it.
    db.strata(&project)
        .args(["migrate"])
        .run()
        .assert_code(0)
        .assert_stdout(&["20240101000002"]);
    assert_eq!(
        cli_history(&db),
        [
            "20231201000000 from_another_branch select 1;",
            "20240101000001 create_users create table users (id int primary key);",
            "20240101000002 create_posts create table posts (id int primary key)",
        ]
    );
}

#[test]
fn baseline_json_says_the_versions_came_from_the_supabase_cli() {
    let server = Server::start();
    let db = server.database("adopt_json");
    let project = supabase_project();
    db.query(PUSHED_BY_THE_CLI);
    let ran = db.strata(&project).args(["baseline", "--json"]).run();
    let json = ran.json();
    assert_eq!(json["ok"], false, "{json}");
    assert_eq!(json["from_supabase_cli"], true, "{json}");
    assert_eq!(json["versions"], serde_json::json!(["20240101000001"]));
    assert_eq!(
        json["not_recorded"][0]["version"], "20231201000000",
        "{json}"
    );
    assert_eq!(json["not_recorded"][0]["has_file"], false, "{json}");
}

#[test]
fn migrate_in_a_supabase_project_gives_supabase_advice() {
    let server = Server::start();
    let db = server.database("supabase_advice");
    let project = supabase_project();
    // A grant to a role every Supabase database has, on a server that is not one.
    std::fs::write(
        project
            .root()
            .join("supabase/migrations/20240101000003_grant_posts.sql"),
        "grant select on posts to anon;\n-- ROLLBACK:\n--   revoke select on posts from anon;\n",
    )
    .unwrap_or_else(|e| panic!("cannot write the migration: {e}"));
    db.strata(&project)
        .args(["migrate"])
        .run()
        .assert_code(1)
        .assert_stderr(&[
            "20240101000003_grant_posts.sql:1",
            "role `anon` is one of the roles every Supabase database has",
            "so it is not a Supabase database",
        ]);
}
