//! The fault suite of the executor: what a failure, a kill, a role switch or a
//! hand-edited history leaves, and that the history keeps telling the truth
//! about the database afterwards. Each test reproduces a case that was once
//! misreported, against a real throwaway PostgreSQL.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use strata_core::Version;
use strata_core::plan::{Blocker, Direction};
use strata_pg::connect::{Source, Target, connect};
use strata_pg::{
    MigrateOptions, Migrator, PgError, Quiet, Refusal, Repair, RollbackTarget, Settings,
};
use support::{client, cluster, migrate, migrator, run_sql, scalar, set, value};

fn version(text: &str) -> Version {
    Version::parse(text).unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test]
async fn an_interrupted_concurrent_index_build_is_recorded_as_failed_with_its_invalid_index() {
    let cluster = cluster();
    let setup = client(&cluster, "postgres").await;
    run_sql(
        &setup,
        "create table busy (id int); insert into busy values (1);",
    )
    .await;
    // An open write: CREATE INDEX CONCURRENTLY waits for it once the index
    // exists in the catalog (INVALID), so the statement timeout stops it there.
    let writer = client(&cluster, "postgres").await;
    run_sql(&writer, "begin; insert into busy values (2);").await;
    let settings = Settings {
        statement_timeout: Some(Duration::from_millis(300)),
        ..Settings::default()
    };
    let mut m = migrator(&cluster, "postgres", settings).await;
    let files = set(&[(
        "0001_index.sql",
        "-- strata:no-transaction\ncreate index concurrently busy_id on busy (id);\n",
    )]);
    let report = migrate(&mut m, &files).await;
    let Some(PgError::Migration(failure)) = report.error else {
        panic!("expected a migration failure, got {:?}", report.error);
    };
    assert_eq!(failure.error.sqlstate, "57014");
    assert_eq!(failure.statements_done, Some((0, 1)));
    let [left] = &failure.left_behind[..] else {
        panic!("expected one object left behind: {:?}", failure.left_behind);
    };
    assert!(left.contains("public.busy_id"), "{left}");
    assert!(
        left.contains("DROP INDEX CONCURRENTLY public.busy_id"),
        "{left}"
    );
    assert!(
        left.contains("REINDEX INDEX CONCURRENTLY public.busy_id"),
        "{left}"
    );
    assert!(
        !failure.note.contains("nothing of it ran"),
        "the note must not say nothing ran: {}",
        failure.note
    );
    // Recorded as failed, with what is known.
    assert_eq!(
        scalar(
            &m,
            "select status || ' ' || statements_done || ' ' || failure from strata.migrations"
        )
        .await,
        "failed 0 statement 1 of 1 failed: canceling statement due to statement timeout (SQLSTATE 57014); it left the index public.busy_id on public.busy INVALID"
    );
    run_sql(&writer, "rollback;").await;

    // The next run does not guess: it is blocked, and says why.
    let report = migrate(&mut m, &files).await;
    let Some(PgError::Blocked(blockers)) = report.error else {
        panic!("expected the run to be blocked, got {:?}", report.error);
    };
    assert!(
        blockers[0].to_string().contains("public.busy_id"),
        "{}",
        blockers[0]
    );

    // The recovery the message gives works.
    run_sql(&setup, "drop index concurrently public.busy_id;").await;
    m.repair(&files, &Repair::ClearFailed(version("1")))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let report = migrate(&mut m, &files).await;
    assert!(report.error.is_none(), "{:?}", report.error);
    assert_eq!(
        value(
            &setup,
            "select indisvalid::text from pg_index where indexrelid = 'busy_id'::regclass"
        )
        .await,
        "true"
    );
}

