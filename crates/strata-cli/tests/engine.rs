//! Integration tests of the apply engine: `strata migrate`, `status`, `rollback`,
//! `repair`, `baseline` and `log` against real throwaway clusters.
//!
//! Every test starts its own cluster and gives each scenario its own database, so
//! tests run in parallel safely. The database is inspected with psql, never mocked.

#[expect(
    dead_code,
    reason = "each test binary uses its own part of the shared helpers"
)]
mod support;

use std::collections::BTreeMap;
use std::time::Duration;

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use support::{Project, Server, SplitMix, lines, secret_forms, states, table_migration};

/// A password with every character a URL must encode.
const PASSWORD: &str = "p@ss:w0rd/%";

// ---------------------------------------------------------------------------
// Concurrency and crashes
// ---------------------------------------------------------------------------

/// Migration `i` of the race: a table, an index and one row; some in one statement,
/// some with more statements.
fn race_migration(i: usize) -> String {
    let up = if i.is_multiple_of(5) {
        format!("create table t{i} as select {i} as id, 'row {i}'::text as v;\n")
    } else {
        let mut up = format!(
            "create table t{i} (id int primary key, v text not null);\ncreate index t{i}_v_idx on t{i} (v);\ninsert into t{i} (id, v) values ({i}, 'row {i}');\n"
        );
        if i.is_multiple_of(3) {
            up.push_str(&format!(
                "alter table t{i} add column note text;\ncomment on table t{i} is 'migration {i}';\nupdate t{i} set note = 'n{i}' where id = {i};\n"
            ));
        }
        up
    };
    format!("-- strata:up\n{up}\n-- strata:down\ndrop table t{i};\n")
}

#[test]
fn eight_concurrent_migrators_apply_each_of_200_migrations_exactly_once() {
    const COUNT: usize = 200;
    const MIGRATORS: usize = 8;
    let server = Server::start();
    let db = server.database("race");
    let project = Project::new();
    for i in 1..=COUNT {
        project.write(&format!("{i:03}_table_{i}.sql"), &race_migration(i));
    }

    let barrier = std::sync::Barrier::new(MIGRATORS);
    let runs: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..MIGRATORS)
            .map(|_| {
                let cmd = db
                    .strata(&project)
                    .args(["migrate", "--json", "--lock-wait", "120s"]);
                let barrier = &barrier;
                scope.spawn(move || {
                    barrier.wait();
                    cmd.run()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| panic!("a migrator thread panicked"))
            })
            .collect()
    });

    // Every process succeeds, and between them each migration is applied once.
    let mut applied: BTreeMap<String, usize> = BTreeMap::new();
    for run in &runs {
        assert_eq!(run.code(), 0, "{}\n{}", run.stdout(), run.stderr());
        let report = run.json();
        assert_eq!(report["ok"], true, "{report}");
        for done in report["applied"].as_array().into_iter().flatten() {
            let version = done["version"].as_str().unwrap_or_default().to_owned();
            *applied.entry(version).or_default() += 1;
        }
    }
    assert_eq!(applied.len(), COUNT, "{applied:?}");
    assert!(applied.values().all(|&n| n == 1), "{applied:?}");

    assert_eq!(
        db.query(
            "select count(*), count(*) filter (where status = 'applied'), count(distinct version) from strata.migrations"
        ),
        "200|200|200"
    );
    assert_eq!(
        db.query(
            "select count(*) from pg_class where relnamespace = 'public'::regnamespace and relkind = 'r' and relname ~ '^t[0-9]+$'"
        ),
        COUNT.to_string()
    );
    let all_rows = (1..=COUNT)
        .map(|i| format!("select id from t{i}"))
        .collect::<Vec<_>>()
        .join(" union all ");
    assert_eq!(
        db.query(&format!(
            "select count(*), count(distinct id) from ({all_rows}) r"
        )),
        "200|200"
    );
    assert_eq!(
        db.query(
            "select count(*), count(distinct version) from strata.events where kind = 'apply' and outcome = 'ok'"
        ),
        "200|200"
    );
    assert_eq!(
        db.query("select count(*) from strata.events where kind <> 'apply' or outcome <> 'ok'"),
        "0"
    );

    // Whoever had to wait said so, and (unless the holder let go in between) who held it.
    let waited: Vec<String> = runs
        .iter()
        .map(support::Ran::stderr)
        .filter(|e| e.contains("waiting"))
        .collect();
    if !waited.is_empty() {
        assert!(
            waited
                .iter()
                .any(|e| e.contains("waiting for the migration lock, held by database backend pid")),
            "{waited:#?}"
        );
    }
}

#[test]
fn a_migrator_gives_up_waiting_for_the_lock_and_says_who_holds_it() {
    let server = Server::start();
    let db = server.database("lock");
    let project = Project::new();
    project.write("001_slow.sql", "select pg_sleep(3);\n");
    let mut slow = db.strata(&project).args(["migrate"]).spawn();
    // Wait until the slow migrator holds the lock.
    let started = std::time::Instant::now();
    while db.query("select count(*) from pg_locks where locktype = 'advisory' and granted") != "1" {
        assert!(started.elapsed() < Duration::from_secs(20), "never locked");
        std::thread::sleep(Duration::from_millis(20));
    }
    db.strata(&project)
        .args(["migrate", "--lock-wait", "300ms"])
        .run()
        .assert_code(1)
        .assert_stderr(&[
            "waiting for the migration lock, held by database backend pid",
            "gave up after",
            "(strata)",
        ]);
    let status = slow
        .wait()
        .unwrap_or_else(|e| panic!("cannot wait for strata: {e}"));
    assert!(status.success(), "{status}");
    assert_eq!(db.events(), ["apply 001 ok"]);
}

