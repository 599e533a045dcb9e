//! Starting, describing and stopping a throwaway cluster.
//!
//! A cluster lives in a temporary directory of its own: `data/` (the data directory, copied
//! from the cached template), `socket/` (the unix socket), `postgres.log` (the server's
//! stdout and stderr), `pgpass` (the superuser's password, for client programs) and `owner`
//! (the process that made it). Dropping the [`Cluster`] stops the server and deletes the
//! directory; a cluster whose process died without dropping it is cleared by the next start
//! in the same place (see `reap.rs`).
//!
//! No other local user may use a cluster while it runs (it is a superuser's, and a superuser
//! can run programs as the server's user with `COPY ... TO PROGRAM`): every connection, over
//! TCP or the unix socket, must give the superuser's password (SCRAM-SHA-256; `pg_hba.conf`
//! trusts no one, and neither does the cached template it is copied from), and the directory,
//! the socket's directory and the data directory are the server's user's only (mode 0700), the
//! log and the password file its owner's (mode 0600).

use std::ffi::OsString;
use std::fmt;
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use crate::fsutil::{chown_tree, copy_tree, first_unsearchable, set_mode};
use crate::process::{combined_output, command, log_tail, spawn_retrying};
use crate::reap;
use crate::secret::{passfile_line, random_password, redact, write_private};
use crate::template::{self, Spec, default_cache_dir, initdb_args, run_initdb, usable_cache_dir};
use crate::user::server_user;
use crate::{Error, OsUser, PgBinaries, PgVersion};

/// The superuser every cluster is created with.
pub const SUPERUSER: &str = "postgres";

/// The address the server listens on for TCP connections.
const HOST: &str = "127.0.0.1";

/// How many free ports to try when the one picked is taken before the server binds it.
const PORT_ATTEMPTS: u32 = 5;

/// How long a stopping server gets before it is killed. PostgreSQL's own immediate shutdown
/// kills its children after 5 seconds, so this leaves it time to do that first.
const STOP_GRACE: Duration = Duration::from_secs(10);

/// How many log lines an error quotes.
const LOG_TAIL_LINES: usize = 30;

/// The longest unix socket path accepted (`sun_path` is 108 bytes on Linux and 104 on macOS,
/// including the terminating NUL).
const MAX_SOCKET_PATH: usize = 103;

/// The superuser's password. Every connection, over TCP or the unix socket, must give a
/// password (SCRAM-SHA-256): no local user is trusted, since a superuser can run programs as
/// the server's user.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Auth {
    /// A password generated for this cluster from the system's random source (the default).
    /// [`Cluster::url`] and [`Cluster::client_command`] carry it; [`Cluster::password`] gives
    /// it.
    Random,
    /// This password (a test that needs to know it in advance, or to connect with a wrong
    /// one).
    Password(String),
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Random => f.write_str("Random"),
            Self::Password(_) => f.write_str("Password(..)"),
        }
    }
}

/// Configures and starts a [`Cluster`]; see [`Cluster::builder`].
#[derive(Debug, Clone)]
pub struct ClusterBuilder {
    binaries: Option<PgBinaries>,
    bin_dir: Option<PathBuf>,
    max_connections: u32,
    settings: Vec<(String, String)>,
    auth: Auth,
    os_user: Option<String>,
    cache_dir: Option<PathBuf>,
    use_template: bool,
    temp_dir: Option<PathBuf>,
    start_timeout: Duration,
    initdb_args: Vec<String>,
}

impl Default for ClusterBuilder {
    fn default() -> Self {
        Self {
            binaries: None,
            bin_dir: None,
            max_connections: 100,
            settings: Vec::new(),
            auth: Auth::Random,
            os_user: None,
            cache_dir: None,
            use_template: true,
            temp_dir: None,
            start_timeout: Duration::from_secs(30),
            initdb_args: Vec::new(),
        }
    }
}

impl ClusterBuilder {
    /// A builder with the defaults: binaries found by [`PgBinaries::find`], 100 connections,
    /// a random superuser password, the cached template, a 30 second start timeout.
    pub fn new() -> Self {
        Self::default()
    }

    /// Uses these binaries.
    pub fn binaries(mut self, binaries: PgBinaries) -> Self {
        self.binaries = Some(binaries);
        self
    }

