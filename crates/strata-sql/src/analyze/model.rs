//! The model of what a statement does: [`Analysis`], its [`Effect`]s, the
//! objects they are about, the locks they take, and the names, types and
//! expressions they mention. The facts particular to each kind of change are
//! in [`EffectDetails`].

use std::fmt;
use std::ops::Range;

use serde::Serialize;

use super::EffectDetails;

/// What one statement does, as a list of [`Effect`]s.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Analysis {
    /// The effects, in the order PostgreSQL performs them (for `ALTER TABLE`,
    /// the order of its subcommands).
    pub effects: Vec<Effect>,
}

impl Analysis {
    /// The strongest lock the statement takes on any relation.
    #[must_use]
    pub fn strongest_lock(&self) -> Option<Lock> {
        self.effects.iter().filter_map(|effect| effect.lock).max()
    }

    /// The lock the statement holds on `relation` until the end of the
    /// transaction: the strongest of its effects' locks on it. Names are
    /// compared as written, schema included.
    #[must_use]
    pub fn lock_on(&self, relation: &QualifiedName) -> Option<Lock> {
        self.effects
            .iter()
            .filter(|effect| effect.locked_relation() == Some(relation))
            .filter_map(|effect| effect.lock)
            .max()
    }

    /// Whether any effect rewrites a whole table.
    #[must_use]
    pub fn rewrites(&self) -> bool {
        self.effects.iter().any(|effect| effect.rewrites)
    }

    /// Whether any effect scans a whole table to validate it.
    #[must_use]
    pub fn scans(&self) -> bool {
        self.effects.iter().any(|effect| effect.scans)
    }
}

/// One thing a statement does to one object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Effect {
    /// What is done.
    pub action: Action,
    /// What it is done to.
    pub object: ObjectRef,
    /// The table-level lock taken for this effect on
    /// [`Effect::locked_relation`], held to the end of the transaction.
    /// `None` when no existing relation is locked (a new table, a function,
    /// a schema, a grant...).
    pub lock: Option<Lock>,
    /// Whether the whole table is rewritten (copied into new files), which
    /// takes time and disk space in proportion to its size, under the lock.
    pub rewrites: bool,
    /// Whether the whole table is read to validate something (a constraint,
    /// `NOT NULL`, uniqueness, a partition bound), under the lock.
    pub scans: bool,
    /// The facts about this effect that rules need.
    pub details: EffectDetails,
    /// Where the object is named: the byte range, within the analysed text,
    /// of its name (`app.orders`, `"Quoted"`, a column's name in its
    /// definition, a named constraint's name, an unnamed constraint's first
    /// keyword). `None` where PostgreSQL's parser records no location for
    /// the name: index, policy, trigger, function and schema names, the
    /// column of an `ALTER COLUMN`, `DROP COLUMN` or `RENAME COLUMN`, the
    /// objects of `DROP` and `COMMENT ON` other than types...
    pub location: Option<Range<usize>>,
}

impl Effect {
    pub(super) fn new(action: Action, object: ObjectRef) -> Self {
        Self {
            action,
            object,
            lock: None,
            rewrites: false,
            scans: false,
            details: EffectDetails::None,
            location: None,
        }
    }

    /// Records where the object is named: a range, or `None` when the
    /// parser gave no location.
    pub(super) fn at(mut self, range: impl Into<Option<Range<usize>>>) -> Self {
        self.location = range.into();
        self
    }

    pub(super) fn lock(mut self, lock: Lock) -> Self {
        self.lock = Some(lock);
        self
    }

    pub(super) fn lock_if(mut self, lock: Option<Lock>) -> Self {
        self.lock = lock;
        self
    }

    pub(super) fn details(mut self, details: EffectDetails) -> Self {
        self.details = details;
        self
    }

    pub(super) fn scans(mut self, scans: bool) -> Self {
        self.scans = scans;
        self
    }