/// Checks, on an idle database, that every transactional migration's history row
/// exists exactly when its table does, that no row is failed and that the applied
/// migrations are a prefix of the files. Returns how many are applied.
fn check_history_matches_schema(db: &support::Db<'_>, count: usize) -> usize {
    if !db.exists("strata.migrations") {
        assert_eq!(
            db.query("select count(*) from pg_class where relname ~ '^k[0-9]+$'"),
            "0",
            "tables without history tables"
        );
        return 0;
    }
    let mismatches = db.query(&format!(
        "select coalesce(string_agg(format('%s: history %s, table %s', s.v, x.h, x.t), '; '), '')
         from (select i, lpad(i::text, 3, '0') as v from generate_series(1, {count}) i) s,
         lateral (select exists (select 1 from strata.migrations m where m.version = s.v) as h,
                         to_regclass('public.k' || s.i) is not null as t) x
         where x.h <> x.t"
    ));
    assert_eq!(mismatches, "", "history and schema disagree");
    let summary = db.query(
        "select count(*), count(*) filter (where status = 'failed'), coalesce(max(version::int), 0),
                (select count(*) from strata.events where kind = 'apply' and outcome = 'ok')
         from strata.migrations",
    );
    let numbers: Vec<usize> = summary
        .split('|')
        .map(|n| n.parse().unwrap_or(usize::MAX))
        .collect();
    let [rows, failed, newest, events] = numbers[..] else {
        panic!("{summary}");
    };
    assert_eq!(failed, 0, "{summary}");
    assert_eq!(
        rows, newest,
        "applied migrations are not a prefix: {summary}"
    );
    assert_eq!(
        rows, events,
        "history rows and apply events differ: {summary}"
    );
    rows
}

#[test]
fn sigkill_at_random_moments_never_splits_a_migration_from_its_history_row() {
    const COUNT: usize = 60;
    const ITERATIONS: u64 = 20;
    let server = Server::start();
    let project = Project::new();
    for i in 1..=COUNT {
        let sleep = if i.is_multiple_of(3) {
            "select pg_sleep(0.02);\n"
        } else {
            ""
        };
        project.write(
            &format!("{i:03}_k{i}.sql"),
            &format!(
                "-- strata:up\ncreate table k{i} (id int primary key);\n{sleep}insert into k{i} values ({i});\n-- strata:down\ndrop table k{i};\n"
            ),
        );
    }
    let mut interrupted = Vec::new();
    for iteration in 0..ITERATIONS {
        let db = server.database(&format!("kill{iteration}"));
        let mut rng = SplitMix(0x5354_5241 ^ iteration);
        let delay = Duration::from_millis(rng.below(300));
        let mut child = db.strata(&project).args(["migrate"]).spawn();
        std::thread::sleep(delay);
        let pid = Pid::from_raw(i32::try_from(child.id()).unwrap_or(i32::MAX));
        kill(pid, Signal::SIGKILL).unwrap_or_else(|e| panic!("cannot kill strata: {e}"));
        let status = child
            .wait()
            .unwrap_or_else(|e| panic!("cannot wait for strata: {e}"));
        db.wait_until_idle();
        let applied = check_history_matches_schema(&db, COUNT);
        if status.code().is_none() && applied < COUNT {
            interrupted.push((delay, applied));
        }

        // Every re-run completes, and the history still matches.
        db.strata(&project).args(["migrate"]).run().assert_code(0);
        assert_eq!(check_history_matches_schema(&db, COUNT), COUNT);
    }
    assert!(
        interrupted.iter().any(|&(_, applied)| applied > 0),
        "no kill landed in the middle of a run: {interrupted:?}"
    );
}

// ---------------------------------------------------------------------------
// Clear errors, the right exit code, nothing changed, no password shown
// ---------------------------------------------------------------------------

#[test]
fn an_edited_applied_migration_is_refused_and_nothing_runs() {
    let server = Server::with_password(PASSWORD);
    let db = server.database("edited");
    let project = Project::new();
    project
        .write("001_a.sql", &table_migration("a"))
        .write("002_b.sql", &table_migration("b"));
    db.strata(&project).args(["migrate"]).run().assert_code(0);
    let before = db.snapshot();

    project
        .write(
            "002_b.sql",
            &table_migration("b").replace("values (1)", "values (2)"),
        )
        .write("003_c.sql", &table_migration("c"));
    db.strata(&project)
        .args(["migrate"])
        .run()
        .assert_code(1)
        .assert_stderr(&[
            "nothing was applied",
            "migrations/002_b.sql",
            "applied migrations must not change",
            "strata repair --accept-checksum 002",
        ]);
    assert_eq!(db.snapshot(), before);
    assert!(!db.exists("c"));
    assert_eq!(db.events(), ["apply 001 ok", "apply 002 ok"]);

    let status = db
        .strata(&project)
        .args(["status", "--json"])
        .run()
        .assert_code(1);
    assert_eq!(
        states(&status.json()),
        [
            ("001".into(), "applied".into()),
            ("002".into(), "modified".into()),
            ("003".into(), "pending".into())
        ]
    );
}

/// A no-transaction migration whose second statement fails (the same index name twice).
const FAILING_CONCURRENT_INDEXES: &str = "-- strata:no-transaction\ncreate index concurrently items_idx on items (id);\ncreate index concurrently items_idx on items (v);\n";

/// A project whose migration 002 fails half-way outside a transaction.
fn failing_no_transaction_project() -> Project {
    let project = Project::new();
    project
        .write(
            "001_items.sql",
            "create table items (id int primary key, v text);\n",
        )
        .write("002_indexes.sql", FAILING_CONCURRENT_INDEXES)
        .write("003_after.sql", &table_migration("after"));
    project
}

/// Runs the failing migrate and checks what it says and records.
fn migrate_fails_half_way(db: &support::Db<'_>, project: &Project) {
    db.strata(project)
        .args(["migrate"])
        .run()
        .assert_code(1)
        .assert_stdout(&["applied 001 items"])
        .assert_stderr(&[
            "migration 002 (indexes) failed",
            "migrations/002_indexes.sql",
            "SQLSTATE 42P07",
            "1 of 2 statement(s) completed",
            "strata repair --mark-applied 002",
            "strata repair --clear-failed 002",
            "1 migration applied before the failure",
        ]);
    assert_eq!(
        db.query("select status, statements_done from strata.migrations where version = '002'"),
        "failed|1"
    );
    assert!(db.exists("items_idx"));
    assert!(!db.exists("after"));
    assert_eq!(db.events(), ["apply 001 ok", "apply 002 failed"]);

    // Until repaired, nothing else runs, and status and rollback say why.
    let before = db.snapshot();
    db.strata(project)
        .args(["migrate"])
        .run()
        .assert_code(1)
        .assert_stderr(&[
            "nothing was applied",
            "migration 002 (indexes) failed part-way after 1 statement(s)",
            "strata repair --mark-applied 002",
            "strata repair --clear-failed 002",
        ]);
    let status = db
        .strata(project)
        .args(["status", "--json"])
        .run()
        .assert_code(1);
    assert_eq!(
        states(&status.json()),
        [
            ("001".into(), "applied".into()),
            ("002".into(), "failed".into()),
            ("003".into(), "pending".into())
        ]
    );
    db.strata(project)
        .args(["rollback", "--yes"])
        .run()
        .assert_code(1)
        .assert_stderr(&["failed part-way", "strata repair"]);
    assert_eq!(db.snapshot(), before);
}