    /// Uses the binaries in `dir` (which must hold `initdb` and `postgres`) instead of
    /// searching for them.
    pub fn bin_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.bin_dir = Some(dir.into());
        self
    }

    /// Sets `max_connections` (100 by default).
    pub fn max_connections(mut self, max: u32) -> Self {
        self.max_connections = max;
        self
    }

    /// Adds a server setting, passed as `-c name=value` after the defaults (so it can override
    /// them: `shared_buffers`, `fsync`...).
    pub fn setting(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.settings.push((name.into(), value.into()));
        self
    }

    /// Sets the superuser's password ([`Auth::Random`] by default).
    pub fn auth(mut self, auth: Auth) -> Self {
        self.auth = auth;
        self
    }

    /// When this process is root, runs the server as this user instead of `STRATA_PG_USER`,
    /// `postgres` or `nobody`. Ignored when not root.
    pub fn os_user(mut self, name: impl Into<String>) -> Self {
        self.os_user = Some(name.into());
        self
    }

    /// Keeps cached templates in `dir` instead of [`default_cache_dir`].
    pub fn cache_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.cache_dir = Some(dir.into());
        self
    }

    /// Whether to start from the cached template (the default) or run `initdb` afresh.
    pub fn template(mut self, use_template: bool) -> Self {
        self.use_template = use_template;
        self
    }

    /// Creates the cluster's directory in `dir` instead of `STRATA_TMPDIR` or else the system
    /// temporary directory.
    ///
    /// When this process is root, the server's user must be able to enter `dir` and its
    /// parents; [`Error::NotSearchable`] says which one it cannot.
    pub fn temp_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.temp_dir = Some(dir.into());
        self
    }

    /// How long to wait for the server to accept connections (30 seconds by default).
    pub fn start_timeout(mut self, timeout: Duration) -> Self {
        self.start_timeout = timeout;
        self
    }

    /// Adds an `initdb` option (`--data-checksums`, `--locale=en_US.UTF-8`...). Templates are
    /// cached per set of options.
    pub fn initdb_arg(mut self, arg: impl Into<String>) -> Self {
        self.initdb_args.push(arg.into());
        self
    }

    /// Creates the cluster and starts its server, returning once it accepts connections.
    pub fn start(self) -> Result<Cluster, Error> {
        let password = self.checked_password()?;
        let binaries = match (self.binaries.clone(), &self.bin_dir) {
            (Some(binaries), _) => binaries,
            (None, Some(dir)) => PgBinaries::from_dir(dir)?,
            (None, None) => PgBinaries::find()?,
        };
        let os_user = server_user(self.os_user.as_deref())?;
        // Switch users only when needed: when not root we are the server's user already.
        let switch_to = (!os_user.is_current()).then_some(&os_user);

        let parent = self
            .temp_dir
            .clone()
            .or_else(|| {
                std::env::var_os("STRATA_TMPDIR")
                    .filter(|dir| !dir.is_empty())
                    .map(PathBuf::from)
            })
            .unwrap_or_else(default_parent_dir);
        if let Some(user) = switch_to
            && let Some(closed) = first_unsearchable(&parent, user)
        {
            return Err(Error::NotSearchable {
                path: closed,
                user: user.name().to_owned(),
            });
        }
        // Clusters left behind by processes that died without dropping theirs.
        reap::reap(&parent);
        let root = tempfile::Builder::new()
            .prefix(reap::DIR_PREFIX)
            .tempdir_in(&parent)
            .map_err(|e| Error::io("create a directory in", &parent, e))?
            .keep();
        // From here on, dropping `guard` removes the directory (and stops a started server).
        let mut guard = Guard {
            root: root.clone(),
            child: None,
            removed: false,
        };
        reap::record_owner(&root).map_err(|e| Error::io("write the owner file of", &root, e))?;
        let data_dir = root.join("data");
        let socket_dir = root.join("socket");
        let log_file = root.join("postgres.log");
        let passfile = root.join("pgpass");

        let socket_path = socket_dir.join(".s.PGSQL.65535");
        if socket_path.as_os_str().len() > MAX_SOCKET_PATH {
            return Err(Error::SocketPathTooLong {
                path: socket_path,
                max: MAX_SOCKET_PATH,
            });
        }
        // Nothing in here is for other users: not the socket, not the log (which may quote
        // the SQL of a failed statement), not the password file. tempfile makes the directory
        // 0700 already; say so here rather than rely on it.
        set_mode(&root, 0o700)?;
        fs::create_dir(&socket_dir).map_err(|e| Error::io("create directory", &socket_dir, e))?;
        set_mode(&socket_dir, 0o700)?;
        write_private(&log_file, "").map_err(|e| Error::io("create", &log_file, e))?;

        self.create_data_dir(&binaries, &os_user, &parent, &root, &data_dir)?;
        // PostgreSQL refuses a data directory others can read.
        set_mode(&data_dir, 0o700)?;
        // Before the server first starts: no copy ever listens with the template's settings.
        write_hba(&data_dir)?;
        if let Some(user) = switch_to {
            chown_tree(&root, user)?;
        }
        set_superuser_password(&binaries, &data_dir, &password, switch_to, &root)?;
        // After the chown: the file stays this process's, the server's user does not need it.
        write_private(&passfile, &passfile_line(SUPERUSER, &password))
            .map_err(|e| Error::io("write", &passfile, e))?;

        let launch = Launch {
            program: binaries.program("postgres"),
            args: self.server_args(&data_dir, &socket_dir),
            user: switch_to,
            cwd: &root,
            pid_file: data_dir.join("postmaster.pid"),
            log_file: &log_file,
            timeout: self.start_timeout,
        };
        let (port, pid) = launch.run(&mut guard)?;
        Ok(Cluster {
            guard,
            data_dir,
            socket_dir,
            log_file,
            port,
            pid,
            binaries,
            os_user,
            password,
            passfile,
        })
    }

    /// Checks the setting names and the password, before anything is created; returns the
    /// password (generated for [`Auth::Random`]).
    fn checked_password(&self) -> Result<String, Error> {
        for (name, _) in &self.settings {
            if name.is_empty()
                || !name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
            {
                return Err(Error::InvalidSetting { name: name.clone() });
            }
        }
        match &self.auth {
            Auth::Random => random_password(),
            Auth::Password(password) if password.contains(['\n', '\r', '\0']) => {
                Err(Error::InvalidPassword)
            }
            Auth::Password(password) => Ok(password.clone()),
        }
    }

    /// Fills `data_dir` (which must not exist): a copy of the cached template, or a fresh
    /// `initdb` when there is no usable cache or the builder said not to use it.
    fn create_data_dir(
        &self,
        binaries: &PgBinaries,
        os_user: &OsUser,
        parent: &Path,
        root: &Path,
        data_dir: &Path,
    ) -> Result<(), Error> {
        let args = initdb_args(binaries, &self.initdb_args);
        let cache_dir = if self.use_template {
            usable_cache_dir(self.cache_dir.clone().unwrap_or_else(default_cache_dir))
        } else {
            None
        };
        if let Some(cache_dir) = cache_dir {
            let spec = Spec {
                binaries,
                initdb_args: &args,
                owner: os_user,
                scratch_parent: parent,
            };
            let template = template::ensure(&cache_dir, &spec)?;
            return copy_tree(&template, data_dir);
        }
        let switch_to = (!os_user.is_current()).then_some(os_user);
        if let Some(user) = switch_to {
            chown_tree(root, user)?;
        }
        run_initdb(binaries, &args, data_dir, switch_to, root)
    }

    /// The `postgres` arguments, but the port.
    fn server_args(&self, data_dir: &Path, socket_dir: &Path) -> Vec<OsString> {
        let mut args: Vec<OsString> = vec!["-D".into(), data_dir.into()];
        let mut set = |name: &str, value: &str| {
            args.push("-c".into());
            args.push(format!("{name}={value}").into());
        };
        set(
            "unix_socket_directories",
            &quote_list_item(&socket_dir.to_string_lossy()),
        );
        set("listen_addresses", HOST);
        // Durability is pointless for a cluster deleted at the end of the test.
        set("fsync", "off");
        set("synchronous_commit", "off");
        set("full_page_writes", "off");
        set("shared_buffers", "16MB");
        set("max_connections", &self.max_connections.to_string());
        set("password_encryption", "scram-sha-256");
        set("logging_collector", "off");
        set("huge_pages", "off");
        // Last, so that they override the defaults above.
        for (name, value) in &self.settings {
            set(name, value);
        }
        args
    }
}