    pub(super) fn rewrites(mut self, rewrites: bool) -> Self {
        self.rewrites = rewrites;
        self
    }

    /// The relation [`Effect::lock`](Effect#structfield.lock) is taken on: the object's
    /// [`parent`](ObjectRef::parent) when it has one (the table of a column,
    /// constraint, index, trigger, policy or rule), otherwise the object
    /// itself. For `DROP INDEX` and `REINDEX INDEX`, whose table the statement
    /// does not name, it is the index (PostgreSQL locks its table as well).
    #[must_use]
    pub fn locked_relation(&self) -> Option<&QualifiedName> {
        self.lock?;
        Some(self.object.parent.as_ref().unwrap_or(&self.object.name))
    }
}

/// What an [`Effect`] does to its object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Action {
    /// Creates the object (`CREATE ...`, `ADD COLUMN`, `ADD CONSTRAINT`,
    /// `ALTER TYPE ... ADD VALUE`).
    Create,
    /// Changes the object in place (`ALTER ...`, `CREATE OR REPLACE` of a
    /// view or function that may exist).
    Alter,
    /// Drops the object (`DROP ...`, `DROP COLUMN`, `DROP CONSTRAINT`).
    Drop,
    /// Renames the object; the new name is in [`EffectDetails::Rename`].
    Rename,
    /// Empties the table (`TRUNCATE`).
    Truncate,
    /// Inserts rows (`INSERT`, `COPY ... FROM`).
    Insert,
    /// Updates rows (`UPDATE`).
    Update,
    /// Deletes rows (`DELETE`).
    Delete,
    /// Inserts, updates or deletes rows (`MERGE`).
    Merge,
    /// Reads the table (a `SELECT`, or the query of an `INSERT ... SELECT`,
    /// `CREATE VIEW`, `CREATE TABLE AS`...).
    Read,
    /// Locks the table because the statement refers to it without changing
    /// it: the table a new foreign key references, a new partition's parent.
    Reference,
    /// Locks the table explicitly (`LOCK TABLE`).
    Lock,
    /// Validates a constraint added `NOT VALID` (`VALIDATE CONSTRAINT`).
    Validate,
    /// Attaches a partition to its parent; the object is the partition.
    Attach,
    /// Detaches a partition from its parent; the object is the partition.
    Detach,
    /// Recomputes a materialized view (`REFRESH MATERIALIZED VIEW`).
    Refresh,
    /// `VACUUM`, with `FULL` or not (see [`MaintenanceDetails`](super::MaintenanceDetails)).
    Vacuum,
    /// `ANALYZE` (without `VACUUM`).
    Analyze,
    /// `CLUSTER`: rewrites the table in index order.
    Cluster,
    /// `REINDEX`.
    Reindex,
    /// Grants privileges on the object, or grants a role.
    Grant,
    /// Revokes privileges on the object, or revokes a role.
    Revoke,
    /// Sets or removes the object's comment (`COMMENT ON`).
    Comment,
}

/// A PostgreSQL table-level lock mode, weakest first (the derived order is
/// PostgreSQL's own numbering, which grows with strength).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Lock {
    /// `ACCESS SHARE`: taken by `SELECT`; conflicts only with `ACCESS EXCLUSIVE`.
    AccessShare,
    /// `ROW SHARE`: taken by `SELECT ... FOR UPDATE/SHARE`.
    RowShare,
    /// `ROW EXCLUSIVE`: taken by `INSERT`, `UPDATE`, `DELETE`, `MERGE`.
    RowExclusive,
    /// `SHARE UPDATE EXCLUSIVE`: `VACUUM`, `ANALYZE`, `CREATE INDEX
    /// CONCURRENTLY`, `VALIDATE CONSTRAINT`, some `ALTER TABLE` forms;
    /// blocks neither reads nor writes.
    ShareUpdateExclusive,
    /// `SHARE`: `CREATE INDEX`; blocks writes.
    Share,
    /// `SHARE ROW EXCLUSIVE`: `CREATE TRIGGER`, `ADD FOREIGN KEY`; blocks writes.
    ShareRowExclusive,
    /// `EXCLUSIVE`: `REFRESH MATERIALIZED VIEW CONCURRENTLY`; blocks
    /// everything but plain reads.
    Exclusive,
    /// `ACCESS EXCLUSIVE`: most `ALTER TABLE` forms, `DROP`, `TRUNCATE`;
    /// blocks reads and writes.
    AccessExclusive,
}