#[test]
fn a_failed_no_transaction_migration_blocks_until_cleared_and_fixed() {
    let server = Server::with_password(PASSWORD);
    let db = server.database("clear_failed");
    let project = failing_no_transaction_project();
    migrate_fails_half_way(&db, &project);

    // Only a failed migration can be cleared.
    db.strata(&project)
        .args(["repair", "--clear-failed", "001"])
        .run()
        .assert_code(1)
        .assert_stderr(&["migration 001 is not failed"]);
    db.strata(&project)
        .args(["repair", "--clear-failed", "002"])
        .run()
        .assert_code(0)
        .assert_stdout(&["cleared the failed migration 002"]);
    assert_eq!(
        db.query("select count(*) from strata.migrations where version = '002'"),
        "0"
    );
    // The file is fixed so that it can run again over what its first statement did.
    project.write(
        "002_indexes.sql",
        "-- strata:no-transaction\ncreate index concurrently if not exists items_idx on items (id);\ncreate index concurrently items_v_idx on items (v);\n",
    );
    db.strata(&project)
        .args(["migrate"])
        .run()
        .assert_code(0)
        .assert_stdout(&["applied 2 migrations"]);
    assert_eq!(
        db.query(
            "select string_agg(version || ' ' || status || ' ' || statements_done, ', ' order by version) from strata.migrations"
        ),
        "001 applied 0, 002 applied 2, 003 applied 0"
    );
    assert_eq!(
        db.query(
            "select string_agg(indexrelid::regclass::text || ' ' || indisvalid, ', ' order by 1) from pg_index where indrelid = 'items'::regclass and not indisprimary"
        ),
        "items_idx true, items_v_idx true"
    );
    assert_eq!(
        db.events(),
        [
            "apply 001 ok",
            "apply 002 failed",
            "repair 002 ok",
            "apply 002 ok",
            "apply 003 ok"
        ]
    );
}

#[test]
fn a_failed_no_transaction_migration_finished_by_hand_is_marked_applied() {
    let server = Server::with_password(PASSWORD);
    let db = server.database("mark_applied");
    let project = failing_no_transaction_project();
    migrate_fails_half_way(&db, &project);

    // Finish the work by hand, then tell strata.
    db.query("create index items_v_idx on items (v)");
    db.strata(&project)
        .args(["repair", "--mark-applied", "002"])
        .run()
        .assert_code(0)
        .assert_stdout(&["marked the failed migration 002 as applied"]);
    db.strata(&project)
        .args(["repair", "--mark-applied", "002"])
        .run()
        .assert_code(1)
        .assert_stderr(&["migration 002 is already applied"]);
    db.strata(&project)
        .args(["migrate"])
        .run()
        .assert_code(0)
        .assert_stdout(&["applied 003 after", "applied 1 migration "]);
    let status = db
        .strata(&project)
        .args(["status", "--json"])
        .run()
        .assert_code(0);
    assert!(
        states(&status.json())
            .iter()
            .all(|(_, state)| state == "applied")
    );
    assert_eq!(
        db.events(),
        [
            "apply 001 ok",
            "apply 002 failed",
            "repair 002 ok",
            "apply 003 ok"
        ]
    );
}

#[test]
fn a_deleted_applied_file_is_reported_missing_and_blocks_migrate() {
    let server = Server::with_password(PASSWORD);
    let db = server.database("missing");
    let project = Project::new();
    project
        .write("001_a.sql", &table_migration("a"))
        .write("002_b.sql", &table_migration("b"));
    db.strata(&project).args(["migrate"]).run().assert_code(0);
    project.remove("002_b.sql");
    project.write("003_c.sql", &table_migration("c"));
    let before = db.snapshot();

    let status = db
        .strata(&project)
        .args(["status"])
        .run()
        .assert_code(1)
        .stdout();
    let row = status
        .lines()
        .find(|l| l.starts_with("002 "))
        .unwrap_or_else(|| panic!("{status}"));
    assert!(
        row.contains("missing-file") && row.ends_with('b'),
        "{status}"
    );
    assert!(
        status.contains("1 applied, 1 pending, 1 needing attention"),
        "{status}"
    );
    db.strata(&project)
        .args(["migrate"])
        .run()
        .assert_code(1)
        .assert_stderr(&[
            "nothing was applied",
            "migration 002 (b) is applied but its file is missing",
            "strata repair --mark-rolled-back 002",
        ]);
    assert_eq!(db.snapshot(), before);
    assert!(!db.exists("c"));
}

#[test]
fn an_out_of_order_file_is_refused_unless_allowed() {
    let server = Server::with_password(PASSWORD);
    let db = server.database("out_of_order");
    let project = Project::new();
    project
        .write("001_a.sql", &table_migration("a"))
        .write("003_c.sql", &table_migration("c"));
    db.strata(&project).args(["migrate"]).run().assert_code(0);
    project.write("002_b.sql", &table_migration("b"));
    let before = db.snapshot();

    db.strata(&project)
        .args(["migrate"])
        .run()
        .assert_code(1)
        .assert_stderr(&[
            "nothing was applied",
            "migrations/002_b.sql: migration 002 is pending but older than the newest applied migration 003",
            "--allow-out-of-order",
        ]);
    assert_eq!(db.snapshot(), before);
    let status = db
        .strata(&project)
        .args(["status", "--json"])
        .run()
        .assert_code(1);
    assert_eq!(status.json()["migrations"][1]["state"], "out-of-order");

    db.strata(&project)
        .args(["migrate", "--allow-out-of-order"])
        .run()
        .assert_code(0)
        .assert_stdout(&["applied 002 b"]);
    assert!(db.exists("b"));
    db.strata(&project).args(["status"]).run().assert_code(0);
}

