//! strata-pg: the only crate that talks to PostgreSQL.
//!
//! Connection settings (URL, `PG*` variables, `.env`, `strata.toml`
//! environments, TLS, poolers), the history tables, the migration lock and the
//! executor that applies, rolls back, repairs and baselines migrations.

pub mod catalog;
pub mod checks;
pub mod connect;
pub mod error;
mod history;
pub mod migrator;
pub mod setup;
mod sql;
pub mod verify;

pub use error::{LockHolder, MigrationFailure, PgError, ServerError};
pub use history::{Event, HISTORY_FORMAT};
pub use migrator::{
    Direction, Done, MigrateOptions, Migrator, Progress, Quiet, Repair, RollbackTarget, RunReport,
    Settings,
};
