//! The Supabase CLI's history (`supabase_migrations.schema_migrations`) kept in
//! step with strata's in a Supabase project: apply, rollback, failures, the
//! mismatches `strata status` reports, baseline and repair, against a real
//! throwaway PostgreSQL.

mod support;

use strata_ephemeral::Cluster;
use strata_pg::{
    Migrator, PgError, Quiet, RecordedBy, Repair, RollbackTarget, RunReport, Settings,
};
use strata_sql::ParsedSet;
use support::{cluster, migrate, migrator, run_sql, scalar, set};

/// A transactional migration written with its own `BEGIN`/`COMMIT`, whose
/// text needs quoting (a quote, a backslash).
const USERS: (&str, &str) = (
    "20240101000001_create_users.sql",
    "-- strata:up\nBEGIN;\ncreate table users (id int, note text);\ninsert into users values (1, 'it''s a \\ backslash');\nCOMMIT;\n-- strata:down\ndrop table users;\n",
);

/// A migration run outside a transaction, both ways.
const INDEX: (&str, &str) = (
    "20240101000002_users_by_id.sql",
    "-- strata:up\n-- strata:no-transaction\ncreate index concurrently users_by_id on users (id);\nselect 1;\n-- strata:down\n-- strata:no-transaction\ndrop index concurrently users_by_id;\n",
);

/// The statements the Supabase CLI's rows of [`USERS`] and [`INDEX`] hold.
fn users_statements() -> Vec<String> {
    vec![
        "create table users (id int, note text)".to_owned(),
        "insert into users values (1, 'it''s a \\ backslash')".to_owned(),
    ]
}

fn index_statements() -> Vec<String> {
    vec![
        "create index concurrently users_by_id on users (id)".to_owned(),
        "select 1".to_owned(),
    ]
}

fn supabase() -> Settings {
    Settings {
        supabase_history: true,
        ..Settings::default()
    }
}

/// A migrator keeping the Supabase CLI's history, on a database of its own.
async fn supabase_migrator(cluster: &Cluster, db: &str) -> Migrator {
    cluster
        .create_database(db)
        .unwrap_or_else(|e| panic!("cannot create database {db}: {e}"));
    migrator(cluster, db, supabase()).await
}

/// One row of the Supabase CLI's history.
#[derive(Debug, PartialEq, Eq)]
struct CliRow {
    version: String,
    name: String,
    statements: Vec<String>,
}

fn row(version: &str, name: &str, statements: Vec<String>) -> CliRow {
    CliRow {
        version: version.to_owned(),
        name: name.to_owned(),
        statements,
    }
}

/// The Supabase CLI's history, by version.
async fn cli_rows(m: &Migrator) -> Vec<CliRow> {
    let json = scalar(
        m,
        "select coalesce(json_agg(json_build_array(version, name, statements) order by version), '[]')
         from supabase_migrations.schema_migrations",
    )
    .await;
    let rows: Vec<(String, Option<String>, Option<Vec<String>>)> =
        serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}: {json}"));
    rows.into_iter()
        .map(|(version, name, statements)| CliRow {
            version,
            name: name.unwrap_or_default(),
            statements: statements.unwrap_or_default(),
        })
        .collect()
}

/// strata's history as `version name status`, by version.
async fn strata_rows(m: &Migrator) -> Vec<String> {
    let rows = scalar(
        m,
        "select string_agg(concat_ws(' ', version, name, status), E'\\n' order by version) from strata.migrations",
    )
    .await;
    rows.lines().map(str::to_owned).collect()
}

/// Asserts that both histories hold exactly `expected`: strata's as applied
/// rows, the CLI's with the statements.
async fn assert_in_step(m: &Migrator, expected: Vec<CliRow>) {
    let strata: Vec<String> = expected
        .iter()
        .map(|r| format!("{} {} applied", r.version, r.name))
        .collect();
    assert_eq!(strata_rows(m).await, strata);
    assert_eq!(cli_rows(m).await, expected);
}

fn ok(report: &RunReport) {
    assert!(report.error.is_none(), "{:?}", report.error);
}

async fn rollback(m: &mut Migrator, set: &ParsedSet, steps: usize) -> RunReport {
    m.rollback(set, &RollbackTarget::Steps(steps), &mut Quiet)
        .await
}

#[tokio::test]
async fn apply_and_rollback_keep_the_supabase_clis_history_equal_to_stratas() {
    let cluster = cluster();
    let mut m = supabase_migrator(&cluster, "both_ways").await;
    let files = set(&[USERS, INDEX]);
    let both = || {
        vec![
            row("20240101000001", "create_users", users_statements()),
            row("20240101000002", "users_by_id", index_statements()),
        ]
    };

    ok(&migrate(&mut m, &files).await);
    assert_in_step(&m, both()).await;

    // The no-transaction down, then the transactional one.
    ok(&rollback(&mut m, &files, 1).await);
    assert_in_step(
        &m,
        vec![row("20240101000001", "create_users", users_statements())],
    )
    .await;
    ok(&rollback(&mut m, &files, 1).await);
    assert_in_step(&m, Vec::new()).await;

    ok(&migrate(&mut m, &files).await);
    assert_in_step(&m, both()).await;
}