#[test]
fn a_wrong_password_fails_saying_so_without_showing_any_password() {
    let server = Server::with_password(PASSWORD);
    let db = server.database("wrong_password");
    let project = Project::new();
    project.write("001_a.sql", &table_migration("a"));
    let wrong = "wr0ng@p%ss";
    let url = format!(
        "postgres://postgres:{}@127.0.0.1:{}/wrong_password",
        secret_forms(wrong)[1],
        server.port()
    );
    let mut hidden = secret_forms(wrong);
    hidden.extend(secret_forms(PASSWORD));
    for args in [
        vec!["migrate", "--url", url.as_str()],
        vec!["status", "--url", url.as_str()],
        vec!["migrate", "--json", "--url", url.as_str()],
    ] {
        support::Cmd::new(&project)
            .hiding(&hidden)
            .args(&args)
            .run()
            .assert_code(1)
            .assert_stderr(&["password authentication failed", "postgres"]);
    }
    // The same through DATABASE_URL.
    support::Cmd::new(&project)
        .hiding(&hidden)
        .env("DATABASE_URL", &url)
        .args(["migrate"])
        .run()
        .assert_code(1)
        .assert_stderr(&["password authentication failed"]);
    assert!(!db.exists("strata.migrations"));
    assert!(!db.exists("a"));
}

#[test]
fn a_sql_error_points_at_file_line_and_column_and_applies_nothing_of_the_migration() {
    let server = Server::with_password(PASSWORD);
    let db = server.database("sql_error");
    let project = Project::new();
    let failing_line = "select 'é', * from missing_table;";
    project
        .write("001_a.sql", &table_migration("a"))
        .write(
            "002_broken.sql",
            &format!(
                "-- strata:up\n-- A comment with non-ASCII text: café ☕\ncreate table before_error (id int);\n{failing_line}\n-- strata:down\ndrop table before_error;\n"
            ),
        );
    let column = failing_line[..failing_line.find("missing_table").unwrap_or(0)]
        .chars()
        .count()
        + 1;
    let location = format!("migrations/002_broken.sql:4:{column}");

    db.strata(&project)
        .args(["migrate"])
        .run()
        .assert_code(1)
        .assert_stdout(&["applied 001 a"])
        .assert_stderr(&[
            "migration 002 (broken) failed in its up section",
            &location,
            failing_line,
            "relation \"missing_table\" does not exist (SQLSTATE 42P01)",
            "check the order of migrations",
            "nothing of it was applied",
            "1 migration applied before the failure",
        ]);
    assert!(db.exists("a"));
    assert!(!db.exists("before_error"));
    assert_eq!(
        db.query("select string_agg(version, ',' order by version) from strata.migrations"),
        "001"
    );
    assert_eq!(db.events(), ["apply 001 ok", "apply 002 failed"]);
    let before = db.snapshot();

    let report = db
        .strata(&project)
        .args(["migrate", "--json"])
        .run()
        .assert_code(1)
        .json();
    let error = &report["error"];
    assert_eq!(report["ok"], false, "{report}");
    assert_eq!(error["kind"], "migration-failed", "{report}");
    assert_eq!(error["file"], "migrations/002_broken.sql", "{report}");
    assert_eq!(error["line"], 4, "{report}");
    assert_eq!(error["column"], column, "{report}");
    assert_eq!(error["error"]["sqlstate"], "42P01", "{report}");
    assert!(error["advice"].is_string(), "{report}");
    assert_eq!(db.snapshot(), before);
}

// ---------------------------------------------------------------------------
// rollback, repair, baseline, log
// ---------------------------------------------------------------------------

/// a..e, where c (003) has no down section.
fn lifecycle_project() -> Project {
    let project = Project::new();
    project
        .write("001_a.sql", &table_migration("a"))
        .write("002_b.sql", &table_migration("b"))
        .write(
            "003_c.sql",
            "create table c (id int primary key);\ninsert into c values (1);\n",
        )
        .write("004_d.sql", &table_migration("d"))
        .write("005_e.sql", &table_migration("e"));
    project
}

fn versions(db: &support::Db<'_>) -> String {
    db.query(
        "select coalesce(string_agg(version, ',' order by version), '') from strata.migrations",
    )
}

