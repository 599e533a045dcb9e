//! A Supabase project's migrations run as Supabase runs them, in `strata verify` and on the
//! local database: as `postgres`, which is not a superuser, with Supabase's default
//! privileges; pg_cron's jobs recorded and never run; the tests under `supabase/tests` run as
//! `supabase test db` runs them.

#[expect(
    dead_code,
    reason = "each test binary uses its own part of the shared helpers"
)]
mod support;

use std::path::{Path, PathBuf};
use std::process::Output;

use strata_ephemeral::PgBinaries;

/// `strata ARGS` in `project`, with no database from the environment.
fn strata(project: &Path, args: &[&str]) -> Output {
    support::Cmd::in_dir(project).args(args).run().into_output()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn both(output: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        output.status.code(),
        stdout(output),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// A project directory, whose local database (if a test made one) is deleted at the end.
struct Project {
    dir: tempfile::TempDir,
}

impl Project {
    fn new(files: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let project = Self { dir };
        for (path, content) in files {
            project.write(path, content);
        }
        project
    }

    fn write(&self, path: &str, content: &str) {
        let path = self.dir.path().join(path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap_or_else(|e| panic!("{e}"));
        }
        std::fs::write(path, content).unwrap_or_else(|e| panic!("{e}"));
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn run(&self, args: &[&str]) -> Output {
        strata(self.path(), args)
    }
}

impl Drop for Project {
    fn drop(&mut self) {
        if self.path().join(".strata/local").exists() {
            let _ = strata(self.path(), &["local", "reset", "--yes"]);
        }
    }
}

const SUPABASE_TOML: &str = "compat = \"supabase\"\n[migrations]\ndir = \"supabase/migrations\"\n";

/// Fails unless it runs as Supabase's postgres: the role `postgres`, not a superuser.
const AS_SUPABASE_POSTGRES: &str = "do $$
begin
    if current_user <> 'postgres' then
        raise exception 'migrations run as %, not postgres', current_user;
    end if;
    if (select rolsuper from pg_roles where rolname = current_user) then
        raise exception 'migrations run as a superuser';
    end if;
end
$$;
";

/// The server's pgTAP control file, where installations put it.
fn has_pgtap(binaries: &PgBinaries) -> bool {
    let major = binaries.version().major().to_string();
    let prefix = binaries.bin_dir().parent().map(Path::to_path_buf);
    let mut places: Vec<PathBuf> = vec![
        PathBuf::from("/usr/share/postgresql")
            .join(&major)
            .join("extension"),
    ];
    if let Some(prefix) = prefix {
        places.push(prefix.join("share/extension"));
        places.push(prefix.join("share/postgresql/extension"));
    }
    places.iter().any(|dir| dir.join("pgtap.control").is_file())
}

#[test]
fn supabase_migrations_run_as_postgres_not_a_superuser_in_verify_and_locally() {
    let project = Project::new(&[
        ("strata.toml", SUPABASE_TOML),
        (
            "supabase/migrations/20260101000000_as_postgres.sql",
            AS_SUPABASE_POSTGRES,
        ),
    ]);
    let output = project.run(&["verify"]);
    assert_eq!(output.status.code(), Some(0), "{}", both(&output));
    assert!(
        stdout(&output).contains("with the Supabase stand-in"),
        "{}",
        both(&output)
    );
    // The local database too: made with Supabase's roles, migrated as postgres.
    let output = project.run(&["migrate"]);
    assert_eq!(output.status.code(), Some(0), "{}", both(&output));
    let url = stdout(&project.run(&["local", "url"]));
    assert!(url.starts_with("postgres://postgres:"), "{url}");
    let _ = project.run(&["local", "stop"]);

    // A plain project's migrations run as the superuser: the same file fails there.
    let plain = Project::new(&[("migrations/0001_as_postgres.sql", AS_SUPABASE_POSTGRES)]);
    let output = plain.run(&["verify"]);
    assert_eq!(output.status.code(), Some(1), "{}", both(&output));
    assert!(
        stdout(&output).contains("migrations run as a superuser"),
        "{}",
        both(&output)
    );
}

#[test]
fn a_migration_needing_a_superuser_fails_in_verify_with_supabase_advice() {
    let migration = "create role reporting_admin superuser;
-- ROLLBACK:
-- drop role reporting_admin;
";
    let project = Project::new(&[
        ("strata.toml", SUPABASE_TOML),
        ("supabase/migrations/20260101000000_admin.sql", migration),
    ]);
    let output = project.run(&["verify"]);
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{}", both(&output));
    assert!(out.contains("SQLSTATE 42501"), "{out}");
    assert!(
        out.contains("Supabase runs migrations as its `postgres` role, which is not a superuser"),
        "{out}"
    );
    let output = project.run(&["verify", "--json"]);
    let report: serde_json::Value =
        serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{e}: {}", both(&output)));
    let error = report["migrations"][0]["error"]
        .as_str()
        .unwrap_or_default();
    assert!(error.contains("not a superuser"), "{report}");

    // In a plain project the advice names no platform.
    let plain = Project::new(&[(
        "migrations/0001_admin.sql",
        "-- strata:up\ndo $$ begin set local role pg_monitor; create role x superuser; end $$;\n",
    )]);
    let out = stdout(&plain.run(&["verify"]));
    assert!(out.contains("needs a superuser"), "{out}");
    assert!(!out.contains("Supabase"), "{out}");
}

#[test]
fn a_supabase_migration_passes_with_supabase_default_privileges_and_supabase_tests_run() {
    let migration = "create table public.notes (
    id bigint generated always as identity primary key,
    owner uuid not null default auth.uid() references auth.users (id) on delete cascade,
    body text not null
);
alter table public.notes enable row level security;
create policy \"owners read their notes\" on public.notes
    for select to authenticated using ((select auth.uid()) = owner);
create policy \"owners write their notes\" on public.notes
    for insert to authenticated with check ((select auth.uid()) = owner);
grant select on public.notes to anon;
grant select, insert on public.notes to authenticated;
-- ROLLBACK:
-- drop table public.notes;
";
    // Supabase's default privileges for what postgres creates in public: everything, to
    // every API role (row-level security decides).
    let privileges = "do $$
begin
    if not (has_table_privilege('anon', 'public.notes', 'select, insert, update, delete, truncate, references, trigger')
        and has_table_privilege('authenticated', 'public.notes', 'select, insert, update, delete, truncate, references, trigger')
        and has_table_privilege('service_role', 'public.notes', 'select, insert, update, delete, truncate, references, trigger')
        and has_sequence_privilege('authenticated', 'public.notes_id_seq', 'usage, select, update')) then
        raise exception 'public.notes lacks Supabase''s default privileges';
    end if;
end
$$;
";
    let project = Project::new(&[
        ("strata.toml", SUPABASE_TOML),
        ("supabase/migrations/20260101000000_notes.sql", migration),
        ("supabase/tests/privileges.sql", privileges),
    ]);
    let binaries = PgBinaries::find().unwrap_or_else(|e| panic!("{e}"));
    let pgtap = has_pgtap(&binaries);
    let pgtap_test = |expected: &str| {
        format!(
            "begin;
select plan(2);
insert into auth.users (id) values ('11111111-1111-1111-1111-111111111111');
select set_config('request.jwt.claims', '{{\"sub\": \"11111111-1111-1111-1111-111111111111\", \"role\": \"authenticated\"}}', true);
set local role authenticated;
insert into public.notes (body) values ('mine');
select is((select count(*) from public.notes)::int, {expected}, 'a user sees their own note');
select ok(current_user = 'authenticated', 'tests switch roles as postgres');
select * from finish();
rollback;
"
        )
    };
    if pgtap {
        // In a subdirectory, with the `.pg` extension: pg_prove -r --ext .pg --ext .sql.
        project.write("supabase/tests/database/notes.pg", &pgtap_test("1"));
    }
    let output = project.run(&["verify", "--json"]);
    let report: serde_json::Value =
        serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{e}: {}", both(&output)));
    assert_eq!(report["ok"], true, "{report}");
    assert_eq!(report["supabase"], true, "{report}");
    let tests: Vec<String> = report["tests"]
        .as_array()
        .map(|tests| {
            tests
                .iter()
                .map(|t| t["file"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default();
    let expected = if pgtap { 2 } else { 1 };
    assert_eq!(tests.len(), expected, "{report}");
    assert!(
        tests.iter().any(|t| t.ends_with("privileges.sql")),
        "{tests:?}"
    );

    // Without the default privileges, the test says so.
    project.write(
        "supabase/migrations/20260101000000_notes.sql",
        &migration.replace(
            "grant select on public.notes to anon;",
            "revoke all on public.notes from anon;",
        ),
    );
    let output = project.run(&["verify"]);
    assert_eq!(output.status.code(), Some(1), "{}", both(&output));
    assert!(
        stdout(&output).contains("lacks Supabase's default privileges"),
        "{}",
        both(&output)
    );

    if !pgtap {
        eprintln!("pgTAP is not installed here (postgresql-<major>-pgtap): its test is skipped");
        return;
    }
    // A pgTAP test that fails fails verify.
    project.write("supabase/migrations/20260101000000_notes.sql", migration);
    project.write("supabase/tests/database/notes.pg", &pgtap_test("2"));
    let output = project.run(&["verify"]);
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{}", both(&output));
    assert!(
        out.contains("not ok 1 - a user sees their own note"),
        "{out}"
    );

    // A plan that is not met fails as pg_prove fails it, though every test that ran passed.
    project.write(
        "supabase/tests/database/notes.pg",
        &pgtap_test("1").replace("select plan(2);", "select plan(3);"),
    );
    let output = project.run(&["verify"]);
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{}", both(&output));
    assert!(out.contains("planned 3 test(s) but ran 2"), "{out}");
}

#[test]
fn pg_cron_jobs_scheduled_by_a_migration_are_accepted_and_never_run() {
    let binaries = PgBinaries::find().unwrap_or_else(|e| panic!("{e}"));
    if !binaries.has_library("pg_cron") {
        eprintln!("pg_cron is not installed here (postgresql-<major>-cron): skipped");
        return;
    }
    let migration = "create extension if not exists pg_cron with schema extensions;
create table public.ticks (at timestamptz not null);
select cron.schedule('tick', '* * * * *', 'insert into public.ticks values (now())');
-- ROLLBACK:
-- select cron.unschedule('tick');
-- drop table public.ticks;
-- drop extension pg_cron;
";
    let test = "do $$
begin
    if (select count(*) from cron.job where jobname = 'tick') <> 1 then
        raise exception 'the job was not scheduled';
    end if;
    if exists (select from pg_stat_activity where backend_type = 'pg_cron launcher') then
        raise exception 'pg_cron''s scheduler runs during verify';
    end if;
    if (select count(*) from cron.job_run_details) <> 0 or (select count(*) from public.ticks) <> 0 then
        raise exception 'a job ran during verify';
    end if;
end
$$;
";
    let project = Project::new(&[
        ("strata.toml", SUPABASE_TOML),
        ("supabase/migrations/20260101000000_cron.sql", migration),
        ("supabase/tests/cron.sql", test),
    ]);
    let output = project.run(&["verify"]);
    assert_eq!(output.status.code(), Some(0), "{}", both(&output));
    assert!(
        stdout(&output).contains("ok           20260101000000 cron"),
        "{}",
        both(&output)
    );
    assert!(
        stdout(&output).contains("test supabase/tests/cron.sql"),
        "{}",
        both(&output)
    );
}
