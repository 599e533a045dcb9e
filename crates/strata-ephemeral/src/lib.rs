//! Throwaway PostgreSQL clusters, for tests and `strata verify`.
//!
//! [`Cluster::builder`] finds the server binaries ([`PgBinaries`]), copies a cached template
//! data directory made once by `initdb`, and starts a server on a unix socket and a free TCP
//! port of `127.0.0.1`, tuned for speed rather than durability. Dropping the [`Cluster`] stops
//! the server and deletes its files; when the process dies without dropping it (SIGKILL), the
//! next cluster started in the same directory stops that server and deletes its files. When
//! this process is root, the server runs as an unprivileged user, since PostgreSQL refuses to
//! run as root. Every connection needs the superuser's password, generated for each cluster
//! ([`Cluster::url`] carries it): other local users cannot get in, and the cluster's files are
//! its user's only.
//!
//! Environment variables:
//! - `PG_BIN`: the directory holding `initdb` and `postgres`, instead of searching
//!   ([`Search`] describes the search);
//! - `STRATA_CACHE_DIR`: where cached templates go ([`default_cache_dir`]);
//! - `STRATA_TMPDIR`: where clusters' directories go, instead of the system temporary
//!   directory (a tmpfs such as `/dev/shm` makes starts faster where creating files is slow);
//! - `STRATA_PG_USER`: who runs the server when this process is root (default `postgres`
//!   if that user exists, else `nobody`).
//!
//! Only this crate starts server processes; it knows nothing of migrations and depends on no
//! other strata crate. Unix only.
//!
//! ```no_run
//! # fn main() -> Result<(), strata_ephemeral::Error> {
//! let cluster = strata_ephemeral::Cluster::builder()
//!     .max_connections(20)
//!     .setting("work_mem", "8MB")
//!     .start()?;
//! let url = cluster.url("postgres"); // postgres://postgres:PASSWORD@127.0.0.1:PORT/postgres
//! # drop(url);
//! cluster.stop()?;
//! # Ok(())
//! # }
//! ```

mod binaries;
mod cluster;
mod error;
mod fsutil;
mod local;
mod process;
mod reap;
mod roles;
mod secret;
pub mod supabase;
mod template;
mod user;

pub use binaries::{Location, PgBinaries, PgVersion, Search};
pub use cluster::{Auth, Cluster, ClusterBuilder, SUPERUSER};
pub use error::Error;
pub use local::{LocalCluster, LocalState};
pub use roles::Roles;
pub use template::default_cache_dir;
pub use user::OsUser;