#[test]
fn baseline_rollback_repair_and_log_keep_history_and_schema_in_step() {
    let server = Server::with_password(PASSWORD);
    let db = server.database("lifecycle");
    let project = lifecycle_project();

    // An existing database already has a and b: adopt them without running them.
    db.query("create table a (id int primary key); create table b (id int primary key)");
    db.strata(&project)
        .args(["baseline", "--version", "002"])
        .run()
        .assert_code(0)
        .assert_stdout(&["recorded 2 migrations as applied without running them (up to 002)"]);
    assert_eq!(db.query("select count(*) from a"), "0");
    db.strata(&project)
        .args(["migrate"])
        .run()
        .assert_code(0)
        .assert_stdout(&["applied 3 migrations"]);
    assert_eq!(versions(&db), "001,002,003,004,005");

    // Without --yes and without a terminal, nothing happens.
    let before = db.snapshot();
    db.strata(&project)
        .args(["rollback", "--steps", "2"])
        .run()
        .assert_code(2)
        .assert_stderr(&["--yes"]);
    assert_eq!(db.snapshot(), before);

    // A plan reaching a migration without a down stops before undoing anything.
    db.strata(&project)
        .args(["rollback", "--steps", "3", "--yes"])
        .run()
        .assert_code(1)
        .assert_stderr(&["migration 003 (c) has no down section", "forward migration"]);
    assert_eq!(db.snapshot(), before);

    db.strata(&project)
        .args(["rollback", "--steps", "2", "--yes"])
        .run()
        .assert_code(0)
        .assert_stdout(&[
            "rolled back 005 e",
            "rolled back 004 d",
            "rolled back 2 migrations",
        ]);
    assert_eq!(versions(&db), "001,002,003");
    assert!(!db.exists("d") && !db.exists("e"));
    assert!(db.exists("c"));

    db.strata(&project)
        .args(["rollback", "--yes"])
        .run()
        .assert_code(1)
        .assert_stderr(&["migration 003 (c) has no down section", "forward migration"]);
    assert_eq!(versions(&db), "001,002,003");

    // A cosmetic edit of an applied up: refused until accepted.
    project.write(
        "002_b.sql",
        &table_migration("b").replace("-- strata:up\n", "-- strata:up\n-- Accounts.\n"),
    );
    db.strata(&project).args(["migrate"]).run().assert_code(1);
    db.strata(&project)
        .args(["repair", "--accept-checksum", "002"])
        .run()
        .assert_code(0)
        .assert_stdout(&["accepted the current checksum of migration 002"]);
    let validate = support::Cmd::new(&project)
        .args(["validate", "--json"])
        .run()
        .assert_code(0)
        .json();
    assert_eq!(
        db.query("select checksum from strata.migrations where version = '002'"),
        validate["migrations"][1]["up_checksum"]
            .as_str()
            .unwrap_or_default()
    );

    // With 005's file deleted, its down comes from the history.
    db.strata(&project)
        .args(["migrate"])
        .run()
        .assert_code(0)
        .assert_stdout(&["applied 2 migrations"]);
    project.remove("005_e.sql");
    db.strata(&project)
        .args(["rollback", "--yes"])
        .run()
        .assert_code(0)
        .assert_stdout(&["stored in history", "rolled back 005 e"]);
    assert!(!db.exists("e"));
    assert_eq!(versions(&db), "001,002,003,004");
    db.strata(&project).args(["status"]).run().assert_code(0);

    let log = db
        .strata(&project)
        .args(["log", "--json"])
        .run()
        .assert_code(0)
        .json();
    let events: Vec<String> = log["events"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            format!(
                "{} {} {}",
                e["kind"].as_str().unwrap_or_default(),
                e["version"].as_str().unwrap_or_default(),
                e["outcome"].as_str().unwrap_or_default()
            )
        })
        .collect();
    assert_eq!(
        events,
        [
            "rollback 005 ok",
            "apply 005 ok",
            "apply 004 ok",
            "repair 002 ok",
            "rollback 004 ok",
            "rollback 005 ok",
            "apply 005 ok",
            "apply 004 ok",
            "apply 003 ok",
            "baseline 002 ok",
        ]
    );
    let text = db
        .strata(&project)
        .args(["log", "--limit", "1"])
        .run()
        .assert_code(0)
        .stdout();
    assert_eq!(lines(&text).len(), 1, "{text}");
    assert!(
        text.contains("rollback") && text.contains("005 e"),
        "{text}"
    );
}

#[test]
fn baseline_adopts_an_existing_schema_once_and_migrate_then_does_nothing() {
    let server = Server::with_password(PASSWORD);
    let db = server.database("baseline");
    let project = lifecycle_project();
    db.query(
        "create table a (id int primary key); create table b (id int primary key);
         create table c (id int primary key); create table d (id int primary key);
         create table e (id int primary key)",
    );
    db.strata(&project)
        .args(["baseline"])
        .run()
        .assert_code(0)
        .assert_stdout(&["recorded 5 migrations as applied without running them (up to 005)"]);
    assert_eq!(versions(&db), "001,002,003,004,005");
    let empty_tables = db.query("select (select count(*) from a) + (select count(*) from e)");
    assert_eq!(empty_tables, "0", "baseline ran migrations");
    db.strata(&project)
        .args(["migrate"])
        .run()
        .assert_code(0)
        .assert_stdout(&["nothing to apply"]);
    let before = db.snapshot();
    db.strata(&project)
        .args(["baseline"])
        .run()
        .assert_code(1)
        .assert_stderr(&["already has migration history"]);
    assert_eq!(db.snapshot(), before);
    assert_eq!(db.events(), ["baseline 005 ok"]);
    // The stored down is there for a rollback.
    db.strata(&project)
        .args(["rollback", "--yes"])
        .run()
        .assert_code(0);
    assert!(!db.exists("e"));
}

// ---------------------------------------------------------------------------
// status, and transaction control written in files
// ---------------------------------------------------------------------------

#[test]
fn status_json_shows_every_state_and_exits_1_on_problems() {
    let server = Server::start();
    let db = server.database("states");
    let project = Project::new();
    project
        .write("001_a.sql", &table_migration("a"))
        .write("002_b.sql", &table_migration("b"))
        .write("003_c.sql", &table_migration("c"))
        .write("005_e.sql", &table_migration("e"))
        .write(
            "006_f.sql",
            "-- strata:no-transaction\ncreate table f0 (id int);\ncreate table f (id int);\n",
        );
    // Before anything ran: everything pending, no problem.
    let status = db
        .strata(&project)
        .args(["status", "--json"])
        .run()
        .assert_code(0)
        .json();
    assert_eq!(status["ok"], true);
    assert!(states(&status).iter().all(|(_, s)| s == "pending"));

    db.strata(&project)
        .args(["migrate", "--to", "003"])
        .run()
        .assert_code(0);
    let status = db
        .strata(&project)
        .args(["status", "--json"])
        .run()
        .assert_code(0)
        .json();
    assert_eq!(
        states(&status),
        [
            ("001".into(), "applied".into()),
            ("002".into(), "applied".into()),
            ("003".into(), "applied".into()),
            ("005".into(), "pending".into()),
            ("006".into(), "pending".into())
        ]
    );
    assert_eq!(status["migrations"][0]["applied_by"], "postgres");

    // 006 fails outside a transaction (its table exists already).
    db.query("create table f (id int)");
    db.strata(&project).args(["migrate"]).run().assert_code(1);
    project.write(
        "002_b.sql",
        &table_migration("b").replace("(id int primary key)", "(id bigint primary key)"),
    );
    project.remove("003_c.sql");
    project
        .write("004_d.sql", &table_migration("d"))
        .write("007_g.sql", &table_migration("g"));
    let ran = db
        .strata(&project)
        .args(["status", "--json"])
        .run()
        .assert_code(1);
    let status = ran.json();
    assert_eq!(status["ok"], false);
    assert_eq!(
        states(&status),
        [
            ("001".into(), "applied".into()),
            ("002".into(), "modified".into()),
            ("003".into(), "missing-file".into()),
            ("004".into(), "out-of-order".into()),
            ("005".into(), "applied".into()),
            ("006".into(), "failed".into()),
            ("007".into(), "pending".into())
        ]
    );
    let text = db
        .strata(&project)
        .args(["status"])
        .run()
        .assert_code(1)
        .stdout();
    assert!(
        text.contains("2 applied, 1 pending, 4 needing attention"),
        "{text}"
    );
}

