//! Real clusters, started from the PostgreSQL server binaries installed on this machine.
//!
//! Each test starts its own clusters, so they run in parallel. When the test process is root,
//! the servers run as an unprivileged user, and one test re-runs this binary as `nobody` to
//! cover the non-root path too.

use std::fs;
use std::io::{BufRead as _, BufReader, ErrorKind, Write as _};
use std::os::unix::fs::{MetadataExt, PermissionsExt, chown};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;
use std::time::Duration;

use nix::errno::Errno;
use nix::sys::signal::kill;
use nix::unistd::{Pid, User, geteuid};
use strata_ephemeral::{Auth, Cluster, Error};
use tokio_postgres::error::SqlState;
use tokio_postgres::{Client, NoTls};

/// The ignored test that [`two_clusters_as_an_unprivileged_process`] runs as `nobody`.
const UNPRIVILEGED_INNER: &str = "unprivileged_inner_two_clusters";

fn block_on<F: Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
        .block_on(future)
}

/// Connects over TCP; the connection is driven on the current runtime.
async fn connect(url: &str) -> Result<Client, tokio_postgres::Error> {
    let (client, connection) = tokio_postgres::connect(url, NoTls).await?;
    tokio::spawn(async move {
        // The connection ends when the client drops or the server stops: nothing to report.
        let _ = connection.await;
    });
    Ok(client)
}

async fn query_text(client: &Client, sql: &str) -> String {
    client
        .query_one(sql, &[])
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .get(0)
}

/// A temporary directory the server's user can pass through (root's tempdirs are 0700).
fn open_tempdir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).expect("chmod tempdir");
    dir
}

fn is_alive(pid: u32) -> bool {
    let pid = Pid::from_raw(i32::try_from(pid).expect("pid fits i32"));
    match kill(pid, None) {
        Ok(()) => true,
        Err(Errno::ESRCH) => false,
        Err(errno) => panic!("kill -0 {pid}: {errno}"),
    }
}

/// The real, effective, saved and file-system uids of a process, from `/proc`.
#[cfg(target_os = "linux")]
fn proc_status(pid: u32, field: &str) -> String {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).expect("read /proc status");
    status
        .lines()
        .find_map(|line| line.strip_prefix(field))
        .unwrap_or_else(|| panic!("no {field} in /proc/{pid}/status"))
        .trim()
        .to_owned()
}

/// Checks who runs the server: an unprivileged user with no extra groups when we are root,
/// ourselves otherwise.
fn check_server_user(cluster: &Cluster) {
    let uid = cluster.os_user().uid();
    if geteuid().is_root() {
        assert_ne!(uid, 0, "the server must not run as root");
    } else {
        assert_eq!(uid, geteuid().as_raw());
    }
    let data_meta = fs::metadata(cluster.data_dir()).expect("stat data dir");
    assert_eq!(data_meta.uid(), uid, "data dir owner");
    assert_eq!(
        data_meta.permissions().mode() & 0o777,
        0o700,
        "data dir mode"
    );
    #[cfg(target_os = "linux")]
    {
        let uids: Vec<u32> = proc_status(cluster.pid(), "Uid:")
            .split_whitespace()
            .map(|field| field.parse().expect("uid"))
            .collect();
        assert_eq!(uids, [uid; 4], "uids of the postmaster");
        if geteuid().is_root() {
            assert_eq!(
                proc_status(cluster.pid(), "Groups:"),
                "",
                "root's supplementary groups must be dropped"
            );
        }
    }
}

/// Runs the basic checks against a started cluster and leaves a table labelled `label`.
fn check_cluster(cluster: &Cluster, label: &str) {
    block_on(async {
        let client = connect(&cluster.url("postgres"))
            .await
            .unwrap_or_else(|e| panic!("connect to {}: {e}", cluster.url("postgres")));
        assert_eq!(
            query_text(&client, "select current_setting('fsync')").await,
            "off"
        );
        let version = query_text(&client, "select version()").await;
        let expected = format!("PostgreSQL {}", cluster.version().major());
        assert!(version.starts_with(&expected), "{version}");
        let data_directory = query_text(&client, "select current_setting('data_directory')").await;
        assert_eq!(
            fs::canonicalize(data_directory).expect("canonicalize server data dir"),
            fs::canonicalize(cluster.data_dir()).expect("canonicalize data dir")
        );
        // Were both clusters one server, the second `create table` would fail.
        client
            .batch_execute("create table owner (label text not null)")
            .await
            .expect("create table");
        client
            .execute("insert into owner values ($1)", &[&label])
            .await
            .expect("insert");
        assert_eq!(query_text(&client, "select label from owner").await, label);
    });
    check_server_user(cluster);
}

