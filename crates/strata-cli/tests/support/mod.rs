//! Helpers for tests that drive the `strata` binary against throwaway PostgreSQL
//! clusters: a project directory of migrations, a database on a cluster, and one
//! `strata` invocation whose output is checked for leaked passwords.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use strata_ephemeral::{Auth, Cluster};

/// A throwaway cluster for one test, and the secrets no output may show.
pub struct Server {
    cluster: Cluster,
    secrets: Vec<String>,
}

impl Server {
    /// A cluster with trust authentication.
    pub fn start() -> Self {
        let cluster = Cluster::builder()
            .start()
            .unwrap_or_else(|e| panic!("cannot start a cluster: {e}"));
        Self {
            cluster,
            secrets: Vec::new(),
        }
    }

    /// A cluster whose superuser needs `password` over TCP.
    pub fn with_password(password: &str) -> Self {
        let cluster = Cluster::builder()
            .auth(Auth::Password(password.to_owned()))
            .start()
            .unwrap_or_else(|e| panic!("cannot start a cluster: {e}"));
        Self {
            cluster,
            secrets: secret_forms(password),
        }
    }

    /// A cluster as Supabase's image makes one: its superuser `supabase_admin`, `postgres`
    /// a login role that is not one, and Supabase's roles and schemas (strata's stand-in)
    /// in database `postgres`.
    pub fn supabase(password: &str) -> Self {
        let cluster = Cluster::builder()
            .roles(strata_ephemeral::Roles::Supabase)
            .auth(Auth::Password(password.to_owned()))
            .start()
            .unwrap_or_else(|e| panic!("cannot start a cluster: {e}"));
        let server = Self {
            cluster,
            secrets: secret_forms(password),
        };
        let standin = tempfile::NamedTempFile::new().unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(standin.path(), strata_ephemeral::supabase::STANDIN_SQL)
            .unwrap_or_else(|e| panic!("{e}"));
        // Readable by the server's user when the test runs as root.
        std::fs::set_permissions(
            standin.path(),
            std::os::unix::fs::PermissionsExt::from_mode(0o644),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let output = server
            .cluster
            .client_command("psql")
            .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-f"])
            .arg(standin.path())
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("cannot run psql: {e}"));
        assert!(
            output.status.success(),
            "the stand-in does not install:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        server
    }

    /// Database `name`, which exists already (`postgres`, say).
    pub fn existing(&self, name: &str) -> Db<'_> {
        Db {
            server: self,
            name: name.to_owned(),
        }
    }

    /// The secrets no output may show.
    pub fn secrets(&self) -> &[String] {
        &self.secrets
    }

    /// Creates database `name` (one per scenario, so scenarios never meet).
    pub fn database(&self, name: &str) -> Db<'_> {
        self.cluster
            .create_database(name)
            .unwrap_or_else(|e| panic!("cannot create database {name}: {e}"));
        Db {
            server: self,
            name: name.to_owned(),
        }
    }

    /// The TCP port.
    pub fn port(&self) -> u16 {
        self.cluster.port()
    }
}

/// A password as it may leak: raw, and percent-encoded in either case.
pub fn secret_forms(password: &str) -> Vec<String> {
    let mut upper = String::new();
    for byte in password.bytes() {
        if byte.is_ascii_alphanumeric() {
            upper.push(char::from(byte));
        } else {
            upper.push_str(&format!("%{byte:02X}"));
        }
    }
    let lower = upper.to_ascii_lowercase();
    let mut forms = vec![password.to_owned(), upper, lower];
    forms.dedup();
    forms
}

/// One database of a [`Server`].
pub struct Db<'a> {
    server: &'a Server,
    name: String,
}