#[test]
fn begin_and_commit_written_in_a_file_are_absorbed_so_a_failure_applies_nothing() {
    let server = Server::start();
    let db = server.database("absorbed");
    let project = Project::new();
    project
        .write(
            "001_ok.sql",
            "begin;\ncreate table ok_a (id int);\ninsert into ok_a values (1);\ncommit;\n",
        )
        .write(
            "002_broken.sql",
            "BEGIN;\ncreate table half_a (id int);\ninsert into half_a values (1);\nselect * from missing_table;\ncreate table half_b (id int);\nCOMMIT;\n",
        );
    db.strata(&project)
        .args(["migrate"])
        .run()
        .assert_code(1)
        .assert_stdout(&["applied 001 ok"])
        .assert_stderr(&[
            "migrations/002_broken.sql:4:15",
            "SQLSTATE 42P01",
            "nothing of it was applied",
        ]);
    assert!(db.exists("ok_a"));
    assert!(!db.exists("half_a"));
    assert!(!db.exists("half_b"));
    assert_eq!(versions(&db), "001");
    assert_eq!(db.events(), ["apply 001 ok", "apply 002 failed"]);
    // The session is usable again: a fixed file applies.
    project.write(
        "002_broken.sql",
        "BEGIN;\ncreate table half_a (id int);\ninsert into half_a values (1);\ncreate table half_b (id int);\nCOMMIT;\n",
    );
    db.strata(&project).args(["migrate"]).run().assert_code(0);
    assert!(db.exists("half_a") && db.exists("half_b"));
}

#[test]
fn log_shows_the_newest_events_first_past_nine_events() {
    let server = Server::start();
    let db = server.database("log_order");
    let project = Project::new();
    for i in 1..=12 {
        project.write(
            &format!("{i:03}_l{i}.sql"),
            &table_migration(&format!("l{i}")),
        );
    }
    db.strata(&project).args(["migrate"]).run().assert_code(0);
    let log = db
        .strata(&project)
        .args(["log", "--json", "--limit", "3"])
        .run()
        .assert_code(0)
        .json();
    let versions: Vec<&str> = log["events"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["version"].as_str())
        .collect();
    assert_eq!(versions, ["012", "011", "010"]);
}

#[test]
fn a_no_transaction_migration_whose_first_statement_fails_is_not_recorded() {
    let server = Server::start();
    let db = server.database("first_fails");
    let project = Project::new();
    project.write(
        "001_idx.sql",
        "-- strata:no-transaction\ncreate index concurrently missing_idx on missing_table (id);\n",
    );
    db.strata(&project)
        .args(["migrate"])
        .run()
        .assert_code(1)
        .assert_stderr(&["nothing of it ran and it is not recorded"]);
    assert_eq!(db.query("select count(*) from strata.migrations"), "0");
    // Fixing the file is enough: no repair needed.
    db.query("create table missing_table (id int)");
    db.strata(&project).args(["migrate"]).run().assert_code(0);
    assert_eq!(
        db.query("select status from strata.migrations where version = '001'"),
        "applied"
    );
}

// ---------------------------------------------------------------------------
// Durations
// ---------------------------------------------------------------------------

/// Every `12 ms` / `0.4 ms` / `1.3 s` in `text`, in seconds, in order.
fn durations(text: &str) -> Vec<f64> {
    let words: Vec<&str> = text
        .split(|c: char| c.is_whitespace() || c == '(' || c == ')')
        .filter(|w| !w.is_empty())
        .collect();
    words
        .windows(2)
        .filter_map(|pair| {
            let number: f64 = pair[0].parse().ok()?;
            match pair[1].trim_end_matches(',') {
                "ms" => Some(number / 1000.0),
                "s" => Some(number),
                _ => None,
            }
        })
        .collect()
}

