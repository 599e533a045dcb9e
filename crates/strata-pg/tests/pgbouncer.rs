//! strata through a real pgbouncer in `pool_mode = transaction`, the setup of Supabase's port
//! 6543 and of most hosted poolers: no session survives between transactions, so there is no
//! session lock, no session setting and no prepared statement to lean on.
//!
//! Each test starts a throwaway cluster and a pgbouncer in front of it, with two server
//! connections per pool so that clients really share them. The tests skip, saying why, where
//! pgbouncer is not installed, except under CI (`CI` set), which installs it and must run them.
//!
//! The last tests pin down what concurrency through a transaction pooler needs: a skipped
//! no-transaction migration is reported as skipped, a migrator waits for (never overtakes, never
//! calls failed) another's no-transaction migration in progress, and two rollbacks run each down
//! once.

use std::fmt::Write as _;
use std::fs::{self, File};
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::chown;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::rc::Rc;
use std::time::{Duration, Instant};

use strata_core::config::Pooler;
use strata_core::{Config, MemorySource, Version};
use strata_ephemeral::{Auth, Cluster, OsUser};
use strata_pg::connect::{Inputs, Source, Target, connect, resolve};
use strata_pg::{
    Direction, MigrateOptions, Migrator, PgError, Quiet, RollbackTarget, RunReport, Settings,
};
use strata_sql::ParsedSet;
use tempfile::TempDir;
use tokio::sync::Barrier;
use tokio::task::LocalSet;
use tokio_postgres::Client;

/// The password of the cluster's superuser, which pgbouncer checks and passes on.
const PASSWORD: &str = "bouncer-test-secret";

/// Server connections per database and user: fewer than the concurrent migrators.
const POOL_SIZE: usize = 2;

/// How many migrators run at once in the concurrency test.
const MIGRATORS: usize = 4;

/// How many free ports to try when the one picked is taken before pgbouncer binds it.
const PORT_ATTEMPTS: u32 = 5;

/// How long pgbouncer gets to accept connections.
const START_TIMEOUT: Duration = Duration::from_secs(15);

/// Where pgbouncer is looked for, after `PGBOUNCER` and `PATH` (Debian puts it in `/usr/sbin`,
/// which is not on every user's `PATH`).
const EXTRA_DIRS: &[&str] = &[
    "/usr/sbin",
    "/usr/local/sbin",
    "/usr/local/bin",
    "/opt/homebrew/bin",
];

/// The pgbouncer program: `PGBOUNCER`, else the first `pgbouncer` on `PATH` or in
/// [`EXTRA_DIRS`]. Without one, says why the test is skipped, or fails under CI.
fn pgbouncer_program() -> Option<PathBuf> {
    let explicit = std::env::var_os("PGBOUNCER")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from);
    let path = std::env::var_os("PATH").unwrap_or_default();
    let found = explicit.or_else(|| {
        std::env::split_paths(&path)
            .chain(EXTRA_DIRS.iter().map(PathBuf::from))
            .map(|dir| dir.join("pgbouncer"))
            .find(|candidate| candidate.is_file())
    });
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "pgbouncer is not installed, and CI must run these tests: install it in .ci/run"
        );
        eprintln!(
            "skipping: pgbouncer is not installed (apt-get install pgbouncer, or set PGBOUNCER)"
        );
    }
    found
}

/// A pgbouncer process in transaction mode in front of a cluster, killed on drop.
struct Bouncer {
    child: Child,
    port: u16,
    // Dropped after the process is gone (fields drop after `Drop::drop`).
    _dir: TempDir,
}

impl Bouncer {
    /// Starts `program` in front of `cluster`, on a free port of the loopback address.
    fn start(program: &Path, cluster: &Cluster) -> Self {
        // pgbouncer refuses to run as root; it runs as the cluster's user then, who must own
        // its files.
        let run_as = OsUser::current()
            .is_root()
            .then(|| cluster.os_user().clone());
        let dir = tempfile::Builder::new()
            .prefix("strata-pgbouncer-")
            .tempdir()
            .expect("a directory for pgbouncer");
        let userlist = dir.path().join("userlist.txt");
        fs::write(&userlist, format!("\"postgres\" \"{PASSWORD}\"\n")).expect("userlist.txt");
        let ini = dir.path().join("pgbouncer.ini");
        let log = dir.path().join("pgbouncer.log");
        File::create(&log).expect("pgbouncer.log");
        if let Some(user) = &run_as {
            for path in [dir.path(), &userlist, &log] {
                chown(path, Some(user.uid()), Some(user.gid())).expect("chown pgbouncer's files");
            }
        }

        for _ in 0..PORT_ATTEMPTS {
            let port = free_port();
            fs::write(&ini, ini_text(cluster, port, &userlist)).expect("pgbouncer.ini");
            let log_start = fs::metadata(&log).map_or(0, |m| m.len());
            let output = || {
                File::options()
                    .append(true)
                    .open(&log)
                    .expect("pgbouncer.log")
            };
            let mut command = Command::new(program);
            command
                .arg(&ini)
                .current_dir(dir.path())
                .env_clear()
                .stdin(Stdio::null())
                .stdout(output())
                .stderr(output());
            if let Some(user) = &run_as {
                command.uid(user.uid()).gid(user.gid());
            }
            let mut child = command
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start {}: {e}", program.display()));
            if wait_ready(&mut child, port, &log) {
                return Self {
                    child,
                    port,
                    _dir: dir,
                };
            }
            let said = log_since(&log, log_start);
            assert!(
                said.contains("Address already in use"),
                "pgbouncer exited:\n{said}"
            );
        }
        panic!(
            "pgbouncer found no free port in {PORT_ATTEMPTS} attempts:\n{}",
            log_since(&log, 0)
        )
    }

