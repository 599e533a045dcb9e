//! The executor against a real throwaway PostgreSQL, through the library API.

mod support;

use std::path::Path;
use std::time::Duration;

use strata_pg::{MigrateOptions, PgError, Quiet, RollbackTarget, Settings};
use strata_sql::ParsedSet;
use support::{cluster, migrator, scalar, set};

#[tokio::test]
async fn a_server_error_points_at_file_line_and_column_and_nothing_is_applied() {
    let cluster = cluster();
    let mut m = migrator(&cluster, "postgres", Settings::default()).await;
    let set = set(&[(
        "0001_broken.sql",
        "-- header\n-- strata:up\ncreate table kept (id int);\nselect *\n  from missing_table;\n-- strata:down\ndrop table kept;\n",
    )]);
    let report = m
        .migrate(&set, &MigrateOptions::default(), &mut Quiet)
        .await;
    let Some(PgError::Migration(failure)) = report.error else {
        panic!("expected a migration failure, got {:?}", report.error);
    };
    assert_eq!(failure.file, Path::new("migrations/0001_broken.sql"));
    assert_eq!((failure.line, failure.column), (Some(5), Some(8)));
    assert_eq!(failure.error.sqlstate, "42P01");
    assert!(failure.advice.is_some());
    assert_eq!(scalar(&m, "select to_regclass('kept')::text").await, "");
    assert_eq!(
        scalar(&m, "select count(*) from strata.migrations").await,
        "0"
    );
    assert_eq!(
        scalar(
            &m,
            "select count(*) from strata.events where outcome = 'failed'"
        )
        .await,
        "1"
    );
}

#[tokio::test]
async fn an_error_without_a_position_is_located_by_replaying_in_a_rolled_back_transaction() {
    let cluster = cluster();
    let mut m = migrator(&cluster, "postgres", Settings::default()).await;
    let set = set(&[(
        "0001_dup.sql",
        "create table once (id int);\ninsert into once values (1);\n  create table once (id int);\n",
    )]);
    let report = m
        .migrate(&set, &MigrateOptions::default(), &mut Quiet)
        .await;
    let Some(PgError::Migration(failure)) = report.error else {
        panic!("expected a migration failure, got {:?}", report.error);
    };
    assert_eq!(failure.error.sqlstate, "42P07");
    assert_eq!((failure.line, failure.column), (Some(3), Some(3)));
    // The replay left nothing behind either.
    assert_eq!(scalar(&m, "select to_regclass('once')::text").await, "");
}

#[tokio::test]
async fn begin_and_commit_written_in_the_file_are_absorbed() {
    let cluster = cluster();
    let mut m = migrator(&cluster, "postgres", Settings::default()).await;
    let set = set(&[(
        "0001_wrapped.sql",
        "BEGIN;\ncreate table half (id int);\nselect 1/0;\nCOMMIT;\n",
    )]);
    let report = m
        .migrate(&set, &MigrateOptions::default(), &mut Quiet)
        .await;
    assert!(matches!(report.error, Some(PgError::Migration(_))));
    assert_eq!(scalar(&m, "select to_regclass('half')::text").await, "");

    let ok = set_fixed();
    let report = m.migrate(&ok, &MigrateOptions::default(), &mut Quiet).await;
    assert!(report.error.is_none(), "{:?}", report.error);
    assert_eq!(scalar(&m, "select to_regclass('half')::text").await, "half");
}

fn set_fixed() -> ParsedSet {
    set(&[(
        "0001_wrapped.sql",
        "BEGIN;\ncreate table half (id int);\nCOMMIT;\n",
    )])
}

#[tokio::test]
async fn history_from_a_newer_strata_is_refused() {
    let cluster = cluster();
    let mut m = migrator(&cluster, "postgres", Settings::default()).await;
    m.ensure_history().await.unwrap_or_else(|e| panic!("{e}"));
    m.client()
        .simple_query("update strata.meta set value = '99' where key = 'format'")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let report = m
        .migrate(
            &set(&[("1_a.sql", "select 1;")]),
            &MigrateOptions::default(),
            &mut Quiet,
        )
        .await;
    match report.error {
        Some(PgError::NewerHistory { found: 99, .. }) => {}
        other => panic!("expected NewerHistory, got {other:?}"),
    }
}