impl Lock {
    /// Every mode, weakest first.
    pub const ALL: [Self; 8] = [
        Self::AccessShare,
        Self::RowShare,
        Self::RowExclusive,
        Self::ShareUpdateExclusive,
        Self::Share,
        Self::ShareRowExclusive,
        Self::Exclusive,
        Self::AccessExclusive,
    ];

    /// The mode as PostgreSQL writes it, e.g. `"ACCESS EXCLUSIVE"`.
    #[must_use]
    pub const fn label(self) -> &'static str {
        match self {
            Self::AccessShare => "ACCESS SHARE",
            Self::RowShare => "ROW SHARE",
            Self::RowExclusive => "ROW EXCLUSIVE",
            Self::ShareUpdateExclusive => "SHARE UPDATE EXCLUSIVE",
            Self::Share => "SHARE",
            Self::ShareRowExclusive => "SHARE ROW EXCLUSIVE",
            Self::Exclusive => "EXCLUSIVE",
            Self::AccessExclusive => "ACCESS EXCLUSIVE",
        }
    }

    /// The modes this one conflicts with, as a bit set over [`Lock::ALL`]
    /// (table 13.2 of PostgreSQL's documentation).
    const fn conflicts(self) -> u8 {
        const AS: u8 = 1;
        const RS: u8 = 1 << 1;
        const RE: u8 = 1 << 2;
        const SUE: u8 = 1 << 3;
        const S: u8 = 1 << 4;
        const SRE: u8 = 1 << 5;
        const E: u8 = 1 << 6;
        const AE: u8 = 1 << 7;
        match self {
            Self::AccessShare => AE,
            Self::RowShare => E | AE,
            Self::RowExclusive => S | SRE | E | AE,
            Self::ShareUpdateExclusive => SUE | S | SRE | E | AE,
            Self::Share => RE | SUE | SRE | E | AE,
            Self::ShareRowExclusive => RE | SUE | S | SRE | E | AE,
            Self::Exclusive => RS | RE | SUE | S | SRE | E | AE,
            Self::AccessExclusive => AS | RS | RE | SUE | S | SRE | E | AE,
        }
    }

    /// Whether a transaction holding `self` makes one asking for `other` on
    /// the same table wait.
    #[must_use]
    pub const fn conflicts_with(self, other: Self) -> bool {
        self.conflicts() & (1 << other as u8) != 0
    }

    /// Whether the lock blocks plain reads (`SELECT`) of the table.
    #[must_use]
    pub const fn blocks_reads(self) -> bool {
        self.conflicts_with(Self::AccessShare)
    }

    /// Whether the lock blocks writes (`INSERT`, `UPDATE`, `DELETE`).
    #[must_use]
    pub const fn blocks_writes(self) -> bool {
        self.conflicts_with(Self::RowExclusive)
    }
}

impl fmt::Display for Lock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// A name as written, optionally schema-qualified. Unquoted identifiers are
/// folded to lower case by the parser; quoted ones keep their case.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct QualifiedName {
    /// The schema, when the statement names one.
    pub schema: Option<String>,
    /// The object's own name; empty when the statement leaves it to
    /// PostgreSQL to choose (an unnamed index or constraint).
    pub name: String,
}

