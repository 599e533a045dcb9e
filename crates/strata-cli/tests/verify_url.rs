//! `strata verify` on a server the user provides (`[verify] url`, `--verify-url`): a
//! scratch database is created there and dropped, whatever the outcome, and nothing else on
//! the server changes; a Supabase project runs there as `postgres`, as on the platform.

#[expect(
    dead_code,
    reason = "each test binary uses its own part of the shared helpers"
)]
mod support;

use support::{Cmd, Db, Project, Server};

/// What a verify run must leave as it found it: the databases, the roles with their
/// attributes and memberships, and the per-role settings.
fn server_state(db: &Db<'_>) -> String {
    db.query(
        "SELECT (SELECT string_agg(datname, ',' ORDER BY datname) FROM pg_database) \
         || ' | ' || (SELECT string_agg(format('%s:%s%s%s', rolname, rolsuper, rolcreatedb, \
         rolcanlogin), ',' ORDER BY rolname) FROM pg_roles) \
         || ' | ' || (SELECT count(*) FROM pg_auth_members) \
         || ' | ' || (SELECT count(*) FROM pg_db_role_setting)",
    )
}

/// Writes `strata.toml`: the project's migrations directory, then `more`.
fn config(project: &Project, more: &str) {
    std::fs::write(
        project.root().join("strata.toml"),
        format!("{more}[migrations]\ndir = \"migrations\"\n"),
    )
    .unwrap_or_else(|e| panic!("cannot write strata.toml: {e}"));
}

const PASSING: &str = "CREATE TABLE note (id bigint PRIMARY KEY, body text);\n\
                       -- strata:down\nDROP TABLE note;\n";

/// The down leaves the table behind.
const BROKEN_DOWN: &str = "CREATE TABLE tag (id bigint PRIMARY KEY);\n\
                           -- strata:down\nSELECT 1;\n";

#[test]
fn verify_url_creates_and_drops_its_scratch_database_and_leaves_nothing_else() {
    let server = Server::with_password("scr@tch pass/1");
    let db = server.database("verify_target");
    let before = server_state(&db);

    let project = Project::new();
    project.write("0001_note.sql", PASSING);
    // From strata.toml, with the URL in a variable, as a CI job passes a secret.
    config(&project, "[verify]\nurl = \"${VERIFY_DATABASE_URL}\"\n");
    let ran = Cmd::new(&project)
        .env("VERIFY_DATABASE_URL", &db.url())
        .hiding(server.secrets())
        .args(["verify"])
        .run()
        .assert_code(0)
        .assert_stdout(&[
            "scratch database strata_verify_",
            "it is dropped at the end",
        ]);
    assert!(
        ran.stdout().contains("ok           0001 note"),
        "{}",
        ran.stdout()
    );
    assert!(
        !ran.stdout().contains("throwaway PostgreSQL"),
        "{}",
        ran.stdout()
    );
    assert_eq!(server_state(&db), before, "the run left something behind");
    // The migration ran in the scratch database, never in the one the URL names.
    assert!(!db.exists("public.note"));

    // A failed verification drops its database too; --verify-url wins over the setting.
    project.write("0002_tag.sql", BROKEN_DOWN);
    Cmd::new(&project)
        .env(
            "VERIFY_DATABASE_URL",
            "postgres://nobody@127.0.0.1:1/nowhere",
        )
        .hiding(server.secrets())
        .args(["verify", "--verify-url", &db.url()])
        .run()
        .assert_code(1)
        .assert_stdout(&["FAILED       0002 tag", "table public.tag was left behind"]);
    assert_eq!(
        server_state(&db),
        before,
        "the failed run left something behind"
    );
}

#[test]
fn verify_url_json_names_the_scratch_database_and_leftovers() {
    let server = Server::start();
    let db = server.database("verify_json");
    // What a killed run leaves: a scratch database nobody dropped.
    db.query("CREATE DATABASE strata_verify_deadbeef");
    let project = Project::new();
    project.write("0001_note.sql", PASSING);
    let ran = Cmd::new(&project)
        .args(["--json", "verify", "--verify-url", &db.url()])
        .run()
        .assert_code(0);
    let report: serde_json::Value =
        serde_json::from_str(&ran.stdout()).unwrap_or_else(|e| panic!("{e}: {}", ran.stdout()));
    let scratch = &report["scratch"];
    assert!(
        scratch["database"].as_str().is_some_and(
            |name| name.starts_with("strata_verify_") && name != "strata_verify_deadbeef"
        ),
        "{report:#}"
    );
    assert_eq!(
        scratch["leftovers"],
        serde_json::json!(["strata_verify_deadbeef"])
    );
    // Named, not dropped: another run may be using it.
    assert_eq!(
        db.query("SELECT count(*) FROM pg_database WHERE datname LIKE 'strata\\_verify\\_%'"),
        "1"
    );
}

#[test]
fn a_supabase_project_verifies_as_postgres_on_a_supabase_server() {
    let server = Server::supabase("sup@base pass");
    let db = server.existing("postgres");
    let before = server_state(&db);
    let project = Project::new();
    config(&project, "compat = \"supabase\"\n");
    project.write(
        "0001_profiles.sql",
        "CREATE TABLE public.profiles (\n  id uuid PRIMARY KEY REFERENCES auth.users (id),\n  name text\n);\n\
         ALTER TABLE public.profiles ENABLE ROW LEVEL SECURITY;\n\
         CREATE POLICY own ON public.profiles FOR SELECT TO authenticated USING (auth.uid() = id);\n\
         -- strata:down\nDROP TABLE public.profiles;\n",
    );
    // The URL logs in as the superuser; migrations run as postgres.
    let ran = Cmd::new(&project)
        .hiding(server.secrets())
        .args(["verify", "--verify-url", &db.url()])
        .run()
        .assert_code(0)
        .assert_stdout(&["migrations run as postgres", "ok           0001 profiles"]);
    drop(ran);
    assert_eq!(server_state(&db), before, "the run left something behind");

    // What only a superuser may do fails as on the platform, with the advice for it.
    project.write(
        "0002_event_trigger.sql",
        "CREATE FUNCTION public.on_ddl() RETURNS event_trigger LANGUAGE plpgsql AS $$ BEGIN END $$;\n\
         CREATE EVENT TRIGGER on_ddl ON ddl_command_end EXECUTE FUNCTION public.on_ddl();\n\
         -- strata:down\nDROP EVENT TRIGGER on_ddl;\nDROP FUNCTION public.on_ddl();\n",
    );
    Cmd::new(&project)
        .hiding(server.secrets())
        .args(["verify", "--verify-url", &db.url()])
        .run()
        .assert_code(1)
        .assert_stdout(&["FAILED       0002 event_trigger", "superuser"]);
    assert_eq!(
        server_state(&db),
        before,
        "the failed run left something behind"
    );
}

#[test]
fn a_supabase_project_refuses_a_server_that_is_not_supabase() {
    let server = Server::start();
    let db = server.database("plain_target");
    let before = server_state(&db);
    let project = Project::new();
    config(&project, "compat = \"supabase\"\n");
    project.write("0001_note.sql", PASSING);
    Cmd::new(&project)
        .args(["verify", "--verify-url", &db.url()])
        .run()
        .assert_code(2)
        .assert_stderr(&["is not a Supabase database", "no role `anon`"]);
    assert_eq!(server_state(&db), before);
}