/// How to start the postmaster, once the data directory is ready.
struct Launch<'a> {
    program: PathBuf,
    args: Vec<OsString>,
    user: Option<&'a OsUser>,
    cwd: &'a Path,
    pid_file: PathBuf,
    log_file: &'a Path,
    timeout: Duration,
}

impl Launch<'_> {
    /// Starts the server on a free port, trying another when the port was taken in the
    /// meantime; returns the port and the postmaster's pid. The server is left in `guard`.
    fn run(&self, guard: &mut Guard) -> Result<(u16, u32), Error> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let port = free_port()?;
            let log_start = fs::metadata(self.log_file).map_or(0, |meta| meta.len());
            let log = || {
                OpenOptions::new()
                    .append(true)
                    .open(self.log_file)
                    .map_err(|e| Error::io("open", self.log_file, e))
            };
            let mut postgres = command(&self.program, self.user, self.cwd);
            postgres
                .args(&self.args)
                .arg("-p")
                .arg(port.to_string())
                .stdin(Stdio::null())
                .stdout(log()?)
                .stderr(log()?);
            let child = spawn_retrying(&mut postgres).map_err(|error| Error::Spawn {
                program: self.program.clone(),
                error,
            })?;
            let pid = child.id();
            let child = guard.child.insert(child);
            match wait_ready(child, &self.pid_file, self.timeout)? {
                Startup::Ready => return Ok((port, pid)),
                Startup::Exited(status) => {
                    guard.child = None;
                    let log_tail = log_tail(self.log_file, log_start, LOG_TAIL_LINES);
                    if !is_port_conflict(&log_tail) {
                        return Err(Error::ServerExited { status, log_tail });
                    }
                    if attempt >= PORT_ATTEMPTS {
                        return Err(Error::PortUnavailable {
                            attempts: attempt,
                            log_tail,
                        });
                    }
                }
                Startup::TimedOut => {
                    let stopped = guard.stop_server();
                    let log_tail = log_tail(self.log_file, log_start, LOG_TAIL_LINES);
                    stopped?;
                    return Err(Error::StartTimeout {
                        waited: self.timeout,
                        log_tail,
                    });
                }
            }
        }
    }
}

