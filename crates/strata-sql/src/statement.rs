//! What [`split`](crate::split) tells about each statement.

use std::fmt;
use std::ops::Range;

/// One top-level SQL statement of a migration body.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Statement {
    /// Byte range of the statement in the input, trimmed: it starts at the
    /// statement's first token (after any whitespace and comments) and ends
    /// after its last token, without the terminating semicolon. Both ends are
    /// char boundaries.
    pub span: Range<usize>,
    /// A short name of the command for messages, modelled on PostgreSQL's
    /// command tags: `"CREATE TABLE"`, `"CREATE INDEX"`, `"ALTER TABLE"`,
    /// `"INSERT"`, `"SELECT"`, `"BEGIN"`... It is read from the statement's
    /// leading keywords, so it is for people, not for decisions: use
    /// [`Statement::no_transaction_reason`] and
    /// [`Statement::transaction_control`] for those.
    pub tag: &'static str,
    pub(crate) no_transaction: Option<NonTransactional>,
    pub(crate) transaction_control: Option<TransactionControl>,
    pub(crate) needs_transaction: Option<NeedsTransaction>,
}

impl Statement {
    /// The statement's text: `sql[self.span]`, where `sql` is the input given
    /// to [`split`](crate::split). Empty if `sql` is some other string that
    /// the span does not fit.
    #[must_use]
    pub fn text<'a>(&self, sql: &'a str) -> &'a str {
        sql.get(self.span.clone()).unwrap_or_default()
    }

    /// The construct that stops this statement from running inside a
    /// transaction block, if there is one.
    ///
    /// Decided from the statement alone (and, for subscriptions, the
    /// statements before it in the same input); see [`NonTransactional`] for
    /// the cases that depend on the database's state.
    #[must_use]
    pub fn no_transaction_reason(&self) -> Option<NonTransactional> {
        self.no_transaction
    }

    /// Whether this statement controls the transaction itself (`BEGIN`,
    /// `COMMIT`, `SAVEPOINT`, ...), and how.
    #[must_use]
    pub fn transaction_control(&self) -> Option<TransactionControl> {
        self.transaction_control
    }

    /// The construct that makes this statement fail, or do nothing, outside a
    /// transaction block (in a no-transaction section, where each statement
    /// runs on its own), if there is one. Savepoint commands are
    /// [`TransactionControl`] instead.
    #[must_use]
    pub fn needs_transaction(&self) -> Option<NeedsTransaction> {
        self.needs_transaction
    }
}

/// A construct that PostgreSQL refuses to run inside a transaction block
/// (`ERROR: ... cannot run inside a transaction block`).
///
/// Two cases depend on the database, not only on the SQL, and are decided
/// conservatively or not at all:
/// - `DROP SUBSCRIPTION` is non-transactional only when the subscription has a
///   replication slot; it is reported unless an earlier statement of the same
///   input made it slot-less (`slot_name = NONE`).
/// - `CLUSTER` on a partitioned table is non-transactional too, which cannot be
///   seen from the statement; only `CLUSTER` without a table name is reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum NonTransactional {
    /// `CREATE INDEX CONCURRENTLY`.
    CreateIndexConcurrently,
    /// `DROP INDEX CONCURRENTLY`.
    DropIndexConcurrently,
    /// `REINDEX ... CONCURRENTLY`, or `REINDEX (CONCURRENTLY) ...`.
    ReindexConcurrently,
    /// `REINDEX SCHEMA`, which reindexes table by table in separate transactions.
    ReindexSchema,
    /// `REINDEX DATABASE`.
    ReindexDatabase,
    /// `REINDEX SYSTEM`.
    ReindexSystem,
    /// `VACUUM` in any form, `VACUUM FULL` and `VACUUM (ANALYZE)` included
    /// (a plain `ANALYZE` is transactional).
    Vacuum,
    /// `CREATE DATABASE`.
    CreateDatabase,
    /// `DROP DATABASE`.
    DropDatabase,
    /// `ALTER DATABASE ... SET TABLESPACE`.
    AlterDatabaseSetTablespace,
    /// `CREATE TABLESPACE`.
    CreateTablespace,
    /// `DROP TABLESPACE`.
    DropTablespace,
    /// `ALTER SYSTEM`.
    AlterSystem,
    /// `ALTER TABLE ... DETACH PARTITION ... CONCURRENTLY`.
    DetachPartitionConcurrently,
    /// `CREATE SUBSCRIPTION` that creates a replication slot (the default,
    /// unless `create_slot = false` or `connect = false`).
    CreateSubscriptionWithSlot,
    /// `ALTER SUBSCRIPTION ... REFRESH PUBLICATION`.
    AlterSubscriptionRefresh,
    /// `ALTER SUBSCRIPTION ... SET|ADD|DROP PUBLICATION` with `refresh`
    /// (the default).
    AlterSubscriptionWithRefresh,
    /// `ALTER SUBSCRIPTION ... SET (failover = ...)` (PostgreSQL 17+).
    AlterSubscriptionSetFailover,
    /// `DROP SUBSCRIPTION` of a subscription that may have a replication slot.
    DropSubscription,
    /// `COMMIT PREPARED`.
    CommitPrepared,
    /// `ROLLBACK PREPARED`.
    RollbackPrepared,
    /// `CLUSTER` without a table name, which clusters every table it can.
    ClusterWithoutTable,
    /// `DISCARD ALL`.
    DiscardAll,
}

