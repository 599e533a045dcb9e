//! The project's own local PostgreSQL: strata's `local` environment.
//!
//! Unlike a throwaway [`Cluster`](crate::Cluster), the local cluster keeps its
//! data between runs. It lives under `.strata/local/` in the project:
//! `data/` (the data directory), `postgres.log`, `port` (the TCP port chosen
//! when it was created), `password` (the superuser's, generated when it was
//! created, readable by its owner only; every login role has it), `roles`
//! (whose roles it was made with, see [`Roles`]; a cluster made before this
//! file existed has PostgreSQL's) and `pinned` (present while
//! `strata local start` wants it kept running). Connections over TCP need the
//! password, so other users of a shared machine cannot reach the database (a
//! cluster created before passwords were introduced keeps trust
//! authentication). When this process is root and the server's unprivileged
//! user cannot reach the project (a project under `/root`, say), the data
//! directory goes to a per-project directory under the system's temporary
//! directory instead, and `.strata/local/data-location` says where.
//!
//! Lifecycle goes through `pg_ctl`, which starts the server detached (it
//! outlives this process) and recovers from a stale `postmaster.pid` left by a
//! crash. Each project picks its own free port on 127.0.0.1 when its cluster
//! is created, so two projects on one machine never collide; the unix socket
//! is switched off (a project path may be too long for one).
//!
//! When the server has pg_cron (Debian's `postgresql-<major>-cron`), it is
//! loaded at every start, with jobs in database `postgres` run by background
//! workers, as on Supabase's local stack: `CREATE EXTENSION pg_cron` works,
//! and scheduled jobs run while the server runs.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::binaries::PgBinaries;
use crate::cluster::{free_port, set_superuser_password, write_hba};
use crate::error::Error;
use crate::fsutil::{chown_tree, copy_tree, first_unsearchable, set_mode};
use crate::process::{combined_output, command, log_tail, output_retrying};
use crate::roles::Roles;
use crate::secret::{random_password, write_private};
use crate::template::{
    self, Spec, default_cache_dir, fnv1a, initdb_args, run_initdb, usable_cache_dir,
};
use crate::user::{OsUser, server_user};

/// The project's local cluster (not necessarily created or running).
#[derive(Debug)]
pub struct LocalCluster {
    meta_dir: PathBuf,
    data_dir: PathBuf,
    log_file: PathBuf,
    binaries: PgBinaries,
    os_user: OsUser,
    create_roles: Roles,
}

/// What `status` found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LocalState {
    /// Never created (or reset).
    Missing,
    /// Created, not running.
    Stopped,
    /// Running.
    Running {
        /// Its TCP port on 127.0.0.1.
        port: u16,
        /// The postmaster's pid.
        pid: u32,
    },
}

impl LocalCluster {
    /// The local cluster of the project rooted at `project_root`.
    pub fn open(project_root: &Path) -> Result<Self, Error> {
        let binaries = PgBinaries::find()?;
        let os_user = server_user(None)?;
        let meta_dir = project_root.join(".strata").join("local");
        fs::create_dir_all(&meta_dir).map_err(|e| Error::io("create directory", &meta_dir, e))?;
        let location_file = meta_dir.join("data-location");
        let data_dir = match fs::read_to_string(&location_file) {
            Ok(location) if !location.trim().is_empty() => PathBuf::from(location.trim()),
            _ => {
                let inside = meta_dir.join("data");
                let reachable =
                    os_user.is_current() || first_unsearchable(&meta_dir, &os_user).is_none();
                if reachable {
                    inside
                } else {
                    let abs = fs::canonicalize(project_root)
                        .map_err(|e| Error::io("resolve", project_root, e))?;
                    let hash = fnv1a(abs.to_string_lossy().as_bytes());
                    let outside = std::env::temp_dir()
                        .join(format!("strata-local-{hash:016x}"))
                        .join("data");
                    fs::write(&location_file, outside.to_string_lossy().as_bytes())
                        .map_err(|e| Error::io("write", &location_file, e))?;
                    outside
                }
            }
        };
        let log_file = data_dir
            .parent()
            .map_or_else(|| meta_dir.join("postgres.log"), |p| p.join("postgres.log"));
        Ok(Self {
            meta_dir,
            data_dir,
            log_file,
            binaries,
            os_user,
            create_roles: Roles::Plain,
        })
    }

    /// The roles to make the cluster with if [`LocalCluster::ensure_running`] creates it
    /// ([`Roles::Plain`] by default). A cluster that exists keeps the roles it was made with.
    pub fn when_created(mut self, roles: Roles) -> Self {
        self.create_roles = roles;
        self
    }

    /// The roles of the cluster: those it was made with, or those it will be made with when
    /// it does not exist yet. A cluster made before strata recorded them has PostgreSQL's.
    pub fn roles(&self) -> Roles {
        if !self.data_dir.join("PG_VERSION").is_file() {
            return self.create_roles;
        }
        fs::read_to_string(self.roles_file())
            .ok()
            .and_then(|text| Roles::parse(&text))
            .unwrap_or(Roles::Plain)
    }

