//! `strata verify` through the binary: round trips, irreversible migrations,
//! schema differences, SQL tests with row-level security, missing extensions.

use std::path::Path;
use std::process::{Command, Output};

fn strata(project: &Path, args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_strata"));
    command.current_dir(project).args(args).env("NO_COLOR", "1");
    command.env_remove("DATABASE_URL");
    command
        .output()
        .unwrap_or_else(|e| panic!("cannot run strata: {e}"))
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    for (path, content) in files {
        let path = dir.path().join(path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap_or_else(|e| panic!("{e}"));
        }
        std::fs::write(path, content).unwrap_or_else(|e| panic!("{e}"));
    }
    dir
}

fn examples() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples")
}

#[test]
fn the_example_projects_pass() {
    for example in ["quickstart", "supabase-app"] {
        let output = strata(&examples().join(example), &["verify"]);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{example}:\n{}",
            stdout(&output)
        );
    }
    let output = strata(&examples().join("supabase-app"), &["verify", "--json"]);
    let report: serde_json::Value =
        serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(report["ok"], true);
    assert_eq!(report["supabase"], true);
    assert_eq!(report["tests"][0]["passed"], true);
    assert_eq!(report["migrations"].as_array().map(Vec::len), Some(4));
}

#[test]
fn a_down_that_forgets_an_index_fails_naming_the_migration_and_the_index() {
    let dir = project(&[
        (
            "migrations/0001_t.sql",
            "-- strata:up\ncreate table t (id int);\n-- strata:down\ndrop table t;\n",
        ),
        (
            "migrations/0002_idx.sql",
            "-- strata:up\ncreate index t_id_idx on t (id);\nalter table t add column note text;\n-- strata:down\nalter table t drop column note;\n",
        ),
        (
            "migrations/0003_later.sql",
            "-- strata:up\ncreate table later (id int);\n-- strata:down\ndrop table later;\n",
        ),
    ]);
    let output = strata(dir.path(), &["verify"]);
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{out}");
    assert!(out.contains("FAILED       0002 idx"), "{out}");
    assert!(
        out.contains("index public.t_id_idx was left behind"),
        "{out}"
    );
    assert!(out.contains("later migrations were not checked"), "{out}");
}