#[tokio::test]
async fn a_no_transaction_down_that_fails_part_way_is_recorded_as_failed_not_applied() {
    let cluster = cluster();
    let mut m = migrator(&cluster, "postgres", Settings::default()).await;
    let files = set(&[(
        "0001_t.sql",
        "-- strata:up\ncreate table t (id int);\ncreate index t_id on t (id);\n-- strata:down\n-- strata:no-transaction\ndrop index concurrently t_id;\nselect 1/0;\ndrop table t;\n",
    )]);
    let report = migrate(&mut m, &files).await;
    assert!(report.error.is_none(), "{:?}", report.error);

    let report = m
        .rollback(&files, &RollbackTarget::Steps(1), &mut Quiet)
        .await;
    let Some(PgError::Migration(failure)) = report.error else {
        panic!("expected a failed rollback, got {:?}", report.error);
    };
    assert_eq!(failure.section, Direction::Down);
    assert_eq!(failure.statements_done, Some((1, 3)));
    assert!(
        failure
            .note
            .contains("recorded as failed part-way through its rollback"),
        "{}",
        failure.note
    );
    assert!(
        !failure.note.contains("was rolled back"),
        "{}",
        failure.note
    );
    assert_eq!(
        scalar(
            &m,
            "select status || ' ' || failed_direction || ' ' || statements_done from strata.migrations"
        )
        .await,
        "failed down 1"
    );
    // Neither applied nor rolled back: both directions are blocked.
    for report in [
        migrate(&mut m, &files).await,
        m.rollback(&files, &RollbackTarget::Steps(1), &mut Quiet)
            .await,
    ] {
        let Some(PgError::Blocked(blockers)) = report.error else {
            panic!("expected blocked, got {:?}", report.error);
        };
        assert!(
            matches!(
                blockers[..],
                [Blocker::Failed {
                    direction: Direction::Down,
                    statements_done: 1,
                    ..
                }]
            ),
            "{blockers:?}"
        );
    }
    // Finishing the rollback by hand, then telling strata, is one repair.
    run_sql(m.client(), "drop table t;").await;
    m.repair(&files, &Repair::MarkRolledBack(version("1")))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        scalar(&m, "select count(*) from strata.migrations").await,
        "0"
    );
}

#[tokio::test]
async fn a_failed_down_cleared_runs_again_on_the_next_rollback() {
    let cluster = cluster();
    let mut m = migrator(&cluster, "postgres", Settings::default()).await;
    let broken = set(&[(
        "0001_t.sql",
        "-- strata:up\ncreate table t (id int);\n-- strata:down\n-- strata:no-transaction\nselect 1;\ndrop table missing;\n",
    )]);
    let report = m
        .migrate(&broken, &MigrateOptions::default(), &mut Quiet)
        .await;
    assert!(report.error.is_none(), "{:?}", report.error);
    let report = m
        .rollback(&broken, &RollbackTarget::Steps(1), &mut Quiet)
        .await;
    assert!(matches!(report.error, Some(PgError::Migration(_))));
    m.repair(&broken, &Repair::ClearFailed(version("1")))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        scalar(&m, "select status from strata.migrations").await,
        "applied"
    );
    let fixed = set(&[(
        "0001_t.sql",
        "-- strata:up\ncreate table t (id int);\n-- strata:down\n-- strata:no-transaction\nselect 1;\ndrop table t;\n",
    )]);
    let report = m
        .rollback(&fixed, &RollbackTarget::Steps(1), &mut Quiet)
        .await;
    assert!(report.error.is_none(), "{:?}", report.error);
    assert_eq!(scalar(&m, "select to_regclass('t')::text").await, "");
}

