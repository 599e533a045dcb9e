//! [`ClusterBuilder`]: a cluster's settings, and the steps of a start: where its directory
//! goes, its data directory (a copy of the cached template, or a fresh `initdb`), and the
//! server's arguments.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::access::{Auth, lock_down};
use super::server::Launch;
use super::{Cluster, HOST, Layout};
use crate::fsutil::{chown_tree, copy_tree, first_unsearchable};
use crate::secret::random_password;
use crate::template::{self, Spec, default_cache_dir, initdb_args, run_initdb, usable_cache_dir};
use crate::user::server_user;
use crate::{Error, OsUser, PgBinaries, Roles};

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
    roles: Roles,
    inert_pg_cron: bool,
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
            roles: Roles::Plain,
            inert_pg_cron: false,
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

    /// Makes the cluster with these roles ([`Roles::Plain`] by default): [`Roles::Supabase`]
    /// makes `supabase_admin` the superuser and `postgres` a login role that is not one. Every
    /// login role has the cluster's password; [`Cluster::url`] connects as the superuser,
    /// [`Cluster::user_url`] as [`Roles::user`]. Templates are cached per superuser.
    pub fn roles(mut self, roles: Roles) -> Self {
        self.roles = roles;
        self
    }

    /// When the binaries have pg_cron (Debian's `postgresql-<major>-cron`), loads it at
    /// start (`CREATE EXTENSION pg_cron` needs it in `shared_preload_libraries`) with jobs
    /// in database `postgres` that never run: `cron.schedule` records them in `cron.job`,
    /// but the scheduler, a background worker, is never started (`max_worker_processes =
    /// 0`, which also turns parallel query off). For verifying migrations that schedule jobs
    /// without the jobs firing. Without pg_cron on this machine, this does nothing.
    pub fn inert_pg_cron(mut self) -> Self {
        self.inert_pg_cron = true;
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
        let parent = self.parent_dir(switch_to)?;
        let (mut guard, layout) = Layout::create(&parent)?;
        self.create_data_dir(&binaries, &os_user, &parent, &layout.root, &layout.data_dir)?;
        lock_down(&binaries, &layout, self.roles, &password, switch_to)?;
        let launch = Launch {
            program: binaries.program("postgres"),
            args: self.server_args(&binaries, &layout.data_dir, &layout.socket_dir),
            user: switch_to,
            cwd: &layout.root,
            pid_file: layout.data_dir.join("postmaster.pid"),
            log_file: &layout.log_file,
            timeout: self.start_timeout,
        };
        let (port, pid) = launch.run(&mut guard)?;
        let Layout {
            data_dir,
            socket_dir,
            log_file,
            passfile,
            ..
        } = layout;
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
            roles: self.roles,
        })
    }

    /// Where the cluster's directory goes: the builder's directory, `STRATA_TMPDIR`, or
    /// [`default_parent_dir`]. Refused when the server's user (`switch_to`) could not enter it.
    fn parent_dir(&self, switch_to: Option<&OsUser>) -> Result<PathBuf, Error> {
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
        Ok(parent)
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
        let args = initdb_args(binaries, self.roles.superuser(), &self.initdb_args);
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
    fn server_args(
        &self,
        binaries: &PgBinaries,
        data_dir: &Path,
        socket_dir: &Path,
    ) -> Vec<OsString> {
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
        if self.inert_pg_cron && binaries.has_library("pg_cron") {
            set("shared_preload_libraries", "pg_cron");
            set("cron.database_name", "postgres");
            // No background worker may start, so pg_cron's scheduler never does (its
            // registration is refused with a LOG line): jobs are recorded, none runs, and
            // none is even attempted (`cron.max_running_jobs = 0` still records failed runs).
            set("max_worker_processes", "0");
        }
        // Last, so that they override the defaults above.
        for (name, value) in &self.settings {
            set(name, value);
        }
        args
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
    fn socket_dirs_with_separators_are_quoted() {
        assert_eq!(
            quote_list_item("/tmp/strata-pg-x/socket"),
            "/tmp/strata-pg-x/socket"
        );
        assert_eq!(quote_list_item("/tmp/a b,c"), "\"/tmp/a b,c\"");
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
}