#[tokio::test]
async fn a_waiting_migrator_names_the_holder_and_gives_up() {
    let cluster = cluster();
    let mut first = migrator(&cluster, "postgres", Settings::default()).await;
    first
        .lock(&mut Quiet)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let holder_pid = scalar(&first, "select pg_backend_pid()::text").await;
    let mut second = migrator(
        &cluster,
        "postgres",
        Settings {
            lock_wait: Duration::from_millis(300),
            ..Settings::default()
        },
    )
    .await;
    match second.lock(&mut Quiet).await {
        Err(PgError::LockTimeout {
            holder: Some(holder),
            ..
        }) => {
            assert_eq!(holder.pid.to_string(), holder_pid);
            assert_eq!(holder.application, "strata-test");
        }
        other => panic!("expected a lock timeout naming the holder, got {other:?}"),
    }
    first.unlock().await.unwrap_or_else(|e| panic!("{e}"));
    second
        .lock(&mut Quiet)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
}

#[tokio::test]
async fn rollback_uses_the_down_stored_in_history_when_the_file_is_gone() {
    let cluster = cluster();
    let mut m = migrator(&cluster, "postgres", Settings::default()).await;
    let with_file = set(&[
        (
            "0001_a.sql",
            "-- strata:up\ncreate table a (id int);\n-- strata:down\ndrop table a;\n",
        ),
        (
            "0002_b.sql",
            "-- strata:up\ncreate table b (id int);\n-- strata:down\ndrop table b;\n",
        ),
    ]);
    let report = m
        .migrate(&with_file, &MigrateOptions::default(), &mut Quiet)
        .await;
    assert!(report.error.is_none(), "{:?}", report.error);
    let without_b = set(&[(
        "0001_a.sql",
        "-- strata:up\ncreate table a (id int);\n-- strata:down\ndrop table a;\n",
    )]);
    let report = m
        .rollback(&without_b, &RollbackTarget::Steps(1), &mut Quiet)
        .await;
    assert!(report.error.is_none(), "{:?}", report.error);
    assert_eq!(report.done.len(), 1);
    assert_eq!(scalar(&m, "select to_regclass('b')::text").await, "");
    assert_eq!(scalar(&m, "select to_regclass('a')::text").await, "a");
    assert_eq!(
        scalar(&m, "select string_agg(version, ',') from strata.migrations").await,
        "0001"
    );
}

#[tokio::test]
async fn an_error_in_a_rollback_block_points_at_the_commented_line_as_written() {
    let cluster = cluster();
    let mut m = migrator(&cluster, "postgres", Settings::default()).await;
    let set = set(&[(
        "0001_a.sql",
        "create table a (id int);\n-- ROLLBACK:\n--   drop table a;\n--   select * from gone;\n",
    )]);
    let report = m
        .migrate(&set, &MigrateOptions::default(), &mut Quiet)
        .await;
    assert!(report.error.is_none(), "{:?}", report.error);
    let report = m
        .rollback(&set, &RollbackTarget::Steps(1), &mut Quiet)
        .await;
    let Some(PgError::Migration(failure)) = report.error else {
        panic!("expected a migration failure, got {:?}", report.error);
    };
    assert_eq!(failure.section, strata_pg::Direction::Down);
    assert_eq!(failure.error.sqlstate, "42P01");
    assert_eq!((failure.line, failure.column), (Some(4), Some(20)));
    let line = failure.source_line.unwrap_or_default();
    assert_eq!(line, "--   select * from gone;");
    // The column counts in the line as written: it falls on the missing table.
    assert!(line[19..].starts_with("gone"), "{line}");
    assert_eq!(scalar(&m, "select to_regclass('a')::text").await, "a");
}

/// Records what a run reports.
#[derive(Default)]
struct Recorded {
    planned: Vec<usize>,
    started: Vec<String>,
}

impl strata_pg::Progress for Recorded {
    fn planned(&mut self, count: usize) {
        self.planned.push(count);
    }
    fn started(&mut self, migration: &strata_core::Migration, _: strata_pg::Direction) {
        self.started.push(migration.version.to_string());
    }
}