/// A running throwaway PostgreSQL server with its own data directory.
///
/// Dropping it stops the server and deletes every file it had; [`Cluster::stop`] does the same
/// and reports failures.
pub struct Cluster {
    guard: Guard,
    data_dir: PathBuf,
    socket_dir: PathBuf,
    log_file: PathBuf,
    port: u16,
    pid: u32,
    binaries: PgBinaries,
    os_user: OsUser,
    password: String,
    passfile: PathBuf,
}

impl fmt::Debug for Cluster {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cluster")
            .field("port", &self.port)
            .field("pid", &self.pid)
            .field("data_dir", &self.data_dir)
            .field("version", &self.binaries.version())
            .field("os_user", &self.os_user.name())
            .finish_non_exhaustive()
    }
}

impl Cluster {
    /// A builder, to configure the cluster before starting it.
    pub fn builder() -> ClusterBuilder {
        ClusterBuilder::new()
    }

    /// Starts a cluster with the defaults of [`ClusterBuilder::new`].
    pub fn start() -> Result<Self, Error> {
        ClusterBuilder::new().start()
    }

    /// The TCP port the server listens on, at [`Cluster::host`].
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The address the server listens on: `127.0.0.1`.
    pub fn host(&self) -> &str {
        HOST
    }

    /// The directory holding the server's unix socket (usable as libpq's `host`).
    pub fn socket_dir(&self) -> &Path {
        &self.socket_dir
    }

    /// The data directory.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The file receiving the server's log.
    pub fn log_file(&self) -> &Path {
        &self.log_file
    }

    /// The superuser's name: `postgres`.
    pub fn superuser(&self) -> &str {
        SUPERUSER
    }

    /// The superuser's password, needed by every connection.
    pub fn password(&self) -> &str {
        &self.password
    }

    /// A URL connecting to database `dbname` over TCP as the superuser, with its password:
    /// `postgres://postgres:PASSWORD@127.0.0.1:PORT/DBNAME`. For connecting, not for showing.
    pub fn url(&self, dbname: &str) -> String {
        format!(
            "postgres://{SUPERUSER}:{}@{HOST}:{}/{}",
            percent_encode(&self.password),
            self.port,
            percent_encode(dbname)
        )
    }

