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
//!
//! The parts: `builder` (the settings, and the steps of a start: the directory, the data
//! directory from the template cache or `initdb`, the server's arguments), `access` (who may
//! use the cluster: the password, `pg_hba.conf`, modes and owners), `server` (the postmaster's
//! process: started on a free port, waited for, stopped, its directory removed).

mod access;
mod builder;
mod server;

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::fsutil::set_mode;
use crate::process::{combined_output, command};
use crate::reap;
use crate::secret::write_private;
use crate::{Error, OsUser, PgBinaries, PgVersion, Roles};
pub use access::Auth;
pub(crate) use access::{set_superuser_password, write_hba};
pub use builder::ClusterBuilder;
use server::Guard;
pub(crate) use server::free_port;

/// The superuser of a cluster made with [`Roles::Plain`] (the default).
pub const SUPERUSER: &str = "postgres";

/// The address the server listens on for TCP connections.
const HOST: &str = "127.0.0.1";

/// The longest unix socket path accepted (`sun_path` is 108 bytes on Linux and 104 on macOS,
/// including the terminating NUL).
const MAX_SOCKET_PATH: usize = 103;

/// The files of a cluster, in its own directory.
struct Layout {
    root: PathBuf,
    data_dir: PathBuf,
    socket_dir: PathBuf,
    log_file: PathBuf,
    passfile: PathBuf,
}

impl Layout {
    /// Creates a cluster's directory in `parent`, with its socket directory and empty log,
    /// all for its owner only; first clears the clusters left behind there. Dropping the
    /// guard returned removes the directory again.
    fn create(parent: &Path) -> Result<(Guard, Self), Error> {
        // Clusters left behind by processes that died without dropping theirs.
        reap::reap(parent);
        let root = tempfile::Builder::new()
            .prefix(reap::DIR_PREFIX)
            .tempdir_in(parent)
            .map_err(|e| Error::io("create a directory in", parent, e))?
            .keep();
        // From here on, dropping `guard` removes the directory (and stops a started server).
        let guard = Guard::new(root.clone());
        reap::record_owner(&root).map_err(|e| Error::io("write the owner file of", &root, e))?;
        let layout = Self {
            data_dir: root.join("data"),
            socket_dir: root.join("socket"),
            log_file: root.join("postgres.log"),
            passfile: root.join("pgpass"),
            root,
        };
        let socket_path = layout.socket_dir.join(".s.PGSQL.65535");
        if socket_path.as_os_str().len() > MAX_SOCKET_PATH {
            return Err(Error::SocketPathTooLong {
                path: socket_path,
                max: MAX_SOCKET_PATH,
            });
        }
        // Nothing in here is for other users: not the socket, not the log (which may quote
        // the SQL of a failed statement), not the password file. tempfile makes the directory
        // 0700 already; say so here rather than rely on it.
        set_mode(&layout.root, 0o700)?;
        fs::create_dir(&layout.socket_dir)
            .map_err(|e| Error::io("create directory", &layout.socket_dir, e))?;
        set_mode(&layout.socket_dir, 0o700)?;
        write_private(&layout.log_file, "")
            .map_err(|e| Error::io("create", &layout.log_file, e))?;
        Ok((guard, layout))
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
    roles: Roles,
}

impl fmt::Debug for Cluster {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cluster")
            .field("port", &self.port)
            .field("pid", &self.pid)
            .field("data_dir", &self.data_dir)
            .field("version", &self.binaries.version())
            .field("os_user", &self.os_user.name())
            .field("roles", &self.roles)
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

    /// The superuser's name: `postgres`, or `supabase_admin` with [`Roles::Supabase`].
    pub fn superuser(&self) -> &str {
        self.roles.superuser()
    }

    /// The roles the cluster was made with.
    pub fn roles(&self) -> Roles {
        self.roles
    }

    /// The password of the superuser and of every other login role made with the cluster,
    /// needed by every connection.
    pub fn password(&self) -> &str {
        &self.password
    }

    /// A URL connecting to database `dbname` over TCP as the superuser, with its password:
    /// `postgres://postgres:PASSWORD@127.0.0.1:PORT/DBNAME`. For connecting, not for showing.
    pub fn url(&self, dbname: &str) -> String {
        self.url_as(self.roles.superuser(), dbname)
    }

    /// A URL connecting to database `dbname` as [`Roles::user`]: the superuser for
    /// [`Roles::Plain`], `postgres` (not a superuser) for [`Roles::Supabase`].
    pub fn user_url(&self, dbname: &str) -> String {
        self.url_as(self.roles.user(), dbname)
    }

    fn url_as(&self, role: &str, dbname: &str) -> String {
        format!(
            "postgres://{}:{}@{HOST}:{}/{}",
            percent_encode(role),
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
    /// `PGPORT`, `PGUSER` (the superuser) and `PGDATABASE` (`postgres`) set to reach this cluster through its
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
            .env("PGUSER", self.roles.superuser())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_encoding_keeps_unreserved_characters_only() {
        assert_eq!(percent_encode("app_test-1.x~"), "app_test-1.x~");
        assert_eq!(percent_encode("p@ss:w/rd é"), "p%40ss%3Aw%2Frd%20%C3%A9");
    }
}