impl NonTransactional {
    /// The construct as people write it, e.g. `"CREATE INDEX CONCURRENTLY"`,
    /// worded like PostgreSQL's own error message where it has one.
    #[must_use]
    pub const fn label(self) -> &'static str {
        match self {
            Self::CreateIndexConcurrently => "CREATE INDEX CONCURRENTLY",
            Self::DropIndexConcurrently => "DROP INDEX CONCURRENTLY",
            Self::ReindexConcurrently => "REINDEX CONCURRENTLY",
            Self::ReindexSchema => "REINDEX SCHEMA",
            Self::ReindexDatabase => "REINDEX DATABASE",
            Self::ReindexSystem => "REINDEX SYSTEM",
            Self::Vacuum => "VACUUM",
            Self::CreateDatabase => "CREATE DATABASE",
            Self::DropDatabase => "DROP DATABASE",
            Self::AlterDatabaseSetTablespace => "ALTER DATABASE SET TABLESPACE",
            Self::CreateTablespace => "CREATE TABLESPACE",
            Self::DropTablespace => "DROP TABLESPACE",
            Self::AlterSystem => "ALTER SYSTEM",
            Self::DetachPartitionConcurrently => {
                "ALTER TABLE ... DETACH PARTITION ... CONCURRENTLY"
            }
            Self::CreateSubscriptionWithSlot => "CREATE SUBSCRIPTION ... WITH (create_slot = true)",
            Self::AlterSubscriptionRefresh => "ALTER SUBSCRIPTION ... REFRESH PUBLICATION",
            Self::AlterSubscriptionWithRefresh => "ALTER SUBSCRIPTION ... PUBLICATION with refresh",
            Self::AlterSubscriptionSetFailover => "ALTER SUBSCRIPTION ... SET (failover)",
            Self::DropSubscription => "DROP SUBSCRIPTION",
            Self::CommitPrepared => "COMMIT PREPARED",
            Self::RollbackPrepared => "ROLLBACK PREPARED",
            Self::ClusterWithoutTable => "CLUSTER without a table name",
            Self::DiscardAll => "DISCARD ALL",
        }
    }
}

impl fmt::Display for NonTransactional {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// A top-level statement that starts, ends or subdivides the transaction.
///
/// An executor that wraps a migration in its own transaction can absorb a
/// leading [`Begin`](Self::Begin) and a trailing [`Commit`](Self::Commit) and
/// must refuse the rest. `COMMIT PREPARED` and `ROLLBACK PREPARED` are not
/// here: they act on another, prepared transaction and are
/// [`NonTransactional`] instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum TransactionControl {
    /// `BEGIN` or `START TRANSACTION`, without transaction modes.
    Begin,
    /// `BEGIN` or `START TRANSACTION` with transaction modes
    /// (`ISOLATION LEVEL SERIALIZABLE`, `READ ONLY`, `DEFERRABLE`), which an
    /// executor cannot drop silently.
    BeginWithModes,
    /// `COMMIT` or `END`.
    Commit,
    /// `COMMIT AND CHAIN`, which starts a new transaction at once.
    CommitAndChain,
    /// `ROLLBACK` or `ABORT`.
    Rollback,
    /// `ROLLBACK AND CHAIN`.
    RollbackAndChain,
    /// `SAVEPOINT name`.
    Savepoint,
    /// `RELEASE [SAVEPOINT] name`.
    Release,
    /// `ROLLBACK TO [SAVEPOINT] name`.
    RollbackToSavepoint,
    /// `PREPARE TRANSACTION 'id'`.
    PrepareTransaction,
}