#[tokio::test]
async fn without_the_setting_the_supabase_clis_history_is_not_touched() {
    let cluster = cluster();
    let mut m = migrator(&cluster, "postgres", Settings::default()).await;
    ok(&migrate(&mut m, &set(&[USERS])).await);
    assert_eq!(
        scalar(
            &m,
            "select to_regclass('supabase_migrations.schema_migrations')::text"
        )
        .await,
        ""
    );
}

#[tokio::test]
async fn a_failed_migration_changes_neither_history() {
    let cluster = cluster();
    let mut m = supabase_migrator(&cluster, "failures").await;
    let only_users = || vec![row("20240101000001", "create_users", users_statements())];

    // Transactional: the body fails after a statement that worked.
    let broken = (
        "20240101000003_broken.sql",
        "create table broken (id int);\nselect 1/0;\n",
    );
    let report = migrate(&mut m, &set(&[USERS, broken])).await;
    assert!(matches!(report.error, Some(PgError::Migration(_))));
    assert_in_step(&m, only_users()).await;

    // Outside a transaction, failing at its first statement: withdrawn.
    let first = (
        "20240101000003_broken.sql",
        "-- strata:no-transaction\nselect 1/0;\nselect 1;\n",
    );
    let report = migrate(&mut m, &set(&[USERS, first])).await;
    assert!(matches!(report.error, Some(PgError::Migration(_))));
    assert_in_step(&m, only_users()).await;

    // Failing part-way: strata's row says failed, the CLI's history has none.
    let part_way = (
        "20240101000003_broken.sql",
        "-- strata:no-transaction\ncreate index concurrently users_note on users (note);\nselect 1/0;\n",
    );
    let files = set(&[USERS, part_way]);
    let report = migrate(&mut m, &files).await;
    assert!(matches!(report.error, Some(PgError::Migration(_))));
    assert_eq!(
        strata_rows(&m).await,
        [
            "20240101000001 create_users applied",
            "20240101000003 broken failed"
        ]
    );
    assert_eq!(cli_rows(&m).await, only_users());
    // A migration that stopped part-way is reported as such, not as a mismatch.
    let health = m.health().await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(health.supabase_mismatches(&files), []);

    // A failed rollback keeps both rows.
    let mut m = supabase_migrator(&cluster, "failed_rollback").await;
    let stuck = (
        "20240101000001_stuck.sql",
        "-- strata:up\ncreate table stuck (id int);\n-- strata:down\ndrop table stuck;\nselect 1/0;\n",
    );
    let files = set(&[stuck]);
    ok(&migrate(&mut m, &files).await);
    let report = rollback(&mut m, &files, 1).await;
    assert!(matches!(report.error, Some(PgError::Migration(_))));
    assert_in_step(
        &m,
        vec![row(
            "20240101000001",
            "stuck",
            vec!["create table stuck (id int)".to_owned()],
        )],
    )
    .await;
}

#[tokio::test]
async fn a_table_an_older_cli_made_is_completed_and_its_row_replaced() {
    let cluster = cluster();
    let mut m = supabase_migrator(&cluster, "older_cli").await;
    // The first CLI versions had neither `statements` nor `name`.
    run_sql(
        m.client(),
        "create schema supabase_migrations;
         create table supabase_migrations.schema_migrations (version text not null primary key);
         insert into supabase_migrations.schema_migrations values ('20240101000001');",
    )
    .await;
    ok(&migrate(&mut m, &set(&[USERS])).await);
    assert_in_step(
        &m,
        vec![row("20240101000001", "create_users", users_statements())],
    )
    .await;
}