    /// The process id of the postmaster.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// The server version.
    pub fn version(&self) -> &PgVersion {
        self.binaries.version()
    }

    /// The directory of the server binaries, which usually holds `psql`, `createdb` and
    /// `pg_dump` too.
    pub fn bin_dir(&self) -> &Path {
        self.binaries.bin_dir()
    }

    /// The binaries this cluster runs.
    pub fn binaries(&self) -> &PgBinaries {
        &self.binaries
    }

    /// The operating-system user running the server and owning its files.
    pub fn os_user(&self) -> &OsUser {
        &self.os_user
    }

    /// A command for `program` from [`Cluster::bin_dir`] (`psql`, `pg_dump`...), with `PGHOST`,
    /// `PGPORT`, `PGUSER` and `PGDATABASE` (`postgres`) set to reach this cluster through its
    /// unix socket, `PGPASSFILE` naming a password file (mode 0600) that gives the superuser's
    /// password, and every other `PG*` variable removed. The password is on no command line
    /// and in no environment variable.
    ///
    /// It runs as this process's user: when that is root, it can enter the socket directory
    /// even though the server's user owns it.
    pub fn client_command(&self, program: &str) -> Command {
        let mut client = command(&self.binaries.program(program), None, &std::env::temp_dir());
        client
            .env("PGHOST", &self.socket_dir)
            .env("PGPORT", self.port.to_string())
            .env("PGUSER", SUPERUSER)
            .env("PGDATABASE", "postgres")
            .env("PGPASSFILE", &self.passfile);
        client
    }

    /// Creates database `name` by running `createdb`.
    pub fn create_database(&self, name: &str) -> Result<(), Error> {
        if name.is_empty() || name.contains('\0') {
            return Err(Error::InvalidDatabaseName {
                name: name.to_owned(),
            });
        }
        let mut createdb = self.client_command("createdb");
        // `--` so that a name starting with `-` is not read as an option.
        createdb.arg("--").arg(name).stdin(Stdio::null());
        let program = self.binaries.program("createdb");
        let output = createdb.output().map_err(|error| Error::Spawn {
            program: program.clone(),
            error,
        })?;
        if output.status.success() {
            Ok(())
        } else {
            Err(Error::CommandFailed {
                program,
                status: output.status,
                output: combined_output(&output),
            })
        }
    }

    /// Stops the server and deletes the cluster's directory, reporting what went wrong.
    pub fn stop(mut self) -> Result<(), Error> {
        self.guard.release()
    }
}

/// The server process and directory of a cluster, released on drop.
struct Guard {
    root: PathBuf,
    child: Option<Child>,
    removed: bool,
}

impl Guard {
    /// Stops the server if it runs.
    fn stop_server(&mut self) -> Result<(), Error> {
        match self.child.take() {
            Some(mut child) => stop_child(&mut child, &self.root),
            None => Ok(()),
        }
    }

    /// Stops the server and deletes the directory; a second call does nothing.
    fn release(&mut self) -> Result<(), Error> {
        let stopped = self.stop_server();
        let removed = if self.removed {
            Ok(())
        } else {
            self.removed = true;
            remove_tree(&self.root)
        };
        stopped.and(removed)
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        // Nothing can report a failure from drop; `Cluster::stop` is there for callers who
        // want to know.
        let _ = self.release();
    }
}

/// Stops the postmaster: immediate shutdown (SIGQUIT), then SIGKILL after [`STOP_GRACE`].
fn stop_child(child: &mut Child, root: &Path) -> Result<(), Error> {
    let id = child.id();
    let failed = |e: std::io::Error| Error::io(format!("stop the server (pid {id}) of"), root, e);
    if child.try_wait().map_err(failed)?.is_some() {
        return Ok(());
    }
    // Immediate shutdown skips the checkpoint: nothing in a directory about to be deleted is
    // worth writing.
    if let Ok(pid) = i32::try_from(id) {
        match kill(Pid::from_raw(pid), Signal::SIGQUIT) {
            Ok(()) | Err(Errno::ESRCH) => {}
            Err(errno) => return Err(failed(errno.into())),
        }
    }
    let deadline = Instant::now() + STOP_GRACE;
    while Instant::now() < deadline {
        if child.try_wait().map_err(failed)?.is_some() {
            return Ok(());
        }
        thread::sleep(Duration::from_millis(5));
    }
    child.kill().map_err(failed)?;
    child.wait().map_err(failed)?;
    Ok(())
}