#[tokio::test]
async fn a_role_switch_in_a_migration_neither_writes_history_as_that_role_nor_leaks() {
    let cluster = cluster();
    let mut m = migrator(&cluster, "postgres", Settings::default()).await;
    run_sql(
        m.client(),
        "create role app; grant create on schema public to app;",
    )
    .await;
    let files = set(&[
        (
            "0001_as_app.sql",
            "set role app;\ncreate table by_app (id int);\n",
        ),
        (
            "0002_as_app_outside.sql",
            "-- strata:no-transaction\nset role app;\ncreate table by_app_too (id int);\n",
        ),
        ("0003_after.sql", "create table by_owner (id int);\n"),
    ]);
    let report = migrate(&mut m, &files).await;
    assert!(report.error.is_none(), "{:?}", report.error);
    let owner = |table: &'static str| {
        format!("select tableowner from pg_tables where tablename = '{table}'")
    };
    assert_eq!(scalar(&m, &owner("by_app")).await, "app");
    assert_eq!(scalar(&m, &owner("by_app_too")).await, "app");
    // The switch ended with its migration.
    assert_eq!(scalar(&m, &owner("by_owner")).await, "postgres");
    assert_eq!(
        scalar(
            &m,
            "select string_agg(distinct applied_by, ',') from strata.migrations"
        )
        .await,
        "postgres"
    );
    assert_eq!(scalar(&m, "select current_user").await, "postgres");
}

#[tokio::test]
async fn a_hand_edited_checksum_blocks_with_advice_and_repair_still_works() {
    let cluster = cluster();
    let mut m = migrator(&cluster, "postgres", Settings::default()).await;
    let files = set(&[
        ("0001_a.sql", "create table a (id int);\n"),
        ("0002_b.sql", "create table b (id int);\n"),
    ]);
    let report = migrate(&mut m, &files).await;
    assert!(report.error.is_none(), "{:?}", report.error);
    run_sql(
        m.client(),
        "update strata.migrations set checksum = 'not hex' where version = '0001';",
    )
    .await;

    let history = m.history().await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(history.len(), 2);
    let report = migrate(&mut m, &files).await;
    let Some(PgError::Blocked(blockers)) = report.error else {
        panic!("expected blocked, got {:?}", report.error);
    };
    assert!(
        blockers[0].to_string().contains("is damaged"),
        "{}",
        blockers[0]
    );
    assert!(blockers[0].help().contains("--accept-checksum 0001"));
    m.repair(&files, &Repair::AcceptChecksum(version("1")))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let report = migrate(&mut m, &files).await;
    assert!(report.error.is_none(), "{:?}", report.error);
}

#[tokio::test]
async fn an_unknown_status_needs_attention_instead_of_counting_as_applied() {
    let cluster = cluster();
    let mut m = migrator(&cluster, "postgres", Settings::default()).await;
    let files = set(&[("0001_a.sql", "create table a (id int);\n")]);
    let report = migrate(&mut m, &files).await;
    assert!(report.error.is_none(), "{:?}", report.error);
    run_sql(
        m.client(),
        "alter table strata.migrations drop constraint migrations_status_check;
             update strata.migrations set status = 'done';",
    )
    .await;
    let report = migrate(&mut m, &files).await;
    let Some(PgError::Blocked(blockers)) = report.error else {
        panic!("expected blocked, got {:?}", report.error);
    };
    assert!(
        blockers[0].to_string().contains("\"done\""),
        "{}",
        blockers[0]
    );
    m.repair(&files, &Repair::MarkApplied(version("1")))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let report = migrate(&mut m, &files).await;
    assert!(report.error.is_none(), "{:?}", report.error);
}

#[tokio::test]
async fn repair_of_a_version_recorded_twice_acts_on_the_row_named_or_refuses_with_a_list() {
    let cluster = cluster();
    let mut m = migrator(&cluster, "postgres", Settings::default()).await;
    let files = set(&[("0005_a.sql", "create table a (id int);\n")]);
    let report = migrate(&mut m, &files).await;
    assert!(report.error.is_none(), "{:?}", report.error);
    run_sql(
        m.client(),
        "insert into strata.migrations (version, name, checksum, tool_version)
             select '5', name, checksum, tool_version from strata.migrations;",
    )
    .await;

    // Named exactly: that row, and only it.
    m.repair(&files, &Repair::MarkRolledBack(version("5")))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        scalar(&m, "select string_agg(version, ',') from strata.migrations").await,
        "0005"
    );

    // Named by neither spelling: refused, listing both.
    run_sql(
        m.client(),
        "insert into strata.migrations (version, name, checksum, tool_version)
             select '05', name, checksum, tool_version from strata.migrations;",
    )
    .await;
    let refused = m
        .repair(&files, &Repair::MarkRolledBack(version("005")))
        .await;
    let Err(PgError::Refused(Refusal::AmbiguousVersion { rows, .. })) = &refused else {
        panic!("expected a refusal, got {refused:?}");
    };
    assert_eq!(rows, &["0005", "05"]);
    let message = refused.map_or_else(|e| e.to_string(), |_| String::new());
    assert!(message.contains("(0005, 05)"), "{message}");
    assert_eq!(
        scalar(&m, "select count(*) from strata.migrations").await,
        "2"
    );
}