#[tokio::test]
async fn a_confirmed_rollback_refuses_when_the_history_changed_since() {
    let cluster = cluster();
    let mut m = migrator(&cluster, "postgres", Settings::default()).await;
    let file = |v: &str| {
        (
            format!("000{v}_t{v}.sql"),
            format!(
                "-- strata:up\ncreate table t{v} (id int);\n-- strata:down\ndrop table t{v};\n"
            ),
        )
    };
    let files: Vec<(String, String)> = ["1", "2", "3"].iter().map(|v| file(v)).collect();
    let borrowed: Vec<(&str, &str)> = files
        .iter()
        .map(|(p, c)| (p.as_str(), c.as_str()))
        .collect();
    let two = set(&borrowed[..2]);
    let three = set(&borrowed);
    let mut progress = Recorded::default();
    let report = m
        .migrate(&two, &MigrateOptions::default(), &mut progress)
        .await;
    assert!(report.error.is_none(), "{:?}", report.error);
    assert_eq!(progress.planned, [2]);

    // A person is shown "roll back 0002" ...
    let shown: Vec<strata_core::Version> = m
        .rollback_plan(&two, &RollbackTarget::Steps(1))
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .into_iter()
        .map(|step| step.record.version)
        .collect();
    assert_eq!(shown.len(), 1);
    // ... while someone else applies 0003; the confirmed rollback then undoes nothing.
    let report = m
        .migrate(&three, &MigrateOptions::default(), &mut Quiet)
        .await;
    assert!(report.error.is_none(), "{:?}", report.error);
    let mut progress = Recorded::default();
    let report = m
        .rollback_confirmed(&three, &RollbackTarget::Steps(1), &shown, &mut progress)
        .await;
    let Some(error @ PgError::Refused(strata_pg::Refusal::HistoryChanged { .. })) = &report.error
    else {
        panic!("expected a refusal, got {:?}", report.error);
    };
    let message = error.to_string();
    assert!(message.contains("0003 instead of 0002"), "{message}");
    assert!(report.done.is_empty() && progress.started.is_empty());
    assert_eq!(scalar(&m, "select to_regclass('t3')::text").await, "t3");

    // Confirmed against the current plan, it runs.
    let mut progress = Recorded::default();
    let report = m
        .rollback_confirmed(
            &three,
            &RollbackTarget::Steps(2),
            &[
                strata_core::Version::parse("3").unwrap_or_else(|e| panic!("{e}")),
                strata_core::Version::parse("2").unwrap_or_else(|e| panic!("{e}")),
            ],
            &mut progress,
        )
        .await;
    assert!(report.error.is_none(), "{:?}", report.error);
    assert_eq!(progress.planned, [2]);
    assert_eq!(progress.started, ["0003", "0002"]);
    assert_eq!(scalar(&m, "select to_regclass('t2')::text").await, "");
    // The lock was released after the refusal and after the run.
    assert_eq!(
        scalar(
            &m,
            "select count(*) from pg_locks where locktype = 'advisory'"
        )
        .await,
        "0"
    );
}

#[tokio::test]
async fn settings_and_directives_become_set_local_timeouts() {
    let cluster = cluster();
    let mut m = migrator(&cluster, "postgres", Settings::default()).await;
    let set = set(&[(
        "0001_t.sql",
        "-- strata:statement-timeout 7s\ncreate table seen as select current_setting('lock_timeout') as lock, current_setting('statement_timeout') as stmt;\n",
    )]);
    let report = m
        .migrate(&set, &MigrateOptions::default(), &mut Quiet)
        .await;
    assert!(report.error.is_none(), "{:?}", report.error);
    assert_eq!(
        scalar(&m, "select lock || ' ' || stmt from seen").await,
        "5s 7s"
    );
    // SET LOCAL: nothing leaks into the session afterwards.
    assert_eq!(
        scalar(&m, "select current_setting('lock_timeout')").await,
        "0"
    );
}

#[tokio::test]
async fn repair_and_rollback_find_a_row_recorded_under_another_spelling_of_the_version() {
    let cluster = cluster();
    let mut m = migrator(&cluster, "postgres", Settings::default()).await;
    let applied = set(&[(
        "0042_a.sql",
        "-- strata:up\ncreate table a (id int);\n-- strata:down\ndrop table a;\n",
    )]);
    let report = m
        .migrate(&applied, &MigrateOptions::default(), &mut Quiet)
        .await;
    assert!(report.error.is_none(), "{:?}", report.error);
    // The file is renamed, and edited: `42` is the same version as `0042`.
    let renamed = set(&[(
        "42_a.sql",
        "-- strata:up\ncreate table a (id int); -- edited\n-- strata:down\ndrop table a;\n",
    )]);
    let v42 = strata_core::Version::parse("42").unwrap_or_else(|e| panic!("{e}"));
    m.repair(&renamed, &strata_pg::Repair::AcceptChecksum(v42))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(m.plan(&renamed, &MigrateOptions::default()).await.is_ok());
    let report = m
        .rollback(&renamed, &RollbackTarget::Steps(1), &mut Quiet)
        .await;
    assert!(report.error.is_none(), "{:?}", report.error);
    assert_eq!(
        scalar(&m, "select count(*) from strata.migrations").await,
        "0"
    );
    assert_eq!(scalar(&m, "select to_regclass('a')::text").await, "");
}