    fn roles_file(&self) -> PathBuf {
        self.meta_dir.join("roles")
    }

    /// The data directory.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The server log.
    pub fn log_file(&self) -> &Path {
        &self.log_file
    }

    fn switch_to(&self) -> Option<&OsUser> {
        (!self.os_user.is_current()).then_some(&self.os_user)
    }

    fn pg_ctl(&self) -> std::process::Command {
        let cwd = self.data_dir.parent().unwrap_or(&self.meta_dir);
        let mut pg_ctl = command(&self.binaries.program("pg_ctl"), self.switch_to(), cwd);
        pg_ctl.arg("-D").arg(&self.data_dir);
        pg_ctl
    }

    /// The port recorded for this project's cluster.
    pub fn port(&self) -> Option<u16> {
        fs::read_to_string(self.meta_dir.join("port"))
            .ok()
            .and_then(|p| p.trim().parse().ok())
    }

    /// Whether the cluster exists, and whether it runs.
    pub fn status(&self) -> Result<LocalState, Error> {
        if !self.data_dir.join("PG_VERSION").is_file() {
            return Ok(LocalState::Missing);
        }
        let output =
            output_retrying(self.pg_ctl().arg("status")).map_err(|error| Error::Spawn {
                program: self.binaries.program("pg_ctl"),
                error,
            })?;
        if !output.status.success() {
            return Ok(LocalState::Stopped);
        }
        let pid = fs::read_to_string(self.data_dir.join("postmaster.pid"))
            .ok()
            .and_then(|text| text.lines().next().and_then(|l| l.trim().parse().ok()))
            .unwrap_or(0);
        Ok(match self.port() {
            Some(port) => LocalState::Running { port, pid },
            None => LocalState::Stopped,
        })
    }

    /// Creates the cluster if needed and starts it if it is not running;
    /// returns its port and whether this call started it.
    pub fn ensure_running(&self) -> Result<(u16, bool), Error> {
        if let LocalState::Running { port, .. } = self.status()? {
            return Ok((port, false));
        }
        if !self.data_dir.join("PG_VERSION").is_file() {
            self.create()?;
        }
        let mut last_error = None;
        for attempt in 0..3 {
            let port = match (attempt, self.port()) {
                (0, Some(port)) => port,
                _ => {
                    let port = free_port()?;
                    let file = self.meta_dir.join("port");
                    fs::write(&file, port.to_string()).map_err(|e| Error::io("write", &file, e))?;
                    port
                }
            };
            match self.start_on(port) {
                Ok(()) => return Ok((port, true)),
                Err(e) => last_error = Some(e),
            }
        }
        Err(last_error.unwrap_or(Error::PortUnavailable {
            attempts: 3,
            log_tail: String::new(),
        }))
    }