/// Starts two clusters in parallel, checks each and that they are distinct, drops them and
/// checks nothing is left.
fn two_clusters_scenario() {
    let handles: Vec<_> = ["left", "right"]
        .into_iter()
        .map(|label| {
            thread::spawn(move || {
                let cluster = Cluster::builder()
                    .start()
                    .unwrap_or_else(|e| panic!("start the {label} cluster: {e}"));
                check_cluster(&cluster, label);
                cluster
            })
        })
        .collect();
    let clusters: Vec<Cluster> = handles
        .into_iter()
        .map(|handle| handle.join().expect("cluster thread"))
        .collect();
    let [left, right] = &clusters[..] else {
        panic!("two clusters expected");
    };
    assert_ne!(left.port(), right.port());
    assert_ne!(left.data_dir(), right.data_dir());
    assert_ne!(left.pid(), right.pid());

    let remains: Vec<(PathBuf, u32)> = clusters
        .iter()
        .map(|c| (c.data_dir().to_path_buf(), c.pid()))
        .collect();
    drop(clusters);
    for (data_dir, pid) in remains {
        assert!(!data_dir.exists(), "{} still exists", data_dir.display());
        assert!(!is_alive(pid), "postmaster {pid} still runs");
    }
}

#[test]
fn two_clusters_in_parallel() {
    two_clusters_scenario();
}

/// Run by [`two_clusters_as_an_unprivileged_process`] as `nobody`; harmless on its own.
#[test]
#[ignore = "run as an unprivileged user by two_clusters_as_an_unprivileged_process"]
fn unprivileged_inner_two_clusters() {
    println!("running as uid {}", geteuid());
    two_clusters_scenario();
}

#[test]
fn two_clusters_as_an_unprivileged_process() {
    if !geteuid().is_root() {
        two_clusters_scenario();
        return;
    }
    let Some(nobody) = User::from_name("nobody").ok().flatten() else {
        eprintln!("skipped: there is no user `nobody` to re-run this test as");
        return;
    };
    let exe = std::env::current_exe().expect("current exe");
    let home = tempfile::tempdir().expect("tempdir");
    chown(
        home.path(),
        Some(nobody.uid.as_raw()),
        Some(nobody.gid.as_raw()),
    )
    .expect("chown home");
    let output = Command::new(&exe)
        .args(["--ignored", "--exact", UNPRIVILEGED_INNER, "--nocapture"])
        .uid(nobody.uid.as_raw())
        .gid(nobody.gid.as_raw())
        .current_dir(home.path())
        .env("HOME", home.path())
        .env("STRATA_CACHE_DIR", home.path().join("cache"))
        .env_remove("XDG_CACHE_HOME")
        .env_remove("STRATA_PG_USER")
        .output();
    let output = match output {
        Err(e) if e.kind() == ErrorKind::PermissionDenied => {
            eprintln!(
                "skipped: user nobody cannot run {} ({e}); make it and its directories \
                 world-readable to cover the non-root path",
                exe.display()
            );
            return;
        }
        Err(e) => panic!("run {} as nobody: {e}", exe.display()),
        Ok(output) => output,
    };
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the test failed as nobody ({}):\n{stdout}\n{stderr}",
        output.status
    );
    assert!(
        stdout.contains(&format!("running as uid {}", nobody.uid)) && stdout.contains("1 passed"),
        "the inner test did not run as nobody:\n{stdout}\n{stderr}"
    );
}