/// Deletes `root`, retrying briefly: a server child killed late may still be writing there.
fn remove_tree(root: &Path) -> Result<(), Error> {
    let mut attempt = 0;
    loop {
        match fs::remove_dir_all(root) {
            Ok(()) => return Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(_) if attempt < 5 => {
                attempt += 1;
                thread::sleep(Duration::from_millis(50));
            }
            Err(e) => return Err(Error::io("remove", root, e)),
        }
    }
}

/// How a start attempt ended.
enum Startup {
    /// `postmaster.pid` says the server accepts connections.
    Ready,
    /// The server exited first.
    Exited(ExitStatus),
    /// Neither happened in time (the server still runs).
    TimedOut,
}

/// Polls `postmaster.pid` until its status line (the 8th, since PostgreSQL 10) says `ready`,
/// watching for the server to exit meanwhile.
fn wait_ready(child: &mut Child, pid_file: &Path, timeout: Duration) -> Result<Startup, Error> {
    let started = Instant::now();
    let pid = child.id().to_string();
    let mut pause = Duration::from_millis(1);
    loop {
        if let Some(status) = child
            .try_wait()
            .map_err(|e| Error::io("wait for the server writing", pid_file, e))?
        {
            return Ok(Startup::Exited(status));
        }
        if let Ok(text) = fs::read_to_string(pid_file) {
            let lines: Vec<&str> = text.lines().map(str::trim).collect();
            if lines.first() == Some(&pid.as_str()) && lines.get(7) == Some(&"ready") {
                return Ok(Startup::Ready);
            }
        }
        if started.elapsed() >= timeout {
            return Ok(Startup::TimedOut);
        }
        thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(20));
    }
}

/// Whether a failed start's log says the TCP port was taken.
fn is_port_conflict(log: &str) -> bool {
    log.contains("could not bind IPv4 address")
        || log.contains("Address already in use")
        || log.contains("could not create any TCP/IP sockets")
}

/// A TCP port on the loopback address that was free a moment ago. Another process may take it
/// before the server binds it; the start loop retries when that happens.
pub(crate) fn free_port() -> Result<u16, Error> {
    let failed = |e| Error::io("find a free TCP port on", HOST, e);
    let listener = TcpListener::bind((HOST, 0)).map_err(failed)?;
    Ok(listener.local_addr().map_err(failed)?.port())
}

/// Writes `pg_hba.conf`: every connection, through the unix socket or over TCP from the
/// loopback address, needs a SCRAM password; nothing else gets in.
pub(crate) fn write_hba(data_dir: &Path) -> Result<(), Error> {
    let text = format!(
        "# Written by strata-ephemeral for a cluster listening on {HOST} only.\n\
         # No trust: any local user could connect as the superuser.\n\
         local all all scram-sha-256\n\
         local replication all scram-sha-256\n\
         host all all {HOST}/32 scram-sha-256\n\
         host replication all {HOST}/32 scram-sha-256\n"
    );
    let path = data_dir.join("pg_hba.conf");
    fs::write(&path, text).map_err(|e| Error::io("write", &path, e))
}

/// Sets the superuser's password through a single-user backend, before the server starts,
/// so that no client connection is needed.
pub(crate) fn set_superuser_password(
    binaries: &PgBinaries,
    data_dir: &Path,
    password: &str,
    user: Option<&OsUser>,
    cwd: &Path,
) -> Result<(), Error> {
    let program = binaries.program("postgres");
    let mut single = command(&program, user, cwd);
    single
        .arg("--single")
        .arg("-D")
        .arg(data_dir)
        .args(["-c", "fsync=off", "-c", "password_encryption=scram-sha-256"])
        .arg("postgres")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let spawn_failed = |error| Error::Spawn {
        program: program.clone(),
        error,
    };
    let mut child = spawn_retrying(&mut single).map_err(spawn_failed)?;
    // In single-user mode a line break ends the statement; the password has none (checked).
    let statement = format!(
        "ALTER ROLE {SUPERUSER} PASSWORD '{}'\n",
        password.replace('\'', "''")
    );
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(statement.as_bytes())
            .map_err(spawn_failed)?;
    }
    let output = child.wait_with_output().map_err(spawn_failed)?;
    // The backend quotes a failed statement, password included.
    let text = redact(&combined_output(&output), password);
    // A failed statement does not change the exit status of a single-user backend.
    if output.status.success() && !text.contains("ERROR:") && !text.contains("FATAL:") {
        Ok(())
    } else {
        Err(Error::CommandFailed {
            program,
            status: output.status,
            output: text,
        })
    }
}