impl TransactionControl {
    /// The statement as people write it, e.g. `"BEGIN"` or `"ROLLBACK TO SAVEPOINT"`.
    #[must_use]
    pub const fn label(self) -> &'static str {
        match self {
            Self::Begin => "BEGIN",
            Self::BeginWithModes => "BEGIN with transaction modes",
            Self::Commit => "COMMIT",
            Self::CommitAndChain => "COMMIT AND CHAIN",
            Self::Rollback => "ROLLBACK",
            Self::RollbackAndChain => "ROLLBACK AND CHAIN",
            Self::Savepoint => "SAVEPOINT",
            Self::Release => "RELEASE SAVEPOINT",
            Self::RollbackToSavepoint => "ROLLBACK TO SAVEPOINT",
            Self::PrepareTransaction => "PREPARE TRANSACTION",
        }
    }

    /// Whether an executor that wraps a section of `count` statements in its own
    /// transaction absorbs this one at `index`: a plain `BEGIN` first, a plain
    /// `COMMIT` last.
    #[must_use]
    pub const fn is_absorbed_at(self, index: usize, count: usize) -> bool {
        match self {
            Self::Begin => index == 0,
            Self::Commit => index + 1 == count,
            _ => false,
        }
    }

    /// Whether it can stay at `index` of `count` statements inside such a wrapping
    /// transaction: absorbed, or savepoint handling, which works inside it.
    #[must_use]
    pub const fn fits_wrapping_transaction(self, index: usize, count: usize) -> bool {
        matches!(
            self,
            Self::Savepoint | Self::Release | Self::RollbackToSavepoint
        ) || self.is_absorbed_at(index, count)
    }
}

/// A statement that only works inside a transaction block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum NeedsTransaction {
    /// `LOCK [TABLE]`: an error outside a block (SQLSTATE 25P01).
    LockTable,
    /// `DECLARE ... CURSOR` without `WITH HOLD`: an error outside a block.
    DeclareCursor,
    /// `SET LOCAL`: only a warning outside a block, and no effect.
    SetLocal,
    /// `SET TRANSACTION`: only a warning outside a block, and no effect.
    SetTransaction,
}

impl NeedsTransaction {
    /// The statement as people write it, e.g. `"LOCK TABLE"`.
    #[must_use]
    pub const fn label(self) -> &'static str {
        match self {
            Self::LockTable => "LOCK TABLE",
            Self::DeclareCursor => "DECLARE CURSOR without WITH HOLD",
            Self::SetLocal => "SET LOCAL",
            Self::SetTransaction => "SET TRANSACTION",
        }
    }

    /// Whether PostgreSQL refuses it outside a block (rather than warning that
    /// it has no effect).
    #[must_use]
    pub const fn fails(self) -> bool {
        matches!(self, Self::LockTable | Self::DeclareCursor)
    }
}

impl fmt::Display for NeedsTransaction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

impl fmt::Display for TransactionControl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

#[cfg(test)]
mod tests {
    use super::TransactionControl;

    #[test]
    fn only_a_leading_begin_and_a_trailing_commit_are_absorbed() {
        assert!(TransactionControl::Begin.is_absorbed_at(0, 3));
        assert!(!TransactionControl::Begin.is_absorbed_at(1, 3));
        assert!(TransactionControl::Commit.is_absorbed_at(2, 3));
        assert!(!TransactionControl::Commit.is_absorbed_at(1, 3));
        assert!(!TransactionControl::BeginWithModes.is_absorbed_at(0, 3));
        assert!(TransactionControl::Savepoint.fits_wrapping_transaction(1, 3));
        assert!(!TransactionControl::Rollback.fits_wrapping_transaction(2, 3));
    }
}
