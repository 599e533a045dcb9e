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
pub mod import;
pub mod migrator;
pub mod scratch;
pub mod setup;
mod sql;
pub mod verify;

pub use error::{LockHolder, MigrationFailure, PgError, PoolerEvidence, Refusal, ServerError};
pub use history::{Event, HISTORY_FORMAT, SupabaseRecord};
pub use migrator::{
    Baseline, Direction, Done, DownSource, Health, HistoryMismatch, MigrateOptions, Migrator,
    Progress, Quiet, RecordedBy, Repair, RollbackStep, RollbackTarget, RunReport, Settings,
};

/// The long-running futures can move between threads (a multi-threaded runtime's
/// `tokio::spawn`): a compile-time check.
#[cfg(test)]
#[expect(dead_code, reason = "never called: compiling it is the check")]
fn futures_are_send(
    migrator: &mut Migrator,
    set: &strata_sql::ParsedSet,
    (migrate, rollback, repair, verify): (
        &MigrateOptions,
        &RollbackTarget,
        &Repair,
        &verify::VerifyOptions,
    ),
    progress: &mut Quiet,
    checks: &mut dyn verify::VerifyProgress,
) {
    fn send<T: Send>(_: T) {}
    send(migrator.migrate(set, migrate, progress));
    send(migrator.rollback(set, rollback, progress));
    send(migrator.repair(set, repair));
    send(migrator.baseline(set, None));
    send(migrator.history());
    send(verify::verify(migrator, set, verify, checks, None));
}