/// Issue 10: "applied 20000 migrations in 294 ms" for a 13 s run. The total
/// was the sum of the migrations' own times, each rounded down to a whole
/// millisecond, and so left out everything between them, the wait for the
/// migration lock included. The total is now the wall-clock time of the run.
#[test]
fn the_printed_total_was_a_sum_of_rounded_migration_times_without_the_lock_wait() {
    const HOLD_MS: u64 = 3000;
    let server = Server::start();
    let db = server.database("durations");
    let project = Project::new();
    project
        .write(
            "001_hold.sql",
            &format!("select pg_sleep({HOLD_MS} / 1000.0);\n"),
        )
        .write(
            "002_a.sql",
            "-- strata:up\nselect pg_sleep(0.3);\n-- strata:down\nselect pg_sleep(0.2);\n",
        )
        .write(
            "003_b.sql",
            "-- strata:no-transaction\nselect pg_sleep(0.15);\nselect pg_sleep(0.15);\n",
        )
        .write(
            "004_c.sql",
            "-- strata:up\nselect pg_sleep(0.3);\n-- strata:down\nselect pg_sleep(0.2);\n",
        );
    let sleeps = 0.9;

    // One migrator applies 001, and holds the lock until HOLD_MS after it started or later.
    let holder_started = std::time::Instant::now();
    let mut holder = db.strata(&project).args(["migrate", "--to", "001"]).spawn();
    while db.query("select count(*) from pg_locks where locktype = 'advisory' and granted") != "1" {
        assert!(
            holder_started.elapsed() < Duration::from_secs(20),
            "never locked"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // The other waits for it, then applies 002..004.
    let mut waiter = db.strata(&project).args(["migrate"]).spawn_piped();
    let stderr = waiter
        .stderr
        .take()
        .unwrap_or_else(|| panic!("stderr is piped"));
    let mut early = String::new();
    for line in std::io::BufRead::lines(std::io::BufReader::new(stderr)) {
        let line = line.unwrap_or_else(|e| panic!("reading stderr: {e}"));
        early.push_str(&line);
        if line.contains("waiting for the migration lock") {
            break;
        }
    }
    assert!(early.contains("waiting for the migration lock"), "{early}");
    // The waiter began waiting before now, and got the lock no sooner than
    // HOLD_MS after the holder started.
    let waited_at_least = Duration::from_millis(HOLD_MS)
        .saturating_sub(holder_started.elapsed())
        .as_secs_f64();
    let output = waiter
        .wait_with_output()
        .unwrap_or_else(|e| panic!("cannot wait for strata: {e}"));
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(output.status.success(), "{stdout}");
    assert!(
        holder
            .wait()
            .unwrap_or_else(|e| panic!("cannot wait for strata: {e}"))
            .success()
    );

    // "applied 002 a (301 ms)" per migration, then the total and the wait.
    let printed = lines(&stdout);
    assert_eq!(printed.len(), 4, "{stdout}");
    let each: Vec<f64> = printed[..3].iter().flat_map(|l| durations(l)).collect();
    assert_eq!(each.len(), 3, "{stdout}");
    let summary = &printed[3];
    assert!(summary.starts_with("applied 3 migrations in "), "{stdout}");
    let (total, wait) = match durations(summary)[..] {
        [total] => (total, None),
        [total, wait] => (total, Some(wait)),
        _ => panic!("no total in {summary:?}"),
    };
    // Seconds are printed to a tenth, rounded: allow half of one.
    let rounding = 0.05;
    assert!(each.iter().all(|&d| d >= 0.3), "{stdout}");
    assert!(
        total + rounding >= sleeps + waited_at_least,
        "the total leaves out at least {:.3} s of waiting for the lock:\n{stdout}",
        waited_at_least
    );
    assert!(total + rounding >= each.iter().sum::<f64>(), "{stdout}");
    // The wait is part of the total, and said.
    assert!(
        summary.contains("waiting for the migration lock"),
        "{stdout}"
    );
    let wait = wait.unwrap_or_default();
    assert!(wait + rounding >= waited_at_least, "{stdout}");
    assert!(wait <= total, "{stdout}");

    // History records what each migration took, a no-transaction one included.
    let took: Vec<u64> =
        lines_of(&db.query("select duration_ms from strata.migrations order by version"));
    assert_eq!(took.len(), 4, "{took:?}");
    assert!(took[0] >= HOLD_MS, "{took:?}");
    assert!(took[1..].iter().all(|&ms| ms >= 300), "{took:?}");

    // rollback: the same kind of total, over the down it runs.
    let stdout = db
        .strata(&project)
        .args(["rollback", "--steps", "1", "--yes"])
        .run()
        .assert_code(0)
        .stdout();
    let summary = lines(&stdout).pop().unwrap_or_default();
    assert!(
        summary.starts_with("rolled back 1 migration in "),
        "{stdout}"
    );
    let total = durations(&summary);
    assert!(total.len() == 1 && total[0] + rounding >= 0.2, "{stdout}");
}

/// Each line of `text` as a number.
fn lines_of(text: &str) -> Vec<u64> {
    lines(text)
        .iter()
        .map(|l| l.parse().unwrap_or_else(|e| panic!("{l:?}: {e}")))
        .collect()
}

#[test]
fn a_concurrent_index_build_cut_off_by_a_kill_is_found_out_from_the_catalog() {
    use std::io::Write as _;
    let server = Server::start();
    let db = server.database("cic");
    db.query("create table busy (id int); insert into busy values (1)");
    let project = Project::new();
    project.write(
        "0001_index.sql",
        "-- strata:no-transaction\ncreate index concurrently busy_id on busy (id);\n",
    );
    // An open write: the build waits for it once its index exists, INVALID.
    let mut writer = db.session();
    let mut input = writer.stdin.take().unwrap_or_else(|| panic!("no stdin"));
    input
        .write_all(b"begin;\ninsert into busy values (2);\n")
        .unwrap_or_else(|e| panic!("{e}"));
    input.flush().unwrap_or_else(|e| panic!("{e}"));
    db.wait_for(
        "select count(*) from pg_locks where relation = 'busy'::regclass and granted",
        "1",
    );
    let mut child = db.strata(&project).args(["migrate"]).spawn();
    db.wait_for("select count(*) from pg_stat_progress_create_index", "1");
    let pid = Pid::from_raw(i32::try_from(child.id()).unwrap_or(i32::MAX));
    kill(pid, Signal::SIGKILL).unwrap_or_else(|e| panic!("cannot kill strata: {e}"));
    child.wait().unwrap_or_else(|e| panic!("{e}"));

    // The server notices its client is gone and stops the build, which
    // leaves the index INVALID; strata does not guess, it asks the catalog.
    db.wait_for("select count(*) from pg_stat_progress_create_index", "0");
    db.strata(&project)
        .args(["status"])
        .run()
        .assert_code(1)
        .assert_stdout(&[
            "failed",
            "left the index public.busy_id INVALID",
            "error: index public.busy_id on public.busy is INVALID",
        ]);
    db.strata(&project)
        .args(["migrate"])
        .run()
        .assert_code(1)
        .assert_stderr(&["public.busy_id", "DROP INDEX CONCURRENTLY public.busy_id"]);

    // The recovery it gives works.
    drop(input);
    writer.wait().unwrap_or_else(|e| panic!("{e}"));
    db.query("drop index concurrently public.busy_id");
    db.strata(&project)
        .args(["repair", "--clear-failed", "0001"])
        .run()
        .assert_code(0);
    db.strata(&project).args(["migrate"]).run().assert_code(0);
    db.strata(&project).args(["status"]).run().assert_code(0);
    assert_eq!(
        db.query("select indisvalid from pg_index where indexrelid = 'busy_id'::regclass"),
        "t"
    );
}

/// A network namespace joined to this one by a veth pair, removed on drop;
/// `None` where the machine does not allow it (not root, no `ip`).
struct Link {
    namespace: String,
    outside: String,
}

impl Link {
    const HOST: &'static str = "10.213.77.1";

    fn create() -> Option<Self> {
        if !nix::unistd::geteuid().is_root() {
            return None;
        }
        let id = std::process::id() % 100_000;
        let link = Self {
            namespace: format!("strata-cut-{id}"),
            outside: format!("sc{id}a"),
        };
        let inside = format!("sc{id}b");
        let ns = link.namespace.clone();
        let steps: [&[&str]; 8] = [
            &["netns", "add", &ns],
            &[
                "link",
                "add",
                &link.outside,
                "type",
                "veth",
                "peer",
                "name",
                &inside,
            ],
            &["link", "set", &inside, "netns", &ns],
            &["addr", "add", "10.213.77.1/30", "dev", &link.outside],
            &["link", "set", &link.outside, "up"],
            &["-n", &ns, "addr", "add", "10.213.77.2/30", "dev", &inside],
            &["-n", &ns, "link", "set", &inside, "up"],
            &["-n", &ns, "link", "set", "lo", "up"],
        ];
        for step in steps {
            let ok = std::process::Command::new("ip")
                .args(step)
                .status()
                .is_ok_and(|s| s.success());
            if !ok {
                return None;
            }
        }
        Some(link)
    }

    /// Cuts the link: every packet between the two sides is lost, and no
    /// socket hears about it.
    fn cut(&self) {
        let ok = std::process::Command::new("ip")
            .args(["link", "set", &self.outside, "down"])
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "cannot cut the link");
    }
}

impl Drop for Link {
    fn drop(&mut self) {
        let _ = std::process::Command::new("ip")
            .args(["link", "del", &self.outside])
            .status();
        let _ = std::process::Command::new("ip")
            .args(["netns", "del", &self.namespace])
            .status();
    }
}

/// Forwards connections from `listen` to `to`, a thread per direction.
fn forward(listen: &str, to: u16) -> u16 {
    let listener = std::net::TcpListener::bind((listen, 0))
        .unwrap_or_else(|e| panic!("cannot listen on {listen}: {e}"));
    let port = listener
        .local_addr()
        .unwrap_or_else(|e| panic!("{e}"))
        .port();
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let Ok(server) = std::net::TcpStream::connect(("127.0.0.1", to)) else {
                return;
            };
            // A client gone silent is noticed as a server with short
            // tcp_keepalives_* and tcp_user_timeout notices it (strata asks
            // for those on its sessions); the server side then hears the end.
            {
                use nix::sys::socket::{setsockopt, sockopt};
                let _ = setsockopt(&client, sockopt::KeepAlive, &true);
                let _ = setsockopt(&client, sockopt::TcpKeepIdle, &1);
                let _ = setsockopt(&client, sockopt::TcpKeepInterval, &1);
                let _ = setsockopt(&client, sockopt::TcpKeepCount, &2);
                let _ = setsockopt(&client, sockopt::TcpUserTimeout, &2000);
            }
            for (mut from, mut into) in [
                (client.try_clone(), server.try_clone()),
                (server.try_clone(), client.try_clone()),
            ]
            .into_iter()
            .filter_map(|(a, b)| Some((a.ok()?, b.ok()?)))
            {
                std::thread::spawn(move || {
                    let _ = std::io::copy(&mut from, &mut into);
                    let _ = into.shutdown(std::net::Shutdown::Write);
                });
            }
        }
    });
    port
}