impl QualifiedName {
    /// A name with an optional schema.
    #[must_use]
    pub fn new(schema: Option<&str>, name: &str) -> Self {
        Self {
            schema: schema.map(str::to_owned),
            name: name.to_owned(),
        }
    }

    /// A name without a schema.
    #[must_use]
    pub fn bare(name: &str) -> Self {
        Self::new(None, name)
    }
}

impl fmt::Display for QualifiedName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.schema {
            Some(schema) => write!(f, "{schema}.{}", self.name),
            None => f.write_str(&self.name),
        }
    }
}

/// The object an [`Effect`] is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[non_exhaustive]
pub struct ObjectRef {
    /// What kind of object it is.
    pub kind: ObjectKind,
    /// Its name. Objects that live inside a table (columns, constraints,
    /// triggers, policies, rules) and enum values have no schema here: it is
    /// on the parent.
    pub name: QualifiedName,
    /// The object it belongs to: the table of a column, constraint, index,
    /// trigger, policy or rule; the type of an enum value. `None` when the
    /// object stands alone or the statement does not name its parent.
    pub parent: Option<QualifiedName>,
}

impl ObjectRef {
    pub(super) fn new(kind: ObjectKind, name: QualifiedName) -> Self {
        Self {
            kind,
            name,
            parent: None,
        }
    }

    pub(super) fn within(kind: ObjectKind, name: &str, parent: QualifiedName) -> Self {
        Self {
            kind,
            name: QualifiedName::bare(name),
            parent: Some(parent),
        }
    }
}

impl fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.kind.label(), self.name)?;
        if let Some(parent) = &self.parent {
            write!(f, " on {parent}")?;
        }
        Ok(())
    }
}

/// The kinds of database objects effects are about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum ObjectKind {
    /// A table (partitioned or not).
    Table,
    /// A column of a table or view.
    Column,
    /// An index.
    Index,
    /// A table constraint.
    Constraint,
    /// A view.
    View,
    /// A materialized view.
    MaterializedView,
    /// A foreign table.
    ForeignTable,
    /// A sequence.
    Sequence,
    /// A function (aggregates included).
    Function,
    /// A procedure.
    Procedure,
    /// A function or procedure (`ALTER ROUTINE`, `GRANT ... ON ROUTINE`).
    Routine,
    /// A trigger.
    Trigger,
    /// A row-level security policy.
    Policy,
    /// A rewrite rule.
    Rule,
    /// A type (enum, composite, range, base).
    Type,
    /// A domain.
    Domain,
    /// A value of an enum type; its parent is the type.
    EnumValue,
    /// A schema.
    Schema,
    /// An extension.
    Extension,
    /// A role (user or group).
    Role,
    /// The current database (`VACUUM`, `CLUSTER`, `REINDEX` without a table).
    Database,
    /// An object of a kind not modelled here (a cast, an operator, a
    /// publication...).
    Other,
}

impl ObjectKind {
    /// The kind as SQL names it, lowercase: `"table"`, `"materialized view"`...
    #[must_use]
    pub const fn label(self) -> &'static str {
        match self {
            Self::Table => "table",
            Self::Column => "column",
            Self::Index => "index",
            Self::Constraint => "constraint",
            Self::View => "view",
            Self::MaterializedView => "materialized view",
            Self::ForeignTable => "foreign table",
            Self::Sequence => "sequence",
            Self::Function => "function",
            Self::Procedure => "procedure",
            Self::Routine => "routine",
            Self::Trigger => "trigger",
            Self::Policy => "policy",
            Self::Rule => "rule",
            Self::Type => "type",
            Self::Domain => "domain",
            Self::EnumValue => "enum value",
            Self::Schema => "schema",
            Self::Extension => "extension",
            Self::Role => "role",
            Self::Database => "database",
            Self::Other => "object",
        }
    }

    /// Whether objects of this kind are relations (tables, views, indexes,
    /// sequences...), the objects table-level locks are taken on.
    #[must_use]
    pub const fn is_relation(self) -> bool {
        matches!(
            self,
            Self::Table
                | Self::Index
                | Self::View
                | Self::MaterializedView
                | Self::ForeignTable
                | Self::Sequence
        )
    }
}