    fn start_on(&self, port: u16) -> Result<(), Error> {
        let log_start = fs::metadata(&self.log_file).map_or(0, |m| m.len());
        let mut options = format!(
            "-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c synchronous_commit=off"
        );
        if self.binaries.has_library("pg_cron") {
            options.push_str(
                " -c shared_preload_libraries=pg_cron -c cron.database_name=postgres \
                 -c cron.use_background_workers=on",
            );
        }
        let started = Instant::now();
        // A crash can leave children holding shared memory for a moment: retry briefly.
        loop {
            let output = output_retrying(
                self.pg_ctl()
                    .arg("-l")
                    .arg(&self.log_file)
                    .args(["-w", "-t", "30", "-o", &options, "start"]),
            )
            .map_err(|error| Error::Spawn {
                program: self.binaries.program("pg_ctl"),
                error,
            })?;
            if output.status.success() {
                return Ok(());
            }
            let tail = log_tail(&self.log_file, log_start, 20);
            let retry = tail.contains("pre-existing shared memory block")
                && started.elapsed() < Duration::from_secs(10);
            if !retry {
                return Err(Error::CommandFailed {
                    program: self.binaries.program("pg_ctl"),
                    status: output.status,
                    output: format!("{}\n{tail}", combined_output(&output)),
                });
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    fn create(&self) -> Result<(), Error> {
        let parent = self
            .data_dir
            .parent()
            .map_or_else(|| self.meta_dir.clone(), Path::to_path_buf);
        fs::create_dir_all(&parent).map_err(|e| Error::io("create directory", &parent, e))?;
        if let Some(user) = self.switch_to() {
            chown_tree(&parent, user)?;
        }
        let roles = self.create_roles;
        let args = initdb_args(&self.binaries, roles.superuser(), &[]);
        match usable_cache_dir(default_cache_dir()) {
            Some(cache) => {
                let spec = Spec {
                    binaries: &self.binaries,
                    initdb_args: &args,
                    owner: &self.os_user,
                    scratch_parent: &parent,
                };
                let template = template::ensure(&cache, &spec)?;
                copy_tree(&template, &self.data_dir)?;
            }
            None => run_initdb(
                &self.binaries,
                &args,
                &self.data_dir,
                self.switch_to(),
                &parent,
            )?,
        }
        set_mode(&self.data_dir, 0o700)?;
        if let Some(user) = self.switch_to() {
            chown_tree(&parent, user)?;
        }
        // A half-made cluster would be taken for a made one next time: start over.
        self.secure(roles)
            .and_then(|()| {
                let file = self.roles_file();
                fs::write(&file, format!("{}\n", roles.as_str()))
                    .map_err(|e| Error::io("write", &file, e))
            })
            .inspect_err(|_| {
                let _ = fs::remove_dir_all(&self.data_dir);
            })
    }

    fn secure(&self, roles: Roles) -> Result<(), Error> {
        // A password, so that the database is this user's only (trust would let any
        // local user in): set before the first start, kept where only we read it.
        let password = random_password()?;
        let file = self.password_file();
        write_private(&file, &password).map_err(|e| Error::io("write", &file, e))?;
        let cwd = self.data_dir.parent().unwrap_or(&self.meta_dir);
        set_superuser_password(
            &self.binaries,
            &self.data_dir,
            roles,
            &password,
            self.switch_to(),
            cwd,
        )?;
        write_hba(&self.data_dir)
    }

    fn password_file(&self) -> PathBuf {
        self.meta_dir.join("password")
    }

    /// The superuser's password; `None` for a cluster created with trust
    /// authentication (before passwords).
    fn password(&self) -> Option<String> {
        fs::read_to_string(self.password_file())
            .ok()
            .map(|p| p.trim().to_owned())
            .filter(|p| !p.is_empty())
    }

    /// Stops the server (fast shutdown); returns whether it was running.
    pub fn stop(&self) -> Result<bool, Error> {
        if !matches!(self.status()?, LocalState::Running { .. }) {
            return Ok(false);
        }
        let output =
            output_retrying(self.pg_ctl().args(["-m", "fast", "-w", "stop"])).map_err(|error| {
                Error::Spawn {
                    program: self.binaries.program("pg_ctl"),
                    error,
                }
            })?;
        if !output.status.success() {
            return Err(Error::CommandFailed {
                program: self.binaries.program("pg_ctl"),
                status: output.status,
                output: combined_output(&output),
            });
        }
        Ok(true)
    }

    /// Stops the server and deletes the data: the next use starts from nothing.
    pub fn reset(&self) -> Result<(), Error> {
        self.stop()?;
        self.set_pinned(false)?;
        if self.data_dir.exists() {
            fs::remove_dir_all(&self.data_dir)
                .map_err(|e| Error::io("remove", &self.data_dir, e))?;
        }
        remove_if_present(&self.roles_file())?;
        remove_if_present(&self.password_file())
    }

    /// Marks the server as wanted running (`strata local start`) or not.
    pub fn set_pinned(&self, pinned: bool) -> Result<(), Error> {
        let file = self.meta_dir.join("pinned");
        if pinned {
            fs::write(&file, b"").map_err(|e| Error::io("write", &file, e))
        } else {
            remove_if_present(&file)
        }
    }

    /// Whether `strata local start` asked to keep the server running.
    pub fn is_pinned(&self) -> bool {
        self.meta_dir.join("pinned").exists()
    }

    /// The URL of a database of the running cluster as [`Roles::user`] (the
    /// role migrations run as: `postgres`, a superuser unless the cluster has
    /// Supabase's roles), with the password: for connecting, not for showing
    /// (see [`LocalCluster::display_url`]).
    pub fn url(&self, port: u16, dbname: &str) -> String {
        self.url_as(self.roles().user(), port, dbname)
    }

    /// The URL of a database of the running cluster as its superuser
    /// (`supabase_admin` when the cluster has Supabase's roles), with the
    /// password: for setting the database up.
    pub fn admin_url(&self, port: u16, dbname: &str) -> String {
        self.url_as(self.roles().superuser(), port, dbname)
    }

    fn url_as(&self, role: &str, port: u16, dbname: &str) -> String {
        match self.password() {
            Some(password) => format!("postgres://{role}:{password}@127.0.0.1:{port}/{dbname}"),
            None => format!("postgres://{role}@127.0.0.1:{port}/{dbname}"),
        }
    }

    /// [`LocalCluster::url`] with the password masked, for messages.
    pub fn display_url(&self, port: u16, dbname: &str) -> String {
        match self.password() {
            Some(_) => format!(
                "postgres://{}:***@127.0.0.1:{port}/{dbname}",
                self.roles().user()
            ),
            None => self.url(port, dbname),
        }
    }
}

/// Removes a file; one that is not there is fine.
fn remove_if_present(file: &Path) -> Result<(), Error> {
    match fs::remove_file(file) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(Error::io("remove", file, e)),
        _ => Ok(()),
    }
}