#[test]
fn a_network_cut_mid_migration_ends_the_run_by_keepalives_and_the_next_commands_say_what_to_do() {
    let Some(link) = Link::create() else {
        eprintln!("skipped: network namespaces need root and iproute2");
        return;
    };
    let server = Server::with_password("cut-pw");
    let db = server.database("cut");
    let project = Project::new();
    project.write(
        "0001_slow.sql",
        "-- strata:no-transaction\nselect pg_sleep(3);\ncreate table after_the_sleep (id int);\n",
    );
    let port = forward(Link::HOST, server.port());
    // libpq's keepalive and tcp_user_timeout settings in the URL, honoured.
    let url = format!(
        "postgres://postgres:cut-pw@{}:{port}/cut?sslmode=disable&keepalives_idle=1&keepalives_interval=1&keepalives_count=2&tcp_user_timeout=2000",
        Link::HOST
    );
    let mut child = std::process::Command::new("ip")
        .args(["netns", "exec", &link.namespace])
        .arg(env!("CARGO_BIN_EXE_strata"))
        .args(["migrate", "--url", &url])
        .current_dir(project.root())
        .env("NO_COLOR", "1")
        .env_remove("DATABASE_URL")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start strata in the namespace: {e}"));
    let waiting = std::time::Instant::now();
    while db.query("select count(*) from pg_stat_activity where query like 'select pg_sleep%'")
        != "1"
    {
        if child.try_wait().unwrap_or_else(|e| panic!("{e}")).is_some() {
            let output = child.wait_with_output().unwrap_or_else(|e| panic!("{e}"));
            panic!(
                "strata ended before the cut: {}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
        }
        assert!(
            waiting.elapsed() < Duration::from_secs(30),
            "strata never got to the sleep"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    link.cut();
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap_or_else(|e| panic!("{e}")) {
            break status;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "strata still waits on a dead link"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    let output = child.wait_with_output().unwrap_or_else(|e| panic!("{e}"));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("the connection was lost"), "{stderr}");
    assert!(!stderr.contains("cut-pw"), "{stderr}");

    // The history says the migration stopped; the schema agrees; the next
    // commands say what to do, and it works.
    db.wait_until_idle();
    assert!(!db.exists("after_the_sleep"));
    db.strata(&project)
        .args(["status"])
        .run()
        .assert_code(1)
        .assert_stdout(&["failed", "strata lost its connection while statement 1 ran"]);
    db.strata(&project)
        .args(["repair", "--clear-failed", "0001"])
        .run()
        .assert_code(0);
    db.strata(&project).args(["migrate"]).run().assert_code(0);
    assert!(db.exists("after_the_sleep"));
}
