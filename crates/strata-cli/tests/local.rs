//! The embedded local PostgreSQL (`.strata/local/`), through the `strata` binary.

#[expect(
    dead_code,
    reason = "each test binary uses its own part of the shared helpers"
)]
mod support;

use std::path::Path;
use std::process::Output;

/// `strata ARGS` in `project`, with no database from the environment.
fn strata(project: &Path, args: &[&str]) -> Output {
    support::Cmd::in_dir(project).args(args).run().into_output()
}

#[track_caller]
fn ok(output: &Output) -> String {
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "exit {:?}\nstdout:\n{stdout}\nstderr:\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

fn json(output: &Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}",
            String::from_utf8_lossy(&output.stdout)
        )
    })
}

/// A project with two migrations, stopped again however the test ends.
struct Project {
    dir: tempfile::TempDir,
}

impl Project {
    fn new(table: &str) -> Self {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let migrations = dir.path().join("migrations");
        std::fs::create_dir_all(&migrations).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(
            migrations.join("0001_create.sql"),
            format!("-- strata:up\ncreate table {table} (id int);\n-- strata:down\ndrop table {table};\n"),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        Self { dir }
    }

    /// A Supabase project (`compat = "supabase"`, migrations in `supabase/migrations`)
    /// whose migration calls uuid-ossp's and pgcrypto's functions unqualified, as Supabase
    /// projects do: Supabase puts schema `extensions` on the search path.
    fn supabase(table: &str) -> Self {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(
            dir.path().join("strata.toml"),
            "compat = \"supabase\"\n\n[migrations]\ndir = \"supabase/migrations\"\n",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let migrations = dir.path().join("supabase/migrations");
        std::fs::create_dir_all(&migrations).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(
            migrations.join("20240101000000_tokens.sql"),
            format!(
                "create table public.{table} (\n  id uuid primary key default uuid_generate_v4(),\n  \
                 secret bytea not null default gen_random_bytes(16)\n);\n\
                 insert into public.{table} default values;\n"
            ),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        Self { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn state(&self) -> serde_json::Value {
        json(&strata(self.path(), &["local", "status", "--json"]))
    }
}

impl Drop for Project {
    fn drop(&mut self) {
        let _ = strata(self.path(), &["local", "reset", "--yes"]);
    }
}

#[test]
fn with_no_database_given_commands_use_the_local_cluster_and_stop_it_again() {
    let project = Project::new("on_demand");
    assert_eq!(project.state()["state"], "missing");
    ok(&strata(project.path(), &["migrate"]));
    assert!(project.path().join(".strata/local").is_dir());
    assert_eq!(project.state()["state"], "stopped");
    // The data stays: the next command sees the applied migration.
    let status = json(&strata(project.path(), &["status", "--json"]));
    assert_eq!(status["migrations"][0]["state"], "applied");
    assert_eq!(project.state()["state"], "stopped");
}

#[test]
fn local_start_keeps_it_running_until_local_stop() {
    let project = Project::new("pinned");
    ok(&strata(project.path(), &["local", "start"]));
    let state = project.state();
    assert_eq!(state["state"], "running");
    assert_eq!(state["pinned"], true);
    ok(&strata(project.path(), &["migrate", "--local"]));
    assert_eq!(project.state()["state"], "running");
    // `local url` gives the password (it is for other tools); every other output masks it.
    let password_file = project.path().join(".strata/local/password");
    let password = std::fs::read_to_string(&password_file).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(password.len(), 32, "{password}");
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(&password_file)
            .unwrap_or_else(|e| panic!("{e}"))
            .permissions(),
    );
    assert_eq!(mode & 0o777, 0o600);
    let url = ok(&strata(project.path(), &["local", "url"]));
    let masked = state["url"].as_str().unwrap_or_default();
    assert!(masked.contains(":***@"), "{masked}");
    assert_eq!(url.trim(), masked.replace("***", &password));
    let status = ok(&strata(project.path(), &["status", "--local"]));
    assert!(!status.contains(&password), "{status}");
    // Without the password, the database is closed (trust would let any local user in).
    let port = state["port"].as_u64().unwrap_or_default();
    let anonymous = strata(
        project.path(),
        &[
            "status",
            "--url",
            &format!("postgres://postgres@127.0.0.1:{port}/postgres?sslmode=disable"),
        ],
    );
    let stderr = String::from_utf8_lossy(&anonymous.stderr);
    assert!(
        !anonymous.status.success() && stderr.contains("password"),
        "{stderr}"
    );
    ok(&strata(project.path(), &["status", "--url", url.trim()]));
    ok(&strata(project.path(), &["local", "stop"]));
    assert_eq!(project.state()["state"], "stopped");
    // A reset forgets the password with the data.
    ok(&strata(project.path(), &["local", "reset", "--yes"]));
    assert!(!password_file.exists());
}

#[test]
fn two_projects_do_not_collide() {
    let first = Project::new("first_table");
    let second = Project::new("second_table");
    ok(&strata(first.path(), &["local", "start"]));
    ok(&strata(second.path(), &["local", "start"]));
    let (a, b) = (first.state(), second.state());
    assert_eq!(
        (&a["state"], &b["state"]),
        (&"running".into(), &"running".into())
    );
    assert_ne!(a["port"], b["port"]);
    assert_ne!(a["data_dir"], b["data_dir"]);
    ok(&strata(first.path(), &["migrate"]));
    let second_status = json(&strata(second.path(), &["status", "--json"]));
    assert_eq!(second_status["migrations"][0]["state"], "pending");
}

#[test]
fn a_crashed_cluster_is_recovered() {
    let project = Project::new("crashed");
    ok(&strata(project.path(), &["local", "start"]));
    let pid = project.state()["pid"].as_i64().unwrap_or(0);
    assert!(pid > 0);
    let pid = nix::unistd::Pid::from_raw(i32::try_from(pid).unwrap_or(0));
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGKILL)
        .unwrap_or_else(|e| panic!("cannot kill the postmaster: {e}"));
    // Wait until the postmaster is gone; its postmaster.pid stays behind.
    for _ in 0..100 {
        if nix::sys::signal::kill(pid, None).is_err() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    ok(&strata(project.path(), &["migrate"]));
    let status = json(&strata(project.path(), &["status", "--json"]));
    assert_eq!(status["migrations"][0]["state"], "applied");
}

#[test]
fn reset_asks_for_confirmation_and_deletes_the_data() {
    let project = Project::new("doomed");
    ok(&strata(project.path(), &["migrate"]));
    let refused = strata(project.path(), &["local", "reset"]);
    assert_eq!(refused.status.code(), Some(2));
    assert_eq!(project.state()["state"], "stopped");
    ok(&strata(project.path(), &["local", "reset", "--yes"]));
    assert_eq!(project.state()["state"], "missing");
    let status = json(&strata(project.path(), &["status", "--json"]));
    assert_eq!(status["migrations"][0]["state"], "pending");
}

#[test]
fn supabase_extensions_resolve_on_the_first_migrate_after_create_and_after_reset() {
    let project = Project::supabase("tokens");
    assert_eq!(project.state()["state"], "missing");
    // The very first command makes the database and installs the stand-in; the migration
    // runs in a session that sees the stand-in's search_path.
    ok(&strata(project.path(), &["migrate"]));
    let status = json(&strata(project.path(), &["status", "--json"]));
    assert_eq!(status["migrations"][0]["state"], "applied", "{status}");
    ok(&strata(project.path(), &["local", "reset", "--yes"]));
    assert_eq!(project.state()["state"], "missing");
    ok(&strata(project.path(), &["migrate"]));
    let status = json(&strata(project.path(), &["status", "--json"]));
    assert_eq!(status["migrations"][0]["state"], "applied", "{status}");
}

#[test]
fn local_url_keeps_the_server_running_for_the_next_command() {
    let project = Project::new("handed_out");
    let url = ok(&strata(project.path(), &["local", "url"]));
    let state = project.state();
    assert_eq!(state["state"], "running", "{state}");
    let pid = state["pid"].clone();
    // A later command finds it running, uses it, and leaves it to the tool the URL is for.
    let status = json(&strata(project.path(), &["status", "--json"]));
    assert_eq!(status["migrations"][0]["state"], "pending", "{status}");
    assert_eq!(project.state()["pid"], pid);
    ok(&strata(project.path(), &["status", "--url", url.trim()]));
    // Asking again neither stops nor restarts it.
    assert_eq!(ok(&strata(project.path(), &["local", "url"])), url);
    assert_eq!(project.state()["pid"], pid);
    ok(&strata(project.path(), &["migrate"]));
    let state = project.state();
    assert_eq!((&state["state"], &state["pid"]), (&"running".into(), &pid));
    // `local start` now pins the server that is already running.
    ok(&strata(project.path(), &["local", "start"]));
    let state = project.state();
    assert_eq!(
        (&state["state"], &state["pid"], &state["pinned"]),
        (&"running".into(), &pid, &true.into())
    );
}