impl fmt::Display for ObjectKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// A type as written in a column definition or cast.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[non_exhaustive]
pub struct TypeRef {
    /// The schema, when written; `pg_catalog` is dropped.
    pub schema: Option<String>,
    /// The type's name as PostgreSQL resolves the SQL spelling: `int` and
    /// `integer` are `int4`, `character varying` is `varchar`, `timestamp
    /// with time zone` is `timestamptz`, `serial` stays `serial`.
    pub name: String,
    /// The type modifiers, e.g. `["255"]` for `varchar(255)`.
    pub modifiers: Vec<String>,
    /// Array dimensions (`int4[]` has one).
    pub array_dimensions: usize,
}

impl fmt::Display for TypeRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(schema) = &self.schema {
            write!(f, "{schema}.")?;
        }
        f.write_str(&self.name)?;
        if !self.modifiers.is_empty() {
            write!(f, "({})", self.modifiers.join(","))?;
        }
        for _ in 0..self.array_dimensions {
            f.write_str("[]")?;
        }
        Ok(())
    }
}

/// An SQL expression: a default, a check, a policy's condition, an index
/// predicate.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[non_exhaustive]
pub struct Expression {
    /// The expression as PostgreSQL's deparser writes it back (normalized
    /// spacing and keyword case, e.g. `(SELECT auth.uid())`).
    pub sql: String,
    /// How the expression's value may change between evaluations.
    pub volatility: Volatility,
}

/// The volatility of an expression: the least stable of the functions it
/// calls, ordered from most to least stable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Volatility {
    /// Constants and immutable functions only.
    Immutable,
    /// Calls stable functions (`now()`, `current_setting()`,
    /// `CURRENT_TIMESTAMP`, `auth.uid()`) or subqueries, fixed within a
    /// statement.
    Stable,
    /// Calls a function this module does not know. User-defined functions
    /// are `VOLATILE` unless declared otherwise, so treat this as volatile
    /// where it matters.
    Unknown,
    /// Calls a known volatile function (`random()`, `gen_random_uuid()`,
    /// `clock_timestamp()`, `nextval()`...), or is a `serial` default.
    Volatile,
}

#[cfg(test)]
mod tests {
    use super::Lock::{self, *};

    #[test]
    fn lock_conflicts_follow_the_documented_table() {
        assert!(AccessShare.conflicts_with(AccessExclusive));
        assert!(!AccessShare.conflicts_with(Exclusive));
        assert!(!ShareUpdateExclusive.conflicts_with(RowExclusive));
        assert!(ShareUpdateExclusive.conflicts_with(ShareUpdateExclusive));
        assert!(Share.conflicts_with(RowExclusive));
        assert!(!Share.conflicts_with(Share));
        assert!(ShareRowExclusive.conflicts_with(ShareRowExclusive));
        assert!(Exclusive.conflicts_with(RowShare) && !Exclusive.conflicts_with(AccessShare));
        for a in Lock::ALL {
            for b in Lock::ALL {
                assert_eq!(a.conflicts_with(b), b.conflicts_with(a), "{a} / {b}");
            }
        }
        let blocking_reads: Vec<Lock> = Lock::ALL
            .into_iter()
            .filter(|lock| lock.blocks_reads())
            .collect();
        assert_eq!(blocking_reads, [AccessExclusive]);
        let blocking_writes: Vec<Lock> = Lock::ALL
            .into_iter()
            .filter(|lock| lock.blocks_writes())
            .collect();
        assert_eq!(
            blocking_writes,
            [Share, ShareRowExclusive, Exclusive, AccessExclusive]
        );
        assert_eq!(AccessExclusive.to_string(), "ACCESS EXCLUSIVE");
    }
}