#[tokio::test]
async fn status_reports_each_version_one_history_lacks_with_its_remedy() {
    let cluster = cluster();
    let mut m = supabase_migrator(&cluster, "mismatch").await;
    let files = set(&[USERS, INDEX]);
    ok(&migrate(&mut m, &files).await);
    let health = m.health().await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(health.supabase_mismatches(&files), []);

    run_sql(
        m.client(),
        "delete from supabase_migrations.schema_migrations where version = '20240101000002';
         insert into supabase_migrations.schema_migrations (version, name, statements)
         values ('20240101000009', 'pushed_elsewhere', '{select 9}');",
    )
    .await;
    let health = m.health().await.unwrap_or_else(|e| panic!("{e}"));
    let found = health.supabase_mismatches(&files);
    let summary: Vec<(&str, RecordedBy, bool)> = found
        .iter()
        .map(|f| (f.version.as_str(), f.recorded_by, f.has_file))
        .collect();
    assert_eq!(
        summary,
        [
            ("20240101000002", RecordedBy::Strata, true),
            ("20240101000009", RecordedBy::SupabaseCli, false),
        ]
    );
    assert!(
        found[0]
            .help
            .contains("`supabase migration repair --status applied 20240101000002`"),
        "{}",
        found[0].help
    );
    assert!(
        found[1]
            .help
            .contains("`supabase migration repair --status reverted 20240101000009`"),
        "{}",
        found[1].help
    );
    assert_eq!(found[1].name.as_deref(), Some("pushed_elsewhere"));

    // With strata's history empty, what the CLI applied is adopted by baseline.
    run_sql(m.client(), "delete from strata.migrations;").await;
    let health = m.health().await.unwrap_or_else(|e| panic!("{e}"));
    let found = health.supabase_mismatches(&files);
    assert_eq!(found.len(), 2);
    assert_eq!(found[0].recorded_by, RecordedBy::SupabaseCli);
    assert!(
        found[0].help.contains("`strata baseline`"),
        "{}",
        found[0].help
    );
}

#[tokio::test]
async fn baseline_records_exactly_what_the_supabase_cli_applied() {
    let cluster = cluster();
    let mut m = supabase_migrator(&cluster, "adopt").await;
    let later = (
        "20240101000003_later.sql",
        "-- strata:up\ncreate table later (id int);\n-- strata:down\ndrop table later;\n",
    );
    let files = set(&[USERS, INDEX, later]);
    // What `supabase db push` left: the schema of two migrations, their rows,
    // and the row of one whose file is gone.
    run_sql(
        m.client(),
        "create table users (id int, note text);
         create index users_by_id on users (id);
         create schema supabase_migrations;
         create table supabase_migrations.schema_migrations (version text not null primary key, statements text[], name text);
         insert into supabase_migrations.schema_migrations (version, name, statements) values
           ('20240101000001', 'create_users', '{\"create table users (id int, note text);\"}'),
           ('20240101000002', 'users_by_id', '{\"create index users_by_id on users (id);\"}'),
           ('20231231000000', 'gone', '{\"select 0;\"}');",
    )
    .await;
    let cli_before = cli_rows(&m).await;

    let baseline = m
        .baseline(&files, None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(baseline.from_supabase);
    let recorded: Vec<&str> = baseline.versions.iter().map(|v| v.as_str()).collect();
    assert_eq!(recorded, ["20240101000001", "20240101000002"]);
    let missing: Vec<&str> = baseline
        .without_file
        .iter()
        .map(|f| f.version.as_str())
        .collect();
    assert_eq!(missing, ["20231231000000"]);
    // strata's history is not empty any more: the remedy says repair.
    assert!(
        baseline.without_file[0]
            .help
            .contains("`strata repair --mark-applied 20231231000000`"),
        "{}",
        baseline.without_file[0].help
    );
    assert_eq!(
        strata_rows(&m).await,
        [
            "20240101000001 create_users applied",
            "20240101000002 users_by_id applied"
        ]
    );
    // The CLI's own rows stay as it wrote them.
    assert_eq!(cli_rows(&m).await, cli_before);

    // The next migrate applies only what the CLI had not, and records it in both.
    let report = migrate(&mut m, &files).await;
    ok(&report);
    let applied: Vec<&str> = report.done.iter().map(|d| d.version.as_str()).collect();
    assert_eq!(applied, ["20240101000003"]);
    assert_eq!(
        cli_rows(&m).await.last(),
        Some(&row(
            "20240101000003",
            "later",
            vec!["create table later (id int)".to_owned()]
        ))
    );
}

#[tokio::test]
async fn baseline_and_repair_write_both_histories() {
    let cluster = cluster();
    let mut m = supabase_migrator(&cluster, "by_hand").await;
    let files = set(&[USERS, INDEX]);
    // The CLI never ran here: the baseline writes its rows too.
    let baseline = m
        .baseline(&files, None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(!baseline.from_supabase);
    let both = || {
        vec![
            row("20240101000001", "create_users", users_statements()),
            row("20240101000002", "users_by_id", index_statements()),
        ]
    };
    assert_in_step(&m, both()).await;

    let v2 = strata_core::Version::parse("20240101000002").unwrap_or_else(|e| panic!("{e}"));
    m.repair(&files, &Repair::MarkRolledBack(v2.clone()))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_in_step(
        &m,
        vec![row("20240101000001", "create_users", users_statements())],
    )
    .await;
    m.repair(&files, &Repair::MarkApplied(v2))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_in_step(&m, both()).await;
}
