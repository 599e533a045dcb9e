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