    /// A URL reaching database `dbname` through pgbouncer, as the cluster's superuser.
    fn url(&self, dbname: &str) -> String {
        format!(
            "postgres://postgres:{PASSWORD}@127.0.0.1:{}/{dbname}",
            self.port
        )
    }
}

impl Drop for Bouncer {
    fn drop(&mut self) {
        // SIGKILL: nothing pgbouncer holds is worth a clean shutdown.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits until pgbouncer accepts TCP connections (true) or exits (false).
fn wait_ready(child: &mut Child, port: u16, log: &Path) -> bool {
    let started = Instant::now();
    while started.elapsed() < START_TIMEOUT {
        if child.try_wait().expect("pgbouncer's status").is_some() {
            return false;
        }
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!(
        "pgbouncer did not accept connections in {START_TIMEOUT:?}:\n{}",
        log_since(log, 0)
    )
}

/// What `log` holds from byte `start` on.
fn log_since(log: &Path, start: u64) -> String {
    let text = fs::read(log).unwrap_or_default();
    let start = usize::try_from(start).unwrap_or(0).min(text.len());
    String::from_utf8_lossy(&text[start..]).into_owned()
}

/// pgbouncer's configuration: transaction pooling, two server connections per pool (and per
/// database), SCRAM for clients, and nothing but TCP on the loopback address.
fn ini_text(cluster: &Cluster, port: u16, userlist: &Path) -> String {
    format!(
        "[databases]
* = host={host} port={server_port}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = scram-sha-256
auth_file = {userlist}
pool_mode = transaction
max_client_conn = 20
default_pool_size = {POOL_SIZE}
min_pool_size = 0
reserve_pool_size = 0
max_db_connections = {POOL_SIZE}
ignore_startup_parameters = extra_float_digits
",
        host = cluster.host(),
        server_port = cluster.port(),
        userlist = userlist.display(),
    )
}

/// A TCP port on the loopback address that was free a moment ago.
fn free_port() -> u16 {
    let listener = TcpListener::bind(("127.0.0.1", 0)).expect("a free port");
    listener.local_addr().expect("its address").port()
}

/// A cluster with a password, and pgbouncer in front of it; `None` without pgbouncer.
fn cluster_and_bouncer() -> Option<(Cluster, Bouncer)> {
    let program = pgbouncer_program()?;
    let cluster = Cluster::builder()
        .auth(Auth::Password(PASSWORD.to_owned()))
        .start()
        .expect("a throwaway cluster");
    let bouncer = Bouncer::start(&program, &cluster);
    Some((cluster, bouncer))
}

fn no_vars(_: &str) -> Option<String> {
    None
}

/// The target for a pgbouncer URL carrying `pgbouncer=true`, which is what selects
/// transaction-pooler mode.
fn pgbouncer_target(bouncer: &Bouncer, dbname: &str) -> Target {
    let url = format!("{}?pgbouncer=true", bouncer.url(dbname));
    let target = Target::parse(&url, Source::Other("test".to_owned()), None, &no_vars)
        .unwrap_or_else(|e| panic!("{url}: {e}"));
    assert_eq!(target.pooler(), Pooler::Transaction, "{}", target.display());
    target
}

async fn connected(target: &Target) -> Client {
    connect(target, "strata-pgbouncer-test")
        .await
        .unwrap_or_else(|e| panic!("{}: {e}", target.display()))
}

/// A migrator in the target's pooler mode.
async fn migrator(target: &Target) -> Migrator {
    let settings = Settings {
        pooler: target.pooler(),
        ..Settings::default()
    };
    Migrator::new(connected(target).await, settings)
}

/// A direct connection to the cluster, bypassing pgbouncer, to look at what happened.
async fn direct(cluster: &Cluster, dbname: &str) -> Client {
    let target = Target::parse(
        &cluster.url(dbname),
        Source::Other("test".to_owned()),
        None,
        &no_vars,
    )
    .expect("the cluster's URL");
    assert_eq!(target.pooler(), Pooler::Session);
    connected(&target).await
}

/// The first column of the only row, as text.
async fn text(client: &Client, sql: &str) -> String {
    let rows = client
        .simple_query(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    rows.iter()
        .find_map(|message| match message {
            tokio_postgres::SimpleQueryMessage::Row(row) => {
                Some(row.get(0).unwrap_or("").to_owned())
            }
            _ => None,
        })
        .unwrap_or_else(|| panic!("{sql}: no row"))
}

/// A migration file: name, up section, down section.
type MigrationFile = (&'static str, &'static str, &'static str);

/// Thirty migrations of the kinds real projects have: tables, types, functions, triggers,
/// views, data, directives, a file wrapped in its own `BEGIN`/`COMMIT`, dollar quoting,
/// multibyte text, and a `-- strata:no-transaction` index built concurrently that the next
/// migration depends on. Each has a down section.
const MIGRATIONS: &[MigrationFile] = &[
    (
        "0001_create_accounts.sql",
        "create table accounts (\n    id bigint generated always as identity primary key,\n    email text not null,\n    created_at timestamptz not null default now()\n);",
        "drop table accounts;",
    ),
    (
        "0002_create_projects.sql",
        "create table projects (\n    id bigint generated always as identity primary key,\n    account_id bigint not null references accounts (id),\n    name text not null\n);",
        "drop table projects;",
    ),
    (
        "0003_create_task_status.sql",
        "create type task_status as enum ('todo', 'doing', 'done');",
        "drop type task_status;",
    ),
    (
        "0004_create_tasks.sql",
        "create table tasks (\n    id bigint generated always as identity primary key,\n    project_id bigint not null references projects (id) on delete cascade,\n    title text not null,\n    status task_status not null default 'todo'\n);",
        "drop table tasks;",
    ),
    (
        "0005_seed_accounts.sql",
        "insert into accounts (email) values ('ada@example.com'), ('grace@example.com');",
        "delete from accounts where email in ('ada@example.com', 'grace@example.com');",
    ),
    (
        "0006_create_touch_function.sql",
        "create function touch() returns trigger language plpgsql as $$\nbegin\n    new.updated_at := now();\n    return new;\nend;\n$$;",
        "drop function touch();",
    ),
    (
        "0007_add_tasks_updated_at.sql",
        "alter table tasks add column updated_at timestamptz not null default now();",
        "alter table tasks drop column updated_at;",
    ),
    (
        "0008_create_tasks_touch_trigger.sql",
        "create trigger tasks_touch before update on tasks\n    for each row execute function touch();",
        "drop trigger tasks_touch on tasks;",
    ),
    (
        "0009_create_labels.sql",
        "BEGIN;\ncreate table labels (id int primary key, name text not null unique);\ninsert into labels values (1, 'bug'), (2, 'feature');\nCOMMIT;",
        "drop table labels;",
    ),
    (
        "0010_create_task_labels.sql",
        "create table task_labels (\n    task_id bigint references tasks (id) on delete cascade,\n    label_id int references labels (id),\n    primary key (task_id, label_id)\n);",
        "drop table task_labels;",
    ),
    (
        "0011_index_accounts_email.sql",
        "-- strata:no-transaction\ncreate unique index concurrently accounts_email_idx on accounts (email);",
        "-- strata:no-transaction\ndrop index concurrently if exists accounts_email_idx;",
    ),
    (
        "0012_unique_accounts_email.sql",
        "alter table accounts add constraint accounts_email_key unique using index accounts_email_idx;",
        "alter table accounts drop constraint accounts_email_key;",
    ),
    (
        "0013_check_project_name.sql",
        "alter table projects add constraint projects_name_not_blank check (name <> '') not valid;",
        "alter table projects drop constraint projects_name_not_blank;",
    ),
    (
        "0014_validate_project_name.sql",
        "alter table projects validate constraint projects_name_not_blank;",
        "-- A valid constraint stays valid; 0013's down drops it.\nselect 1;",
    ),
    (
        "0015_create_open_tasks_view.sql",
        "create view open_tasks as\n    select t.id, t.title, p.name as project\n    from tasks t join projects p on p.id = t.project_id\n    where t.status <> 'done';",
        "drop view open_tasks;",
    ),
    (
        "0016_comment_accounts.sql",
        "comment on table accounts is 'People who sign in; it''s where ownership starts.';",
        "comment on table accounts is null;",
    ),
    (
        "0017_create_reporting_schema.sql",
        "create schema reporting;",
        "drop schema reporting;",
    ),
    (
        "0018_create_task_counts.sql",
        "create materialized view reporting.task_counts as\n    select status, count(*) as tasks from tasks group by status;",
        "drop materialized view reporting.task_counts;",
    ),
    (
        "0019_create_task_count_function.sql",
        "create function task_count(p bigint) returns bigint language sql stable as $fn$\n    select count(*) from tasks where project_id = p; -- a semicolon inside\n$fn$;",
        "drop function task_count(bigint);",
    ),
    (
        "0020_seed_projects.sql",
        "insert into projects (account_id, name) select id, 'inbox' from accounts order by id;",
        "delete from projects where name = 'inbox';",
    ),
    (
        "0021_add_tasks_due.sql",
        "-- strata:lock-timeout 2s\nalter table tasks add column due date;",
        "alter table tasks drop column due;",
    ),
    (
        "0022_index_tasks_project.sql",
        "-- strata:statement-timeout 30s\ncreate index tasks_project_id_idx on tasks (project_id);",
        "drop index tasks_project_id_idx;",
    ),
    (
        "0023_create_notes.sql",
        "create table notes (id int primary key, body text not null default 'café ☕');",
        "drop table notes;",
    ),
    (
        "0024_create_events_log.sql",
        "create table events_log (at timestamptz not null, what text) partition by range (at);\ncreate table events_log_2026 partition of events_log\n    for values from ('2026-01-01') to ('2027-01-01');",
        "drop table events_log;",
    ),
    (
        "0025_create_invoice_numbers.sql",
        "create sequence invoice_numbers start 1000;",
        "drop sequence invoice_numbers;",
    ),
    (
        "0026_add_accounts_domain.sql",
        "alter table accounts add column domain text generated always as (split_part(email, '@', 2)) stored;",
        "alter table accounts drop column domain;",
    ),
    (
        "0027_tasks_row_level_security.sql",
        "alter table tasks enable row level security;\ncreate policy tasks_all on tasks using (true);",
        "drop policy tasks_all on tasks;\nalter table tasks disable row level security;",
    ),
    (
        "0028_create_positive_int.sql",
        "create domain positive_int as int check (value > 0);",
        "drop domain positive_int;",
    ),
    (
        "0029_create_budgets.sql",
        "create table budgets (\n    project_id bigint primary key references projects (id),\n    amount positive_int not null\n);",
        "drop table budgets;",
    ),
    (
        "0030_seed_tasks.sql",
        "insert into tasks (project_id, title) select id, 'write the README' from projects order by id;",
        "delete from tasks where title = 'write the README';",
    ),
];

/// Loads migration files given as `(file, up, down)`, as strata loads a directory.
fn load(files: &[MigrationFile]) -> ParsedSet {
    let source = files
        .iter()
        .fold(MemorySource::new(), |source, (file, up, down)| {
            source.with(
                *file,
                format!("-- strata:up\n{up}\n\n-- strata:down\n{down}\n"),
            )
        });
    let set = strata_core::load(&source, Path::new("migrations"));
    assert!(!set.has_errors(), "{:#?}", set.problems);
    assert_eq!(set.migrations.len(), files.len());
    ParsedSet::new(set)
}

/// The version of a file: its first four characters.
fn version_of(file: &MigrationFile) -> &'static str {
    &file.0[..4]
}

/// [`MIGRATIONS`] but the no-transaction one and the one that needs its index.
fn transactional_migrations() -> Vec<MigrationFile> {
    MIGRATIONS
        .iter()
        .filter(|file| !["0011", "0012"].contains(&version_of(file)))
        .copied()
        .collect()
}

fn version(text: &str) -> Version {
    Version::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"))
}

/// Panics with the error of a run that stopped.
fn assert_ok(report: &RunReport, what: &str) {
    if let Some(error) = &report.error {
        panic!(
            "{what} stopped after {} migration(s): {error}\n{error:?}",
            report.done.len()
        );
    }
}

/// What each migration leaves in the `public` and `reporting` schemas, as [`schema`] lists
/// it, by version.
const OBJECTS: &[(&str, &str)] = &[
    ("0001", "index public.accounts_pkey"),
    ("0001", "sequence public.accounts_id_seq"),
    ("0001", "table public.accounts"),
    ("0002", "index public.projects_pkey"),
    ("0002", "sequence public.projects_id_seq"),
    ("0002", "table public.projects"),
    ("0003", "type public.task_status"),
    ("0004", "index public.tasks_pkey"),
    ("0004", "sequence public.tasks_id_seq"),
    ("0004", "table public.tasks"),
    ("0006", "function public.touch"),
    ("0009", "index public.labels_name_key"),
    ("0009", "index public.labels_pkey"),
    ("0009", "table public.labels"),
    ("0010", "index public.task_labels_pkey"),
    ("0010", "table public.task_labels"),
    // 0011 builds it as accounts_email_idx; 0012 makes it a constraint's, renaming it.
    ("0012", "index public.accounts_email_key"),
    ("0015", "view public.open_tasks"),
    ("0018", "matview reporting.task_counts"),
    ("0019", "function public.task_count"),
    ("0022", "index public.tasks_project_id_idx"),
    ("0023", "index public.notes_pkey"),
    ("0023", "table public.notes"),
    ("0024", "table public.events_log"),
    ("0024", "table public.events_log_2026"),
    ("0025", "sequence public.invoice_numbers"),
    ("0028", "type public.positive_int"),
    ("0029", "index public.budgets_pkey"),
    ("0029", "table public.budgets"),
];

/// What [`schema`] should list once `files` are applied.
fn expected_schema(files: &[MigrationFile]) -> String {
    let versions: Vec<&str> = files.iter().map(version_of).collect();
    let mut lines: Vec<&str> = OBJECTS
        .iter()
        .filter(|(version, _)| versions.contains(version))
        .map(|(_, line)| *line)
        .collect();
    lines.sort_unstable();
    lines.join("\n")
}

/// What is in the `public` and `reporting` schemas, one object per line, sorted.
async fn schema(client: &Client) -> String {
    text(
        client,
        "select coalesce(string_agg(line, E'\\n' order by line), '') from (
             select case c.relkind when 'r' then 'table' when 'p' then 'table'
                        when 'i' then 'index' when 'S' then 'sequence' when 'v' then 'view'
                        when 'm' then 'matview' else c.relkind::text end
                    || ' ' || n.nspname || '.' || c.relname as line
             from pg_class c join pg_namespace n on n.oid = c.relnamespace
             where n.nspname in ('public', 'reporting') and c.relkind <> 'I'
             union all
             select 'type ' || n.nspname || '.' || t.typname
             from pg_type t join pg_namespace n on n.oid = t.typnamespace
             where n.nspname in ('public', 'reporting') and t.typtype in ('e', 'd')
             union all
             select 'function ' || n.nspname || '.' || p.proname
             from pg_proc p join pg_namespace n on n.oid = p.pronamespace
             where n.nspname in ('public', 'reporting')
         ) objects",
    )
    .await
}

/// Checks the schema, the data and the history once `files`, [`MIGRATIONS`] or
/// [`transactional_migrations`], are applied.
async fn check_fully_migrated(client: &Client, files: &[MigrationFile]) {
    assert_eq!(schema(client).await, expected_schema(files));
    let unique_email = files.iter().any(|file| version_of(file) == "0012");
    if unique_email {
        assert_eq!(
            text(
                client,
                "select indisvalid and indisunique from pg_index where indexrelid = 'accounts_email_key'::regclass"
            )
            .await,
            "t",
            "the index built concurrently is valid"
        );
    }
    assert_eq!(
        text(client, "select string_agg(conname, ',' order by conname) from pg_constraint where conrelid = 'accounts'::regclass").await,
        if unique_email { "accounts_email_key,accounts_pkey" } else { "accounts_pkey" }
    );
    assert_eq!(
        text(client, "select string_agg(a.email || '=' || a.domain || ':' || t.title, ',' order by a.id) from accounts a join projects p on p.account_id = a.id join tasks t on t.project_id = p.id").await,
        "ada@example.com=example.com:write the README,grace@example.com=example.com:write the README"
    );
    assert_eq!(
        text(client, "select obj_description('accounts'::regclass)").await,
        "People who sign in; it's where ownership starts."
    );
    assert_eq!(text(client, "select count(*) from open_tasks").await, "2");
    assert_eq!(
        text(
            client,
            "select column_default from information_schema.columns where table_name = 'notes' and column_name = 'body'"
        )
        .await,
        "'café ☕'::text"
    );
    check_history(client, files).await;
}

/// Checks that the history holds `files`, all applied, and that the events say each was
/// applied exactly once more than it was rolled back, with no failure.
async fn check_history(client: &Client, files: &[MigrationFile]) {
    let versions: Vec<&str> = files.iter().map(version_of).collect();
    assert_eq!(
        text(
            client,
            "select coalesce(string_agg(version || ':' || status, ',' order by version), '') from strata.migrations"
        )
        .await,
        versions
            .iter()
            .map(|v| format!("{v}:applied"))
            .collect::<Vec<_>>()
            .join(",")
    );
    assert_eq!(
        text(
            client,
            "select coalesce(string_agg(version, ',' order by version), '') from (
                 select version from strata.events
                 group by version
                 having count(*) filter (where kind = 'apply' and outcome = 'ok')
                      - count(*) filter (where kind = 'rollback' and outcome = 'ok') = 1
             ) applied"
        )
        .await,
        versions.join(","),
        "each migration's apply events outnumber its rollback events by one"
    );
    assert_eq!(
        text(
            client,
            "select count(*) from strata.events where outcome <> 'ok'"
        )
        .await,
        "0",
        "no failed event"
    );
    assert_eq!(
        text(
            client,
            "select coalesce((select statements_done::text from strata.migrations where version = '0011'), 'none')"
        )
        .await,
        if versions.contains(&"0011") { "1" } else { "none" },
        "the no-transaction migration recorded its one statement"
    );
}

/// Runs `count` migrators of `set` at once through `target`; returns each migrator (still
/// connected) with its report.
async fn migrate_together(
    target: &Target,
    set: ParsedSet,
    count: usize,
) -> Vec<(Migrator, RunReport)> {
    let set = Rc::new(set);
    let start = Rc::new(Barrier::new(count));
    // The migrators run as local tasks of this thread (sharing the set without copies); the
    // server still sees them all at once.
    let local = LocalSet::new();
    let mut runs = Vec::new();
    for _ in 0..count {
        let mut migrator = migrator(target).await;
        let (set, start) = (Rc::clone(&set), Rc::clone(&start));
        runs.push(local.spawn_local(async move {
            start.wait().await;
            let report = migrator
                .migrate(&set, &MigrateOptions::default(), &mut Quiet)
                .await;
            (migrator, report)
        }));
    }
    local
        .run_until(async {
            let mut results = Vec::new();
            for run in runs {
                results.push(run.await.expect("a migrator task"));
            }
            results
        })
        .await
}

/// Collects the warnings of a run.
#[derive(Default)]
struct Warnings(Vec<String>);

impl strata_pg::Progress for Warnings {
    fn warning(&mut self, message: &str) {
        self.0.push(message.to_owned());
    }
}

/// The one no-transaction migration of [`MIGRATIONS`] was run without timeouts, and said so.
fn check_untimed_warning(warnings: &Warnings, section: &str) {
    let no_transaction: Vec<&str> = MIGRATIONS
        .iter()
        .filter(|m| m.1.contains("no-transaction"))
        .map(version_of)
        .collect();
    assert_eq!(no_transaction.len(), 1);
    assert_eq!(warnings.0.len(), 1, "{:?}", warnings.0);
    let warning = &warnings.0[0];
    assert!(
        warning.starts_with(&format!("migration {} ", no_transaction[0]))
            && warning.contains(&format!("its {section} section"))
            && warning.contains("without lock_timeout"),
        "{warning}"
    );
}

#[tokio::test]
async fn thirty_migrations_apply_through_pgbouncer_in_transaction_mode() {
    let Some((cluster, bouncer)) = cluster_and_bouncer() else {
        return;
    };
    let set = load(MIGRATIONS);
    assert!(
        set.migrations
            .iter()
            .any(|m| m.up.no_transaction() && m.down.as_ref().is_some_and(|d| d.no_transaction())),
        "the set has a no-transaction migration"
    );
    let target = pgbouncer_target(&bouncer, "postgres");
    let mut migrator = migrator(&target).await;
    assert_eq!(
        text(migrator.client(), "select inet_server_port()").await,
        cluster.port().to_string(),
        "pgbouncer forwards to the cluster"
    );

    let mut warnings = Warnings::default();
    let report = migrator
        .migrate(&set, &MigrateOptions::default(), &mut warnings)
        .await;
    assert_ok(&report, "migrate");
    check_untimed_warning(&warnings, "up");
    let applied: Vec<&str> = report.done.iter().map(|d| d.version.as_str()).collect();
    let expected: Vec<&str> = MIGRATIONS.iter().map(version_of).collect();
    assert_eq!(applied, expected);
    assert!(
        report
            .done
            .iter()
            .all(|d| d.direction == Direction::Up && !d.skipped)
    );
    check_fully_migrated(migrator.client(), MIGRATIONS).await;

    // A second run finds nothing to do.
    let again = migrator
        .migrate(&set, &MigrateOptions::default(), &mut Quiet)
        .await;
    assert_ok(&again, "the second migrate");
    assert!(again.done.is_empty(), "{:?}", again.done);

    // Seen directly, without pgbouncer: the same, and no lock outlived its transaction on
    // the shared server connections.
    let direct = direct(&cluster, "postgres").await;
    check_fully_migrated(&direct, MIGRATIONS).await;
    assert_eq!(
        text(
            &direct,
            "select count(*) from pg_locks where locktype = 'advisory'"
        )
        .await,
        "0",
        "no advisory lock is left behind"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_migrators_through_pgbouncer_apply_each_migration_once() {
    let Some((cluster, bouncer)) = cluster_and_bouncer() else {
        return;
    };
    cluster
        .create_database("concurrent")
        .expect("database concurrent");
    // Through `resolve` and a strata.toml environment this time: `pooler = "transaction"`
    // selects the mode, with no hint in the URL.
    let config = Config::parse(
        &format!(
            "[environments.pooled]\nurl = \"{}\"\npooler = \"transaction\"\n",
            bouncer.url("concurrent")
        ),
        Path::new("strata.toml"),
    )
    .expect("strata.toml");
    let target = resolve(&Inputs {
        url: None,
        env: Some("pooled"),
        config: &config,
        vars: &no_vars,
    })
    .expect("the environment resolves")
    .expect("a target");
    assert_eq!(target.pooler(), Pooler::Transaction);

    // Transactional migrations only: a no-transaction one among them makes this fail now and
    // then, for the reasons the ignored tests at the end show deterministically.
    let files = transactional_migrations();
    let runs = migrate_together(&target, load(&files), MIGRATORS).await;
    for (i, (_, report)) in runs.iter().enumerate() {
        assert_ok(report, &format!("migrator {i}"));
    }
    // The history is the truth: each migration applied exactly once, and nothing failed.
    let direct = direct(&cluster, "concurrent").await;
    check_fully_migrated(&direct, &files).await;
    // And each report agrees: one migrator applied each migration, the others skipped it.
    let mut applied_by: Vec<Vec<usize>> = vec![Vec::new(); files.len()];
    for (i, (_, report)) in runs.iter().enumerate() {
        for done in report.done.iter().filter(|d| !d.skipped) {
            let index = files
                .iter()
                .position(|file| version_of(file) == done.version)
                .expect("a known version");
            applied_by[index].push(i);
        }
    }
    let mut wrong = String::new();
    for (file, by) in files.iter().zip(&applied_by) {
        if by.len() != 1 {
            let _ = writeln!(wrong, "{}: applied by {by:?}", version_of(file));
        }
    }
    assert!(wrong.is_empty(), "not applied exactly once:\n{wrong}");

    // The four clients are still connected, yet the server saw at most two of pgbouncer's
    // connections: the sessions really were shared.
    let servers: usize = text(
        &direct,
        "select count(*) from pg_stat_activity where datname = 'concurrent' and pid <> pg_backend_pid()",
    )
    .await
    .parse()
    .expect("a count");
    assert!(
        (1..=POOL_SIZE).contains(&servers),
        "{servers} server connections for {MIGRATORS} clients"
    );
    drop(runs);
}

#[tokio::test]
async fn rollback_through_pgbouncer_runs_the_downs_and_migrate_reapplies() {
    let Some((cluster, bouncer)) = cluster_and_bouncer() else {
        return;
    };
    let set = load(MIGRATIONS);
    let target = pgbouncer_target(&bouncer, "postgres");
    let mut migrator = migrator(&target).await;
    assert_ok(
        &migrator
            .migrate(&set, &MigrateOptions::default(), &mut Quiet)
            .await,
        "migrate",
    );

    // Down to 0010: twenty downs, among them the no-transaction `drop index concurrently`.
    let mut warnings = Warnings::default();
    let report = migrator
        .rollback(&set, &RollbackTarget::To(version("0010")), &mut warnings)
        .await;
    assert_ok(&report, "rollback");
    check_untimed_warning(&warnings, "down");
    let undone: Vec<&str> = report.done.iter().map(|d| d.version.as_str()).collect();
    let expected: Vec<&str> = MIGRATIONS[10..].iter().rev().map(version_of).collect();
    assert_eq!(undone, expected);
    assert!(report.done.iter().all(|d| d.direction == Direction::Down));
    let client = migrator.client();
    assert_eq!(schema(client).await, expected_schema(&MIGRATIONS[..10]));
    assert_eq!(
        text(
            client,
            "select to_regclass('accounts_email_idx') is null and to_regclass('accounts_email_key') is null"
        )
        .await,
        "t",
        "the index is gone"
    );
    assert_eq!(
        text(
            client,
            "select (select count(*) from accounts) || '/' || (select count(*) from projects)"
        )
        .await,
        "2/0",
        "0005's accounts stay, 0020's projects are gone"
    );
    check_history(client, &MIGRATIONS[..10]).await;

    // Migrating again applies the twenty once more.
    let again = migrator
        .migrate(&set, &MigrateOptions::default(), &mut Quiet)
        .await;
    assert_ok(&again, "migrate after the rollback");
    assert_eq!(again.done.len(), MIGRATIONS.len() - 10);
    check_fully_migrated(migrator.client(), MIGRATIONS).await;
    check_fully_migrated(&direct(&cluster, "postgres").await, MIGRATIONS).await;
}

/// Three migrations: a table (slow to create, so that two migrators keep in step), an index
/// built concurrently after a pause, and a constraint that needs the index.
const SLOW_INDEX: &[MigrationFile] = &[
    (
        "0001_create_accounts.sql",
        "select pg_sleep(0.5);\ncreate table accounts (email text not null);",
        "drop table accounts;",
    ),
    (
        "0002_index_accounts_email.sql",
        "-- strata:no-transaction\nselect pg_sleep(2);\ncreate unique index concurrently accounts_email_idx on accounts (email);",
        "-- strata:no-transaction\ndrop index concurrently if exists accounts_email_idx;",
    ),
    (
        "0003_unique_accounts_email.sql",
        "alter table accounts add constraint accounts_email_key unique using index accounts_email_idx;",
        "alter table accounts drop constraint accounts_email_key;",
    ),
];

/// Checks that every migration of [`SLOW_INDEX`] was applied once, in order, without failure.
async fn check_slow_index_applied(cluster: &Cluster) {
    let direct = direct(cluster, "postgres").await;
    assert_eq!(
        text(
            &direct,
            "select string_agg(kind || ' ' || version || ' ' || outcome, ', ' order by id) from strata.events"
        )
        .await,
        "apply 0001 ok, apply 0002 ok, apply 0003 ok"
    );
}

#[tokio::test]
async fn a_no_transaction_migration_applied_meanwhile_is_reported_as_skipped() {
    let Some((_cluster, bouncer)) = cluster_and_bouncer() else {
        return;
    };
    let set = load(&SLOW_INDEX[..2]);
    let target = pgbouncer_target(&bouncer, "postgres");
    let mut first = migrator(&target).await;
    assert_ok(
        &first
            .migrate(&set, &MigrateOptions::default(), &mut Quiet)
            .await,
        "migrate",
    );
    // A second migrator that planned before the first applied anything reaches each
    // migration after it was applied: both must come back as skipped.
    let second = migrator(&target).await;
    for (m, parsed) in set.iter() {
        let skipped = second
            .apply(m, &parsed.up)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", m.version));
        assert!(
            skipped,
            "{} is reported as applied a second time",
            m.version
        );
    }
}

#[tokio::test]
async fn a_migrator_does_not_overtake_a_no_transaction_migration_in_progress() {
    let Some((cluster, bouncer)) = cluster_and_bouncer() else {
        return;
    };
    // Both plan all three; one applies 0001 while the other waits, then skips it. One claims
    // 0002 and pauses; the other must not run 0003 before 0002 is done, as it would if it
    // took the claim for the end of 0002.
    let target = pgbouncer_target(&bouncer, "postgres");
    let runs = migrate_together(&target, load(SLOW_INDEX), 2).await;
    for (i, (_, report)) in runs.iter().enumerate() {
        assert_ok(report, &format!("migrator {i}"));
    }
    check_slow_index_applied(&cluster).await;
}

#[tokio::test]
async fn a_no_transaction_migration_in_progress_is_not_reported_as_failed() {
    let Some((cluster, bouncer)) = cluster_and_bouncer() else {
        return;
    };
    let set = load(SLOW_INDEX);
    let target = pgbouncer_target(&bouncer, "postgres");
    let direct = direct(&cluster, "postgres").await;
    let mut first = migrator(&target).await;
    let mut second = migrator(&target).await;
    let local = LocalSet::new();
    let (first_report, second_report) = local
        .run_until(async {
            let set = Rc::new(set);
            let first_set = Rc::clone(&set);
            let first_run = tokio::task::spawn_local(async move {
                first
                    .migrate(&first_set, &MigrateOptions::default(), &mut Quiet)
                    .await
            });
            // Start the second once the first has claimed 0002 (its `failed` row with no
            // statement done), while it pauses before building the index.
            let claimed = "select count(*) from strata.migrations where version = '0002'";
            let started = Instant::now();
            while direct
                .simple_query("select 1 from strata.migrations")
                .await
                .is_err()
                || text(&direct, claimed).await != "1"
            {
                assert!(started.elapsed() < START_TIMEOUT, "0002 was never claimed");
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            // Like a session lock, waiting for the first (or finding it done) is fine; being
            // told to repair a migration that is running is not.
            let second_report = second
                .migrate(&set, &MigrateOptions::default(), &mut Quiet)
                .await;
            let first_report = first_run.await.expect("the first migrator");
            (first_report, second_report)
        })
        .await;
    assert_ok(&first_report, "the first migrator");
    assert_ok(&second_report, "the second migrator");
    check_slow_index_applied(&cluster).await;
}

#[tokio::test]
async fn two_rollbacks_through_pgbouncer_run_each_down_once() {
    let Some((cluster, bouncer)) = cluster_and_bouncer() else {
        return;
    };
    let set = load(&[
        (
            "0001_create_accounts.sql",
            "create table accounts (id int);",
            "drop table accounts;",
        ),
        (
            "0002_create_projects.sql",
            "create table projects (id int);",
            "select pg_sleep(1);\ndrop table projects;",
        ),
    ]);
    let target = pgbouncer_target(&bouncer, "postgres");
    let mut first = migrator(&target).await;
    assert_ok(
        &first
            .migrate(&set, &MigrateOptions::default(), &mut Quiet)
            .await,
        "migrate",
    );
    let mut second = migrator(&target).await;
    // Both plan to undo 0002; the second must find it undone once the first is through.
    let steps = RollbackTarget::Steps(1);
    let (mut quiet_a, mut quiet_b) = (Quiet, Quiet);
    let (a, b) = tokio::join!(
        first.rollback(&set, &steps, &mut quiet_a),
        second.rollback(&set, &steps, &mut quiet_b)
    );
    assert_ok(&a, "the first rollback");
    assert_ok(&b, "the second rollback");
    let direct = direct(&cluster, "postgres").await;
    assert_eq!(
        text(
            &direct,
            "select string_agg(kind || ' ' || version || ' ' || outcome, ', ' order by id) from strata.events"
        )
        .await,
        "apply 0001 ok, apply 0002 ok, rollback 0002 ok"
    );
}

/// The target for pgbouncer's URL as a user would first write it: no
/// `pgbouncer=true`, so strata starts out assuming a session of its own.
fn undeclared_target(bouncer: &Bouncer) -> Target {
    let url = bouncer.url("postgres");
    let target = Target::parse(&url, Source::Other("test".to_owned()), None, &no_vars)
        .unwrap_or_else(|e| panic!("{url}: {e}"));
    assert_eq!(target.pooler(), Pooler::Session);
    target
}

#[tokio::test]
async fn a_second_migrator_is_not_let_in_by_a_lock_held_on_a_shared_server_connection() {
    let Some((cluster, bouncer)) = cluster_and_bouncer() else {
        return;
    };
    let target = undeclared_target(&bouncer);
    let settings = Settings {
        lock_wait: Duration::from_secs(2),
        ..Settings::default()
    };
    let mut first = Migrator::new(connected(&target).await, settings.clone());
    first
        .lock(&mut Quiet)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    // pgbouncer hands the second client the server connection the first one
    // just used, whose session holds the lock: re-entrant for that session,
    // so a plain pg_try_advisory_lock says yes. strata must not.
    let mut second = Migrator::new(connected(&target).await, settings);
    let outcome = second.lock(&mut Quiet).await;
    match &outcome {
        Err(e @ PgError::UndeclaredPooler(_)) => {
            assert!(e.to_string().contains("transaction pooler"), "{e}");
        }
        // Given another server connection, it waits for the lock and gives up.
        Err(PgError::LockTimeout { .. }) => {}
        other => panic!("a second migrator was let in: {other:?}"),
    }
    // The first one releases its lock, or says where it is left.
    let direct = direct(&cluster, "postgres").await;
    match first.unlock().await {
        Ok(()) => assert_eq!(
            text(
                &direct,
                "select count(*) from pg_locks where locktype = 'advisory'"
            )
            .await,
            "0"
        ),
        Err(e) => assert!(e.to_string().contains("transaction pooler"), "{e}"),
    }
}

#[tokio::test]
async fn concurrent_migrators_through_an_undeclared_transaction_pooler_apply_each_migration_once() {
    let Some((cluster, bouncer)) = cluster_and_bouncer() else {
        return;
    };
    let target = undeclared_target(&bouncer);
    let runs = migrate_together(&target, load(SLOW_INDEX), 3).await;
    // Each run either applied its part or was refused for the pooler it found;
    // none failed half-way or raced another.
    for (i, (_, report)) in runs.iter().enumerate() {
        if let Some(error) = &report.error {
            let message = error.to_string();
            assert!(
                message.contains("transaction pooler")
                    || matches!(error, PgError::LockTimeout { .. }),
                "migrator {i}: {message}"
            );
        }
    }
    // What the refused ones left undone, a declared run finishes.
    let mut last = migrator(&pgbouncer_target(&bouncer, "postgres")).await;
    assert_ok(
        &last
            .migrate(&load(SLOW_INDEX), &MigrateOptions::default(), &mut Quiet)
            .await,
        "migrate",
    );
    let direct = direct(&cluster, "postgres").await;
    assert_eq!(
        text(
            &direct,
            "select count(*) from strata.events where kind = 'apply' and outcome = 'ok'"
        )
        .await,
        SLOW_INDEX.len().to_string(),
        "a migration was applied more than once"
    );
}