#[tokio::test]
async fn history_of_the_first_format_is_upgraded_in_place_and_stays_readable() {
    let cluster = cluster();
    let mut m = migrator(&cluster, "postgres", Settings::default()).await;
    // The tables as the first format made them, with one applied migration.
    run_sql(
        m.client(),
        "create schema strata;
             create table strata.meta (key text primary key, value text not null);
             insert into strata.meta values ('format', '1');
             create table strata.migrations (
                 version text primary key, name text not null, checksum text not null,
                 down_checksum text, down_sql text,
                 down_no_transaction boolean not null default false,
                 no_transaction boolean not null default false,
                 status text not null default 'applied' check (status in ('applied', 'failed')),
                 statements_done integer not null default 0,
                 applied_at timestamptz not null default now(),
                 applied_by text not null default current_user, os_user text,
                 client_host text default inet_client_addr()::text,
                 duration_ms bigint not null default 0, tool_version text not null);
             create table strata.events (
                 id bigint generated always as identity primary key,
                 at timestamptz not null default clock_timestamp(), kind text not null,
                 version text, name text, outcome text not null, detail text,
                 actor text not null default current_user, os_user text,
                 client_host text default inet_client_addr()::text, tool_version text not null);
             create table a (id int);",
    )
    .await;
    let files = set(&[
        ("0001_a.sql", "create table a (id int);\n"),
        (
            "0002_index.sql",
            "-- strata:no-transaction\ncreate index concurrently a_id on a (id);\n",
        ),
    ]);
    let checksum = files.migrations[0].up.checksum.to_string();
    m.client()
        .batch_execute(&format!(
            "insert into strata.migrations (version, name, checksum, tool_version) values ('0001', 'a', '{checksum}', '0.1.0');"
        ))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    // Read as it is, before any upgrade.
    assert_eq!(m.history().await.unwrap_or_else(|e| panic!("{e}")).len(), 1);

    let report = migrate(&mut m, &files).await;
    assert!(report.error.is_none(), "{:?}", report.error);
    assert_eq!(
        scalar(&m, "select value from strata.meta where key = 'format'").await,
        strata_pg::HISTORY_FORMAT.to_string()
    );
    assert_eq!(
        scalar(&m, "select string_agg(version || ':' || status, ',' order by version) from strata.migrations").await,
        "0001:applied,0002:applied"
    );
}

/// A TCP proxy in front of the cluster that the test can stall: it keeps both
/// sockets open and stops forwarding, as a broken middlebox does, which TCP
/// keepalives cannot see.
struct Proxy {
    port: u16,
}

/// Bytes that, sent by the client, stall the proxy once forwarded.
const STALL_MARKER: &[u8] = b"stall here";

impl Proxy {
    async fn start(upstream: u16) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let port = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("{e}"))
            .port();
        let stalled = Arc::new(AtomicBool::new(false));
        let flag = stalled.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let Ok(server) = tokio::net::TcpStream::connect(("127.0.0.1", upstream)).await
                else {
                    return;
                };
                let (client_read, client_write) = client.into_split();
                let (server_read, server_write) = server.into_split();
                tokio::spawn(pump(client_read, server_write, flag.clone(), true));
                tokio::spawn(pump(server_read, client_write, flag.clone(), false));
            }
        });
        Self { port }
    }
}