/// Run by [`a_cluster_whose_process_was_killed_is_cleared_by_the_next_start`]: starts a
/// cluster where it is told, says where, and waits to be killed; harmless on its own.
#[test]
#[ignore = "run and killed by a_cluster_whose_process_was_killed_is_cleared_by_the_next_start"]
fn killed_owner_inner() {
    let Some(parent) = std::env::var_os("STRATA_TEST_KILLED_PARENT") else {
        return;
    };
    let cluster = Cluster::builder()
        .temp_dir(parent)
        .start()
        .expect("start a cluster");
    println!("cluster {} {}", cluster.pid(), cluster.data_dir().display());
    std::io::stdout().flush().expect("flush");
    thread::sleep(Duration::from_secs(120));
}

#[test]
fn a_cluster_whose_process_was_killed_is_cleared_by_the_next_start() {
    let parent = open_tempdir();
    let exe = std::env::current_exe().expect("current exe");
    let mut owner = Command::new(&exe)
        .args(["--ignored", "--exact", "killed_owner_inner", "--nocapture"])
        .env("STRATA_TEST_KILLED_PARENT", parent.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("run the owner");
    let stdout = owner.stdout.take().expect("its stdout");
    let said = BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .find(|line| line.starts_with("cluster "));
    owner.kill().expect("kill the owner");
    owner.wait().expect("wait for the owner");
    let said = said.expect("the owner started a cluster");
    let mut words = said.split(' ').skip(1);
    let pid: u32 = words.next().and_then(|p| p.parse().ok()).expect("a pid");
    let data_dir = PathBuf::from(words.next().expect("a data directory"));
    let root = data_dir
        .parent()
        .expect("the cluster's directory")
        .to_owned();
    // SIGKILL: nothing was dropped, the server still runs.
    assert!(is_alive(pid), "the orphaned server should still run");
    assert!(data_dir.exists());

    let next = Cluster::builder()
        .temp_dir(parent.path())
        .start()
        .expect("start the next cluster");
    select_one(&next);
    assert!(!root.exists(), "{} was not removed", root.display());
    assert!(
        !is_alive(pid) || proc_state(pid) == "Z",
        "the orphaned server {pid} still runs"
    );
    // The new cluster is its own and is left alone.
    assert!(next.data_dir().exists());
    next.stop().expect("stop");
}

/// The state letter of a process (`Z` for a zombie), from `/proc`.
fn proc_state(pid: u32) -> String {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    stat.rfind(')')
        .and_then(|i| stat[i + 1..].split_whitespace().next())
        .unwrap_or_default()
        .to_owned()
}

/// Template directories in `cache`, sorted; hidden entries (builds in progress) are excluded.
fn templates(cache: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = fs::read_dir(cache)
        .expect("read cache dir")
        .map(|entry| entry.expect("cache entry").path())
        .filter(|path| {
            !path
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'))
        })
        .collect();
    dirs.sort();
    dirs
}

/// Entries of `dir` whose name starts with a dot: unfinished or abandoned builds.
fn hidden_entries(dir: &Path) -> Vec<String> {
    fs::read_dir(dir)
        .expect("read dir")
        .map(|entry| {
            entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|name| name.starts_with('.'))
        .collect()
}

/// What changes when a template directory is rebuilt: its inode and modification time, and
/// those of its `PG_VERSION`.
fn stamp(template: &Path) -> [(u64, i64, i64); 2] {
    [template.to_path_buf(), template.join("data/PG_VERSION")].map(|path| {
        let meta = fs::metadata(&path).expect("stat template");
        (meta.ino(), meta.mtime(), meta.mtime_nsec())
    })
}

fn select_one(cluster: &Cluster) {
    block_on(async {
        let client = connect(&cluster.url("postgres")).await.expect("connect");
        assert_eq!(query_text(&client, "select '1'").await, "1");
    });
}

#[test]
fn second_start_reuses_the_cached_template() {
    // Open to the server's user, so when root, initdb writes into the cache directly (the other
    // template tests use private cache directories: initdb runs elsewhere and is copied in).
    let cache = open_tempdir();
    let first = Cluster::builder()
        .cache_dir(cache.path())
        .start()
        .expect("cold start");
    let built = templates(cache.path());
    assert_eq!(built.len(), 1, "one template expected: {built:?}");
    let template = &built[0];
    assert!(template.join("data/PG_VERSION").is_file());
    let before = stamp(template);

    let second = Cluster::builder()
        .cache_dir(cache.path())
        .start()
        .expect("warm start");
    assert_eq!(templates(cache.path()), built);
    assert_eq!(stamp(template), before, "the template was rebuilt");
    assert_eq!(hidden_entries(cache.path()), Vec::<String>::new());
    assert_ne!(first.data_dir(), second.data_dir());
    select_one(&first);
    select_one(&second);
    // The clusters work on copies: the template still has no server lock file.
    assert!(!template.join("data/postmaster.pid").exists());
}

#[test]
fn broken_template_is_rebuilt() {
    let cache = tempfile::tempdir().expect("tempdir");
    Cluster::builder()
        .cache_dir(cache.path())
        .start()
        .expect("cold start")
        .stop()
        .expect("stop");
    let built = templates(cache.path());
    assert_eq!(built.len(), 1, "{built:?}");
    fs::remove_file(built[0].join("data/PG_VERSION")).expect("break the template");

    let cluster = Cluster::builder()
        .cache_dir(cache.path())
        .start()
        .expect("start from a rebuilt template");
    select_one(&cluster);
    assert_eq!(templates(cache.path()), built);
    assert!(built[0].join("data/PG_VERSION").is_file(), "not rebuilt");
    assert_eq!(hidden_entries(cache.path()), Vec::<String>::new());
}

#[test]
fn concurrent_cold_starts_share_one_template() {
    let cache = tempfile::tempdir().expect("tempdir");
    let clusters: Vec<Cluster> = thread::scope(|scope| {
        let handles: Vec<_> = (0..3)
            .map(|_| {
                scope.spawn(|| {
                    Cluster::builder()
                        .cache_dir(cache.path())
                        .start()
                        .expect("start")
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| handle.join().expect("start thread"))
            .collect()
    });
    for cluster in &clusters {
        select_one(cluster);
    }
    assert_eq!(templates(cache.path()).len(), 1);
    assert_eq!(hidden_entries(cache.path()), Vec::<String>::new());
}

#[test]
fn explicit_stop_leaves_nothing_behind() {
    let parent = open_tempdir();
    let cluster = Cluster::builder()
        .temp_dir(parent.path())
        .start()
        .expect("start");
    let pid = cluster.pid();
    assert!(is_alive(pid));
    assert!(cluster.socket_dir().starts_with(parent.path()));
    assert!(cluster.log_file().is_file());
    cluster.stop().expect("stop");
    assert!(!is_alive(pid), "postmaster {pid} still runs");
    assert_eq!(fs::read_dir(parent.path()).expect("read").count(), 0);
}

#[test]
fn settings_and_max_connections_reach_the_server() {
    let cluster = Cluster::builder()
        .max_connections(7)
        .setting("work_mem", "7MB")
        .setting("application_name", "strata test")
        .start()
        .expect("start");
    block_on(async {
        let client = connect(&cluster.url("postgres")).await.expect("connect");
        assert_eq!(query_text(&client, "show max_connections").await, "7");
        assert_eq!(query_text(&client, "show work_mem").await, "7MB");
        assert_eq!(query_text(&client, "show full_page_writes").await, "off");
        assert_eq!(query_text(&client, "show synchronous_commit").await, "off");
    });
}

#[test]
fn a_server_that_exits_at_startup_reports_its_log() {
    let parent = open_tempdir();
    let error = Cluster::builder()
        .temp_dir(parent.path())
        .setting("shared_buffers", "banana")
        .start()
        .expect_err("an invalid setting must stop the server");
    let Error::ServerExited { log_tail, .. } = &error else {
        panic!("unexpected error: {error}");
    };
    assert!(log_tail.contains("shared_buffers"), "{log_tail}");
    assert!(error.to_string().contains("end of its log"), "{error}");
    assert_eq!(
        fs::read_dir(parent.path()).expect("read").count(),
        0,
        "leftovers"
    );
}

#[test]
fn a_start_timeout_stops_the_server_and_cleans_up() {
    let parent = open_tempdir();
    let error = Cluster::builder()
        .temp_dir(parent.path())
        .start_timeout(Duration::ZERO)
        .start()
        .expect_err("no server is ready in no time");
    assert!(matches!(error, Error::StartTimeout { .. }), "{error}");
    assert_eq!(
        fs::read_dir(parent.path()).expect("read").count(),
        0,
        "leftovers"
    );
}

#[test]
fn password_auth_rejects_a_wrong_password() {
    let cluster = Cluster::builder()
        .auth(Auth::Password("it's a s3cret/@:".to_owned()))
        .start()
        .expect("start");
    assert_eq!(cluster.password(), "it's a s3cret/@:");
    block_on(async {
        let client = connect(&cluster.url("postgres"))
            .await
            .expect("the right password is accepted");
        assert_eq!(query_text(&client, "select current_user").await, "postgres");

        let wrong = format!(
            "postgres://postgres:wrong@127.0.0.1:{}/postgres",
            cluster.port()
        );
        let error = connect(&wrong)
            .await
            .expect_err("a wrong password is refused");
        assert_eq!(error.code(), Some(&SqlState::INVALID_PASSWORD), "{error}");

        let none = format!("postgres://postgres@127.0.0.1:{}/postgres", cluster.port());
        assert!(connect(&none).await.is_err(), "no password must be refused");
    });
    // The unix socket needs it too: client commands get it from a password file that
    // escapes the `:` in it.
    let psql = || {
        let mut psql = cluster.client_command("psql");
        psql.args(["-XwAtc", "select 'socket ok'"]);
        psql
    };
    let output = psql().output().expect("run psql");
    assert!(output.status.success(), "{output:?}");
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "socket ok");
    let output = psql()
        .env("PGPASSFILE", "/nonexistent/strata-no-passfile")
        .output()
        .expect("run psql");
    assert!(!output.status.success(), "no password must be refused");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("no password supplied"), "{stderr}");
}

#[test]
fn create_database_runs_createdb() {
    let cluster = Cluster::start().expect("start");
    cluster.create_database("app-test").expect("createdb");
    cluster
        .create_database("-dash")
        .expect("createdb of a name like an option");
    block_on(async {
        let client = connect(&cluster.url("app-test")).await.expect("connect");
        assert_eq!(
            query_text(&client, "select current_database()").await,
            "app-test"
        );
        let client = connect(&cluster.url("-dash")).await.expect("connect");
        assert_eq!(
            query_text(&client, "select current_database()").await,
            "-dash"
        );
    });
    let error = cluster
        .create_database("app-test")
        .expect_err("the database exists");
    assert!(error.to_string().contains("already exists"), "{error}");
}

#[test]
fn a_temp_dir_closed_to_the_server_user_is_reported() {
    if !geteuid().is_root() {
        // Only root switches users; a non-root server runs as the owner of the directory.
        return;
    }
    let closed = tempfile::tempdir().expect("tempdir");
    fs::set_permissions(closed.path(), fs::Permissions::from_mode(0o700)).expect("chmod");
    let error = Cluster::builder()
        .temp_dir(closed.path())
        .start()
        .expect_err("the server's user cannot enter the directory");
    let Error::NotSearchable { path, .. } = &error else {
        panic!("unexpected error: {error}");
    };
    assert_eq!(path, closed.path());
    assert_eq!(
        fs::read_dir(closed.path()).expect("read").count(),
        0,
        "leftovers"
    );
}

/// A user other than root and the server's, to play another account on the machine.
fn stranger(server_uid: u32) -> Option<User> {
    ["nobody", "daemon", "bin", "sys"]
        .into_iter()
        .filter_map(|name| User::from_name(name).ok().flatten())
        .find(|user| !user.uid.is_root() && user.uid.as_raw() != server_uid)
}

/// Runs `psql` against `host` (an address or the socket directory) as `postgres`, with no
/// password from anywhere, as `user` when given (else as this process); returns whether it
/// got in and what it said.
fn psql_without_password(cluster: &Cluster, host: &Path, user: Option<&User>) -> (bool, String) {
    let mut psql = Command::new(cluster.bin_dir().join("psql"));
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("PG") {
            psql.env_remove(name);
        }
    }
    psql.env("PGPASSFILE", "/nonexistent/strata-no-passfile")
        .env("HOME", "/nonexistent")
        .current_dir("/")
        .arg("-X")
        // Never prompt: no password is the point.
        .arg("-w")
        .arg("-h")
        .arg(host)
        .args(["-p", &cluster.port().to_string()])
        .args([
            "-U",
            "postgres",
            "-d",
            "postgres",
            "-Atc",
            "select 'got in'",
        ])
        .stdin(Stdio::null());
    if let Some(user) = user {
        psql.uid(user.uid.as_raw()).gid(user.gid.as_raw());
    }
    let output = psql.output().expect("run psql");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success() && said.contains("got in"), said)
}

fn mode(path: &Path) -> u32 {
    fs::metadata(path)
        .unwrap_or_else(|e| panic!("stat {}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

#[test]
fn other_local_users_cannot_use_a_running_cluster() {
    let cluster = Cluster::start().expect("start");
    let tcp = Path::new("127.0.0.1");
    let socket = cluster.socket_dir();

    // Without the password: refused over TCP and over the socket, to whoever asks.
    let (got_in, said) = psql_without_password(&cluster, tcp, None);
    assert!(
        !got_in,
        "TCP without a password let this process in: {said}"
    );
    assert!(said.contains("no password supplied"), "{said}");
    let (got_in, said) = psql_without_password(&cluster, socket, None);
    assert!(
        !got_in,
        "the socket without a password let this process in: {said}"
    );
    assert!(said.contains("no password supplied"), "{said}");
    if geteuid().is_root() {
        let other = stranger(cluster.os_user().uid()).expect("a user to connect as");
        let (got_in, said) = psql_without_password(&cluster, tcp, Some(&other));
        assert!(!got_in, "TCP let user {} in: {said}", other.name);
        assert!(said.contains("no password supplied"), "{said}");
        // The socket's directory is closed to them before any password is asked.
        let (got_in, said) = psql_without_password(&cluster, socket, Some(&other));
        assert!(!got_in, "the socket let user {} in: {said}", other.name);
        assert!(said.contains("Permission denied"), "{said}");
    }

    // With it, both ways work: the refusals above are about authentication.
    select_one(&cluster);
    let output = cluster
        .client_command("psql")
        .args(["-XAtc", "select 'socket ok'"])
        .output()
        .expect("run psql");
    assert!(output.status.success(), "{output:?}");
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "socket ok");
    block_on(async {
        let client = connect(&cluster.url("postgres")).await.expect("connect");
        let trusting: i64 = client
            .query_one(
                "select count(*) from pg_hba_file_rules where auth_method = 'trust'",
                &[],
            )
            .await
            .expect("read pg_hba_file_rules")
            .get(0);
        assert_eq!(trusting, 0, "pg_hba.conf has trust lines");
    });

    // The files: nothing readable by others, the log included.
    let uid = cluster.os_user().uid();
    let root = cluster
        .log_file()
        .parent()
        .expect("the cluster's directory");
    assert_eq!(mode(cluster.log_file()), 0o600, "log file mode");
    assert_eq!(
        mode(root) & 0o077,
        0,
        "the cluster's directory is open to others"
    );
    assert_eq!(mode(socket), 0o700, "socket directory mode");
    assert_eq!(
        fs::metadata(socket).expect("stat").uid(),
        uid,
        "socket directory owner"
    );
    assert_eq!(mode(cluster.data_dir()), 0o700, "data directory mode");
}

#[test]
fn the_cached_template_trusts_no_one() {
    let cache = tempfile::tempdir().expect("tempdir");
    Cluster::builder()
        .cache_dir(cache.path())
        .start()
        .expect("start")
        .stop()
        .expect("stop");
    let built = templates(cache.path());
    assert_eq!(built.len(), 1, "{built:?}");
    let hba = fs::read_to_string(built[0].join("data/pg_hba.conf")).expect("read pg_hba.conf");
    let trusting: Vec<&str> = hba
        .lines()
        .map(str::trim)
        .filter(|line| !line.starts_with('#') && line.split_whitespace().any(|w| w == "trust"))
        .collect();
    assert!(trusting.is_empty(), "the template trusts: {trusting:?}");
}