impl Db<'_> {
    /// The URL strata connects with (holding the password, if the server has one).
    pub fn url(&self) -> String {
        self.server.cluster.url(&self.name)
    }

    /// The URL as the cluster's ordinary user (`postgres`, not a superuser, on a Supabase
    /// server; the superuser otherwise).
    pub fn user_url(&self) -> String {
        self.server.cluster.user_url(&self.name)
    }

    /// `strata` in `project`, connected to this database through `DATABASE_URL`,
    /// checking that no output shows the server's password.
    pub fn strata(&self, project: &Project) -> Cmd {
        let mut cmd = Cmd::new(project);
        cmd.command.env("DATABASE_URL", self.url());
        cmd.hiding(&self.server.secrets)
    }

    /// Runs `sql` with psql (over the unix socket) and returns its unaligned,
    /// tuples-only output, trimmed. One statement sees one snapshot.
    pub fn query(&self, sql: &str) -> String {
        let output = self
            .server
            .cluster
            .client_command("psql")
            .args(["-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1", "-d"])
            .arg(&self.name)
            .arg("-c")
            .arg(sql)
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("cannot run psql: {e}"));
        assert!(
            output.status.success(),
            "psql failed on {sql}:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).trim().to_owned()
    }

    /// A psql session on this database reading SQL from its stdin, to hold a
    /// transaction open while strata runs; it ends when its stdin closes.
    pub fn session(&self) -> Child {
        self.server
            .cluster
            .client_command("psql")
            .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d"])
            .arg(&self.name)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start psql: {e}"))
    }

    /// Waits until `sql` returns `expected`, for up to 30 s.
    pub fn wait_for(&self, sql: &str, expected: &str) {
        let started = Instant::now();
        loop {
            let got = self.query(sql);
            if got == expected {
                return;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "{sql} still returns {got:?}, not {expected:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Whether a relation (table, index...) exists.
    pub fn exists(&self, relation: &str) -> bool {
        self.query(&format!("select to_regclass('{relation}') is not null")) == "t"
    }

    /// The history rows and every relation of `public`, to compare before and after.
    pub fn snapshot(&self) -> String {
        let history = if self.exists("strata.migrations") {
            self.query(
                "select string_agg(concat_ws(' ', version, name, checksum, down_checksum, status,
                                             statements_done, applied_at), E'\n' order by version)
                 from strata.migrations",
            )
        } else {
            "(no history)".to_owned()
        };
        let relations = self.query(
            "select string_agg(relname || ':' || relkind::text, ' ' order by relname)
             from pg_class where relnamespace = 'public'::regnamespace",
        );
        format!("{history}\n--\n{relations}")
    }

    /// Every event, oldest first, as `kind version outcome`.
    pub fn events(&self) -> Vec<String> {
        lines(
            &self.query(
                "select concat_ws(' ', kind, version, outcome) from strata.events order by id",
            ),
        )
    }

    /// Waits until no other session is connected, e.g. the backend of a killed strata
    /// (it finishes its query, then notices the closed socket).
    pub fn wait_until_idle(&self) {
        let started = Instant::now();
        loop {
            let others = self.query(
                "select count(*) from pg_stat_activity
                 where datname = current_database() and pid <> pg_backend_pid()
                   and backend_type = 'client backend'",
            );
            if others == "0" {
                return;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "{others} session(s) still connected to {}",
                self.name
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// Non-empty lines.
pub fn lines(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

/// A project directory: `strata.toml` and `migrations/`.
pub struct Project {
    dir: tempfile::TempDir,
}

impl Project {
    /// An empty project.
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("cannot make a temp dir: {e}"));
        std::fs::write(
            dir.path().join("strata.toml"),
            "[migrations]\ndir = \"migrations\"\n",
        )
        .unwrap_or_else(|e| panic!("cannot write strata.toml: {e}"));
        std::fs::create_dir(dir.path().join("migrations"))
            .unwrap_or_else(|e| panic!("cannot make migrations/: {e}"));
        Self { dir }
    }

    /// The project's root.
    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    fn path(&self, file: &str) -> PathBuf {
        self.dir.path().join("migrations").join(file)
    }

    /// Writes (or overwrites) `migrations/<file>`.
    pub fn write(&self, file: &str, sql: &str) -> &Self {
        std::fs::write(self.path(file), sql).unwrap_or_else(|e| panic!("cannot write {file}: {e}"));
        self
    }

    /// Deletes `migrations/<file>`.
    pub fn remove(&self, file: &str) {
        std::fs::remove_file(self.path(file))
            .unwrap_or_else(|e| panic!("cannot remove {file}: {e}"));
    }
}

/// A migration creating `table` with one row, with a down dropping it.
pub fn table_migration(table: &str) -> String {
    format!(
        "-- strata:up\ncreate table {table} (id int primary key);\ninsert into {table} values (1);\n\n-- strata:down\ndrop table {table};\n"
    )
}

/// One `strata` invocation.
pub struct Cmd {
    command: Command,
    secrets: Vec<String>,
}

impl Cmd {
    /// `strata` in `project`'s root, with no database from the environment, no colour
    /// and no terminal on stdin.
    pub fn new(project: &Project) -> Self {
        Self::in_dir(project.root())
    }

    /// [`Cmd::new`] in any directory.
    pub fn in_dir(dir: &Path) -> Self {
        let mut command = Command::new(env!("CARGO_BIN_EXE_strata"));
        command
            .current_dir(dir)
            .env("NO_COLOR", "1")
            .stdin(Stdio::null());
        for (key, _) in std::env::vars_os() {
            let key = key.to_string_lossy();
            if key.starts_with("PG") || key == "DATABASE_URL" {
                command.env_remove(key.as_ref());
            }
        }
        Self {
            command,
            secrets: Vec::new(),
        }
    }

    /// Also checks that none of `secrets` appears in the output.
    pub fn hiding(mut self, secrets: &[String]) -> Self {
        self.secrets.extend(secrets.iter().cloned());
        self
    }

    /// Adds arguments.
    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        self.command.args(args);
        self
    }

    /// Sets an environment variable.
    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.command.env(key, value);
        self
    }

    /// Runs to the end.
    #[track_caller]
    pub fn run(mut self) -> Ran {
        let output = self
            .command
            .output()
            .unwrap_or_else(|e| panic!("cannot run strata: {e}"));
        let ran = Ran { output };
        ran.assert_hides(&self.secrets);
        ran
    }

    /// Starts in the background, output discarded.
    pub fn spawn(mut self) -> Child {
        self.command
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start strata: {e}"))
    }

    /// Starts in the background with stdout and stderr piped, to be read
    /// while it runs (the secrets check is the caller's).
    pub fn spawn_piped(mut self) -> Child {
        self.command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start strata: {e}"))
    }
}

/// What a finished invocation printed and returned.
pub struct Ran {
    output: Output,
}

impl Ran {
    /// The exit code (-1 when killed by a signal).
    pub fn code(&self) -> i32 {
        self.output.status.code().unwrap_or(-1)
    }

    /// The process's output, whole.
    pub fn into_output(self) -> Output {
        self.output
    }

    /// Standard output.
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.output.stdout).into_owned()
    }

    /// Standard error.
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }

    fn both(&self) -> String {
        format!("stdout:\n{}\nstderr:\n{}", self.stdout(), self.stderr())
    }

    /// Asserts the exit code.
    #[track_caller]
    pub fn assert_code(self, expected: i32) -> Self {
        assert_eq!(self.code(), expected, "{}", self.both());
        self
    }

    /// Asserts that stdout holds every phrase.
    #[track_caller]
    pub fn assert_stdout(self, phrases: &[&str]) -> Self {
        let stdout = self.stdout();
        for phrase in phrases {
            assert!(stdout.contains(phrase), "no {phrase:?} in {}", self.both());
        }
        self
    }

    /// Asserts that stderr holds every phrase.
    #[track_caller]
    pub fn assert_stderr(self, phrases: &[&str]) -> Self {
        let stderr = self.stderr();
        for phrase in phrases {
            assert!(stderr.contains(phrase), "no {phrase:?} in {}", self.both());
        }
        self
    }

    #[track_caller]
    fn assert_hides(&self, secrets: &[String]) {
        let both = self.both();
        for secret in secrets {
            assert!(
                !both.contains(secret.as_str()),
                "{secret:?} shown in {both}"
            );
        }
    }

    /// Stdout as JSON.
    #[track_caller]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.output.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.both()))
    }
}

/// `version -> state` from `strata status --json`.
pub fn states(status: &serde_json::Value) -> Vec<(String, String)> {
    status["migrations"]
        .as_array()
        .map(|rows| {
            rows.iter()
                .map(|r| {
                    (
                        r["version"].as_str().unwrap_or_default().to_owned(),
                        r["state"].as_str().unwrap_or_default().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// A small deterministic PRNG (SplitMix64), so random kill times repeat run to run.
pub struct SplitMix(pub u64);

impl SplitMix {
    /// The next number below `bound`.
    pub fn below(&mut self, bound: u64) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        (z ^ (z >> 31)) % bound
    }
}