/// Copies bytes one way until either side closes; while stalled, holds them.
async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    stalled: Arc<AtomicBool>,
    from_client: bool,
) {
    let mut buffer = vec![0_u8; 16 * 1024];
    loop {
        let Ok(n) = from.read(&mut buffer).await else {
            return;
        };
        if n == 0 {
            return;
        }
        while stalled.load(Ordering::SeqCst) {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        if to.write_all(&buffer[..n]).await.is_err() {
            return;
        }
        if from_client
            && buffer[..n]
                .windows(STALL_MARKER.len())
                .any(|w| w == STALL_MARKER)
        {
            stalled.store(true, Ordering::SeqCst);
        }
    }
}

#[tokio::test]
async fn a_connection_stalled_by_a_proxy_ends_at_the_deadline_instead_of_hanging() {
    let cluster = cluster();
    let proxy = Proxy::start(cluster.port()).await;
    let url = cluster.url("postgres").replace(
        &format!(":{}/", cluster.port()),
        &format!(":{}/", proxy.port),
    );
    let target = Target::parse(&url, Source::Other("test".to_owned()), None, &|_| None)
        .unwrap_or_else(|e| panic!("{e}"));
    let client = connect(&target, "strata-test")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let settings = Settings {
        statement_timeout: Some(Duration::from_millis(500)),
        deadline_grace: Duration::from_millis(500),
        lock_wait: Duration::from_secs(2),
        ..Settings::default()
    };
    let mut m = Migrator::new(client, settings);
    // The proxy stalls once the migration's own SQL went through.
    let files = set(&[("0001_a.sql", "create table a (id int); -- stall here\n")]);
    // Without the deadline this would wait for ever; the test harness would
    // hang rather than fail, so bound it here.
    let report = tokio::time::timeout(
        Duration::from_secs(30),
        m.migrate(&files, &MigrateOptions::default(), &mut Quiet),
    )
    .await
    .unwrap_or_else(|_| panic!("strata waited on a stalled connection"));
    let Some(PgError::Migration(failure)) = report.error else {
        panic!(
            "expected a failure naming the stall, got {:?}",
            report.error
        );
    };
    assert!(
        failure.error.message.contains("stalled"),
        "{}",
        failure.error
    );
    assert!(
        failure
            .note
            .contains("whether migration 0001 was applied is unknown"),
        "{}",
        failure.note
    );

    // Nothing more is sent on a stalled connection, and the next command on
    // it says so at once.
    let report = tokio::time::timeout(
        Duration::from_secs(30),
        m.migrate(&files, &MigrateOptions::default(), &mut Quiet),
    )
    .await
    .unwrap_or_else(|_| panic!("strata waited on a stalled connection"));
    assert!(
        matches!(report.error, Some(PgError::Stalled { .. })),
        "{:?}",
        report.error
    );
}

#[tokio::test]
async fn a_dropped_history_schema_gets_advice_to_baseline() {
    let cluster = cluster();
    let mut m = migrator(&cluster, "postgres", Settings::default()).await;
    let files = set(&[
        ("0001_a.sql", "create table a (id int);\n"),
        ("0002_b.sql", "create table b (id int);\n"),
    ]);
    let report = migrate(&mut m, &files).await;
    assert!(report.error.is_none(), "{:?}", report.error);
    run_sql(m.client(), "drop schema strata cascade;").await;
    let report = migrate(&mut m, &files).await;
    let Some(PgError::Migration(failure)) = report.error else {
        panic!("expected a failure, got {:?}", report.error);
    };
    let advice = failure.advice.unwrap_or_default();
    assert!(advice.contains("strata baseline"), "{advice}");
    // The advice works.
    m.baseline(&files, None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let report = migrate(&mut m, &files).await;
    assert!(report.error.is_none(), "{:?}", report.error);
    assert!(report.done.is_empty());
}

#[tokio::test]
async fn the_lock_holder_named_is_the_one_in_this_database() {
    let cluster = cluster();
    let setup = client(&cluster, "postgres").await;
    run_sql(&setup, "create database other;").await;
    // Advisory locks are per database: a strata in `other` holds its own.
    let mut elsewhere = migrator(&cluster, "other", Settings::default()).await;
    elsewhere
        .lock(&mut Quiet)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let mut here = migrator(&cluster, "postgres", Settings::default()).await;
    here.lock(&mut Quiet)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let settings = Settings {
        lock_wait: Duration::from_millis(300),
        ..Settings::default()
    };
    let mut waiting = migrator(&cluster, "postgres", settings).await;
    let here_pid: i32 = scalar(&here, "select pg_backend_pid()")
        .await
        .parse()
        .unwrap_or_else(|e| panic!("{e}"));
    let holder = waiting
        .lock_holder()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("nobody holds the lock"));
    assert_eq!(holder.pid, here_pid);
    let Err(PgError::LockTimeout {
        holder: Some(holder),
        ..
    }) = waiting.lock(&mut Quiet).await
    else {
        panic!("expected a lock timeout naming the holder");
    };
    assert_eq!(holder.pid, here_pid);
}

#[tokio::test]
async fn a_lock_timeout_names_the_session_that_blocks_the_migration() {
    let cluster = cluster();
    let blocker = client(&cluster, "postgres").await;
    run_sql(&blocker, "create table busy (id int);").await;
    let blocker_pid: i32 = value(&blocker, "select pg_backend_pid()")
        .await
        .parse()
        .unwrap_or_else(|e| panic!("{e}"));
    run_sql(
        &blocker,
        "begin; insert into busy values (1); select 'the blocking query';",
    )
    .await;
    let settings = Settings {
        lock_timeout: Some(Duration::from_millis(200)),
        ..Settings::default()
    };
    let mut m = migrator(&cluster, "postgres", settings).await;
    let files = set(&[(
        "0001_alter.sql",
        "create table other (id int);\nalter table busy add column note text;\n",
    )]);
    let report = migrate(&mut m, &files).await;
    let Some(PgError::Migration(failure)) = report.error else {
        panic!("expected a lock timeout, got {:?}", report.error);
    };
    assert_eq!(failure.error.sqlstate, "55P03");
    let [holder] = &failure.blocked_by[..] else {
        panic!("expected one blocking session: {:?}", failure.blocked_by);
    };
    assert_eq!(holder.pid, blocker_pid);
    assert!(holder.query.contains("the blocking query"), "{holder}");
    assert!(
        holder.to_string().contains("idle in transaction"),
        "{holder}"
    );
}

#[tokio::test]
async fn copy_from_stdin_is_refused_before_it_reaches_the_server_and_the_connection_stays_usable() {
    let cluster = cluster();
    let mut m = migrator(&cluster, "postgres", Settings::default()).await;
    for (file, sql) in [
        (
            "0001_seed.sql",
            "create table seed (id int);\ncopy seed (id) from stdin;\n1\n2\n\\.\n",
        ),
        (
            "0001_export.sql",
            "-- strata:no-transaction\ncopy (select 1) to stdout;\n",
        ),
    ] {
        let files = set(&[(file, sql)]);
        let report = migrate(&mut m, &files).await;
        let Some(PgError::Refused(refusal @ Refusal::ClientCopy { .. })) = report.error else {
            panic!("{file}: expected a refusal, got {:?}", report.error);
        };
        assert!(
            refusal.to_string().contains(&format!("migrations/{file}:")),
            "{refusal}"
        );
        assert!(
            refusal.to_string().contains("nothing of it was run"),
            "{refusal}"
        );
        assert_eq!(scalar(&m, "select 1").await, "1");
        assert_eq!(scalar(&m, "select to_regclass('seed')::text").await, "");
        assert_eq!(
            scalar(&m, "select count(*) from strata.migrations").await,
            "0"
        );
    }
}