/// Quotes an item of a comma-separated setting (`unix_socket_directories`) when it needs it.
fn quote_list_item(item: &str) -> String {
    if item.contains([',', ' ', '"', '\t']) {
        format!("\"{}\"", item.replace('"', "\"\""))
    } else {
        item.to_owned()
    }
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
fn percent_encode(text: &str) -> String {
    let mut encoded = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

/// Where clusters go by default: `/dev/shm` when it is a memory file system
/// with room to spare (a throwaway cluster runs with fsync off, so memory is
/// the right place, and file creation there is far cheaper than on many disk
/// or overlay file systems), else the system temporary directory.
#[expect(
    clippy::useless_conversion,
    reason = "statvfs block counts are u64 here but narrower on some platforms"
)]
fn default_parent_dir() -> PathBuf {
    const ENOUGH: u64 = 1 << 30;
    let shm = Path::new("/dev/shm");
    let roomy = nix::sys::statvfs::statvfs(shm).is_ok_and(|st| {
        u64::from(st.blocks_available()).saturating_mul(st.fragment_size()) >= ENOUGH
    });
    let writable = nix::unistd::access(shm, nix::unistd::AccessFlags::W_OK).is_ok();
    if shm.is_dir() && roomy && writable {
        shm.to_path_buf()
    } else {
        std::env::temp_dir()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_encoding_keeps_unreserved_characters_only() {
        assert_eq!(percent_encode("app_test-1.x~"), "app_test-1.x~");
        assert_eq!(percent_encode("p@ss:w/rd é"), "p%40ss%3Aw%2Frd%20%C3%A9");
    }

    #[test]
    fn socket_dirs_with_separators_are_quoted() {
        assert_eq!(
            quote_list_item("/tmp/strata-pg-x/socket"),
            "/tmp/strata-pg-x/socket"
        );
        assert_eq!(quote_list_item("/tmp/a b,c"), "\"/tmp/a b,c\"");
    }

    #[test]
    fn port_conflicts_are_recognised_in_the_log() {
        assert!(is_port_conflict(
            "LOG:  could not bind IPv4 address \"127.0.0.1\": Address already in use"
        ));
        assert!(!is_port_conflict(
            "FATAL:  invalid value for parameter \"shared_buffers\""
        ));
    }

    #[test]
    fn bad_setting_names_are_refused_before_anything_runs() {
        for name in ["", "work_mem=1MB", "a b", "-D"] {
            let error = Cluster::builder()
                .bin_dir("/nonexistent-strata-bin")
                .setting(name, "x")
                .start()
                .expect_err("invalid setting name");
            assert!(
                matches!(error, Error::InvalidSetting { .. }),
                "{name:?}: {error}"
            );
        }
    }

    #[test]
    fn passwords_with_line_breaks_are_refused() {
        let error = Cluster::builder()
            .bin_dir("/nonexistent-strata-bin")
            .auth(Auth::Password("a\nb".to_owned()))
            .start()
            .expect_err("invalid password");
        assert!(matches!(error, Error::InvalidPassword), "{error}");
    }

    #[test]
    fn an_explicit_bin_dir_without_the_server_is_reported() {
        let error = Cluster::builder()
            .bin_dir("/nonexistent-strata-bin")
            .start()
            .expect_err("no binaries there");
        let message = error.to_string();
        assert!(
            message.contains("/nonexistent-strata-bin: no such directory"),
            "{message}"
        );
        assert!(message.contains("apt-get install postgresql"), "{message}");
    }

    #[test]
    fn passwords_are_redacted_from_debug_output() {
        let auth = Auth::Password("hunter2".to_owned());
        assert_eq!(format!("{auth:?}"), "Password(..)");
    }
}