#[test]
fn an_irreversible_migration_is_reported_and_no_roundtrip_only_applies() {
    let dir = project(&[
        (
            "migrations/0001_plain.sql",
            "create table plain (id int);\n",
        ),
        (
            "migrations/0002_bad_down.sql",
            "-- strata:up\ncreate table b (id int);\n-- strata:down\nselect 1;\n",
        ),
    ]);
    let output = strata(dir.path(), &["verify", "--no-roundtrip", "--json"]);
    let report: serde_json::Value =
        serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(report["migrations"][0]["result"], "irreversible");
    assert_eq!(report["migrations"][1]["result"], "applied");
    // With round trips, the down that leaves table b behind fails.
    let output = strata(dir.path(), &["verify"]);
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{out}");
    assert!(out.contains("irreversible 0001 plain"), "{out}");
    assert!(out.contains("table public.b was left behind"), "{out}");
    // --from skips the round trip of earlier migrations.
    let output = strata(dir.path(), &["verify", "--from", "3"]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
}

#[test]
fn an_rls_test_that_sees_another_users_rows_fails() {
    let up = "-- strata:up
create table public.notes (
    id bigint generated always as identity primary key,
    owner uuid not null references auth.users (id),
    body text
);
alter table public.notes enable row level security;
create policy notes_read on public.notes for select to authenticated using (true);
-- strata:down
drop table public.notes;
";
    let test = "insert into auth.users (id) values ('11111111-1111-1111-1111-111111111111'), ('22222222-2222-2222-2222-222222222222');
insert into public.notes (owner, body) values ('11111111-1111-1111-1111-111111111111', 'mine'), ('22222222-2222-2222-2222-222222222222', 'theirs');
select strata_test.login_as('11111111-1111-1111-1111-111111111111');
do $$ begin
    if (select count(*) from public.notes) <> 1 then
        raise exception 'user 1 sees % notes', (select count(*) from public.notes);
    end if;
end $$;
";
    let dir = project(&[
        (
            "strata.toml",
            "compat = \"supabase\"\n[verify]\ntests = \"tests\"\n",
        ),
        ("migrations/0001_notes.sql", up),
        ("tests/notes_rls.sql", test),
    ]);
    let output = strata(dir.path(), &["verify"]);
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{out}");
    assert!(out.contains("user 1 sees 2 notes"), "{out}");

    // With the policy fixed, the same test passes.
    std::fs::write(
        dir.path().join("migrations/0001_notes.sql"),
        up.replace("using (true)", "using ((select auth.uid()) = owner)"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let output = strata(dir.path(), &["verify"]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
}

#[test]
fn a_missing_extension_is_named_with_how_to_get_it() {
    let dir = project(&[(
        "migrations/0001_vector.sql",
        "create extension if not exists vector;\n",
    )]);
    let output = strata(dir.path(), &["verify"]);
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{out}");
    assert!(out.contains("vector"), "{out}");
    assert!(out.contains("pgvector"), "{out}");
}

#[test]
fn an_unindexed_foreign_key_is_a_warning_attributed_to_its_migration() {
    let dir = project(&[
        (
            "migrations/0001_parent.sql",
            "-- strata:up\ncreate table parent (id int primary key);\nalter table parent enable row level security;\ncreate policy p on parent using (true);\n-- strata:down\ndrop table parent;\n",
        ),
        (
            "migrations/0002_child.sql",
            "-- strata:up\ncreate table child (id int primary key);\nalter table child enable row level security;\ncreate policy p on child using (true);\n-- strata:down\ndrop table child;\n",
        ),
        (
            "migrations/0003_link.sql",
            "-- strata:up\nalter table child add column parent_id int references parent (id);\n-- strata:down\nalter table child drop column parent_id;\n",
        ),
    ]);
    let output = strata(dir.path(), &["verify"]);
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{out}");
    assert!(
        out.contains(
            "warning      0003 link: foreign key child_parent_id_fkey on public.child (parent_id) has no index"
        ),
        "{out}"
    );
    assert!(out.contains("help: create an index"), "{out}");
    assert!(out.contains("1 catalog warning"), "{out}");

    let output = strata(dir.path(), &["verify", "--json"]);
    assert_eq!(output.status.code(), Some(0));
    let report: serde_json::Value =
        serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(report["ok"], true);
    let checks = report["catalog"]
        .as_array()
        .unwrap_or_else(|| panic!("{report}"));
    assert_eq!(checks.len(), 1, "{report}");
    assert_eq!(checks[0]["code"], "unindexed-foreign-key");
    assert_eq!(checks[0]["object"], "child_parent_id_fkey on public.child");
    assert_eq!(checks[0]["version"], "0003");
    assert_eq!(checks[0]["name"], "link");

    // With the index, no warning.
    std::fs::write(
        dir.path().join("migrations/0004_index.sql"),
        "-- strata:up\ncreate index child_parent_id_idx on child (parent_id);\n-- strata:down\ndrop index child_parent_id_idx;\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let output = strata(dir.path(), &["verify"]);
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{out}");
    assert!(!out.contains("warning"), "{out}");
}

#[test]
fn test_files_with_their_own_transactions_run_as_psql_runs_them() {
    // As under pg_prove: a helper file's work outside its own BEGIN ... ROLLBACK
    // stays for the files after it; a file without transactions of its own is
    // still rolled back.
    let helpers = "create schema helpers;
create function helpers.one() returns int language sql as 'select 1';
begin;
select 1;
rollback;
";
    let uses = "begin;
do $$ begin
    if helpers.one() <> 1 then raise exception 'helpers.one() is not 1'; end if;
end $$;
rollback;
";
    let dir = project(&[
        ("strata.toml", "[verify]\ntests = \"tests\"\n"),
        (
            "migrations/0001_t.sql",
            "-- strata:up\ncreate table t (id int primary key);\n-- strata:down\ndrop table t;\n",
        ),
        ("tests/1_helpers.sql", helpers),
        ("tests/2_uses_helpers.sql", uses),
        (
            "tests/3_leaves_a_table.sql",
            "create table leftover (id int);\n",
        ),
        (
            "tests/4_sees_no_leftover.sql",
            "do $$ begin if to_regclass('leftover') is not null then raise exception 'leftover leaked'; end if; end $$;\n",
        ),
    ]);
    let output = strata(dir.path(), &["verify"]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
}

/// Three migrations: the first's down leaves a table (and a role) behind, the
/// second's down fails, the third is sound.
fn two_broken_downs() -> tempfile::TempDir {
    project(&[
        (
            "migrations/0001_leaves_a_table.sql",
            "-- strata:up\ncreate table kept_a (id int);\ncreate table kept_b (id int);\ncreate role keep_going_reader;\n-- strata:down\ndrop table kept_a;\n",
        ),
        (
            "migrations/0002_down_errors.sql",
            "-- strata:up\ncreate table errs (id int);\n-- strata:down\ndrop table no_such_table;\ndrop table errs;\n",
        ),
        (
            "migrations/0003_sound.sql",
            "-- strata:up\ncreate table sound (id int primary key);\n-- strata:down\ndrop table sound;\n",
        ),
    ])
}

#[test]
fn keep_going_reports_every_broken_down_and_checks_the_migrations_after_them() {
    let dir = two_broken_downs();
    let output = strata(dir.path(), &["verify", "--keep-going"]);
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{out}");
    assert!(out.contains("FAILED       0001 leaves_a_table"), "{out}");
    assert!(out.contains("table public.kept_b was left behind"), "{out}");
    // Rebuilt: the role the first migration made is dropped with the
    // database, or making it again would fail.
    assert!(out.contains("going on in a new database"), "{out}");
    assert!(out.contains("FAILED       0002 down_errors"), "{out}");
    assert!(out.contains("no_such_table"), "{out}");
    assert!(out.contains("ok           0003 sound"), "{out}");
    // The summary at the end lists both.
    let failures = out
        .split("failures:\n")
        .nth(1)
        .unwrap_or_else(|| panic!("no list of failures:\n{out}"));
    assert!(
        failures.contains(
            "  0001 leaves_a_table: the down does not restore the schema: table public.kept_b was left behind"
        ),
        "{out}"
    );
    assert!(failures.contains("  0002 down_errors: down: "), "{out}");
    assert!(
        failures.contains("3 migrations checked") && failures.contains("1 round trip(s) passed"),
        "{out}"
    );
    assert!(!out.contains("later migrations were not checked"), "{out}");

    let output = strata(dir.path(), &["verify", "--keep-going", "--json"]);
    assert_eq!(output.status.code(), Some(1));
    let report: serde_json::Value =
        serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(report["ok"], false, "{report}");
    assert_eq!(report["unchecked"], 0, "{report}");
    let results: Vec<_> = report["migrations"]
        .as_array()
        .unwrap_or_else(|| panic!("{report}"))
        .iter()
        .map(|m| (m["result"].clone(), m["continued"].clone()))
        .collect();
    assert_eq!(
        results,
        vec![
            ("schema-differs".into(), "rebuilt".into()),
            ("down-failed".into(), "as-applied".into()),
            ("passed".into(), serde_json::Value::Null),
        ],
        "{report}"
    );
    // The final schema was reached: the catalog checks ran, and name the
    // migration of each object.
    let catalog = report["catalog"]
        .as_array()
        .unwrap_or_else(|| panic!("{report}"));
    assert!(
        catalog
            .iter()
            .any(|c| c["version"] == "0002" && c["object"] == "public.errs"),
        "{report}"
    );

    // Without --keep-going, verify stops at the first failure, as it did.
    let output = strata(dir.path(), &["verify"]);
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{out}");
    assert!(out.contains("FAILED       0001 leaves_a_table"), "{out}");
    assert!(!out.contains("0002 down_errors"), "{out}");
    assert!(!out.contains("0003 sound"), "{out}");
    assert!(
        out.contains("later migrations were not checked: they build on the one that failed (--keep-going checks them too)"),
        "{out}"
    );
}

#[test]
fn keep_going_stops_at_an_up_that_fails() {
    let dir = project(&[
        (
            "migrations/0001_leaves_a_table.sql",
            "-- strata:up\ncreate table kept (id int);\n-- strata:down\nselect 1;\n",
        ),
        (
            "migrations/0002_up_fails.sql",
            "-- strata:up\nalter table nowhere add column x int;\n-- strata:down\nselect 1;\n",
        ),
        (
            "migrations/0003_sound.sql",
            "-- strata:up\ncreate table sound (id int primary key);\n-- strata:down\ndrop table sound;\n",
        ),
    ]);
    let output = strata(dir.path(), &["verify", "--keep-going"]);
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{out}");
    assert!(out.contains("FAILED       0001 leaves_a_table"), "{out}");
    assert!(out.contains("FAILED       0002 up_fails"), "{out}");
    assert!(!out.contains("0003 sound"), "{out}");
    assert!(
        out.contains(
            "later migrations were not checked: they build on 0002 up_fails, whose up failed"
        ),
        "{out}"
    );
}

#[test]
fn keep_going_rebuilds_a_supabase_projects_database_with_the_stand_in() {
    let dir = project(&[
        ("strata.toml", "compat = \"supabase\"\n"),
        (
            "migrations/0001_notes.sql",
            "-- strata:up\ncreate table public.notes (id bigint primary key, owner uuid references auth.users (id));\ncreate table public.extra (id int);\n-- strata:down\ndrop table public.notes;\n",
        ),
        (
            "migrations/0002_policy.sql",
            "-- strata:up\nalter table public.notes enable row level security;\ncreate policy own on public.notes for select to authenticated using ((select auth.uid()) = owner);\n-- strata:down\ndrop policy own on public.notes;\nalter table public.notes disable row level security;\n",
        ),
    ]);
    let output = strata(dir.path(), &["verify", "--keep-going"]);
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{out}");
    assert!(out.contains("table public.extra was left behind"), "{out}");
    assert!(out.contains("going on in a new database"), "{out}");
    assert!(out.contains("ok           0002 policy"), "{out}");
}

#[test]
fn keep_going_on_a_provided_server_replaces_the_scratch_database_and_drops_every_one() {
    let cluster = strata_ephemeral::Cluster::builder()
        .start()
        .unwrap_or_else(|e| panic!("cannot start a cluster: {e}"));
    let psql = |sql: &str| {
        let output = cluster
            .client_command("psql")
            .args(["-X", "-A", "-t", "-c", sql])
            .output()
            .unwrap_or_else(|e| panic!("cannot run psql: {e}"));
        String::from_utf8_lossy(&output.stdout).trim().to_owned()
    };
    let databases = "select string_agg(datname, ',' order by datname) from pg_database";
    let before = psql(databases);
    let url = cluster.url("postgres");
    let dir = project(&[
        (
            "migrations/0001_leaves_a_table.sql",
            "-- strata:up\ncreate table kept_a (id int);\ncreate table kept_b (id int);\n-- strata:down\ndrop table kept_a;\n",
        ),
        (
            "migrations/0002_sound.sql",
            "-- strata:up\ncreate table sound (id int primary key);\n-- strata:down\ndrop table sound;\n",
        ),
    ]);
    let output = strata(
        dir.path(),
        &["verify", "--keep-going", "--verify-url", &url],
    );
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{out}");
    assert!(out.contains("FAILED       0001 leaves_a_table"), "{out}");
    assert!(out.contains("going on in a new database"), "{out}");
    assert!(out.contains("ok           0002 sound"), "{out}");
    assert_eq!(
        psql(databases),
        before,
        "a scratch database was left behind"
    );

    // Roles are the server's: strata does not drop them there, so making
    // one again in the new database fails, and says so.
    std::fs::write(
        dir.path().join("migrations/0001_leaves_a_table.sql"),
        "-- strata:up\ncreate table kept_a (id int);\ncreate table kept_b (id int);\ncreate role keep_going_provided;\n-- strata:down\ndrop table kept_a;\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let output = strata(
        dir.path(),
        &["verify", "--keep-going", "--verify-url", &url],
    );
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{out}");
    assert!(
        out.contains("later migrations were not checked: in the new database, applying migration 0001 leaves_a_table again failed"),
        "{out}"
    );
    assert!(out.contains("keep_going_provided"), "{out}");
    assert!(!out.contains("0002 sound"), "{out}");
    assert_eq!(
        psql(databases),
        before,
        "a scratch database was left behind"
    );
}

#[test]
fn keep_going_rebuilds_after_a_down_outside_a_transaction_stops_part_way() {
    // The down dropped the index before it failed: the migration is no
    // longer applied as it was, so the next one needs a rebuilt database.
    let dir = project(&[
        (
            "migrations/0001_concurrently.sql",
            "-- strata:no-transaction\n-- strata:up\ncreate table t (id int);\ncreate index concurrently t_id_idx on t (id);\n-- strata:down\ndrop index concurrently t_id_idx;\ndrop table no_such_table;\ndrop table t;\n",
        ),
        (
            "migrations/0002_uses_the_index.sql",
            "-- strata:up\nalter index t_id_idx rename to t_id_index;\n-- strata:down\nalter index t_id_index rename to t_id_idx;\n",
        ),
    ]);
    let output = strata(dir.path(), &["verify", "--keep-going", "--json"]);
    let report: serde_json::Value =
        serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(output.status.code(), Some(1), "{report}");
    assert_eq!(report["migrations"][0]["result"], "down-failed", "{report}");
    assert_eq!(report["migrations"][0]["continued"], "rebuilt", "{report}");
    assert_eq!(report["migrations"][1]["result"], "passed", "{report}");
}
