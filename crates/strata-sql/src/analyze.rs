//! What one statement does to the database: the objects it creates, alters,
//! drops, writes and reads, the table-level lock it takes on each, whether it
//! rewrites or scans a table, and the facts lint rules need about each change.
//!
//! [`analyze`] reads PostgreSQL's parse tree of a statement (the text of a
//! [`Statement`](crate::Statement) span) and returns its [`Effect`]s in the
//! order PostgreSQL performs them:
//!
//! ```
//! use strata_sql::analyze::{Action, Lock, ObjectKind, analyze};
//!
//! let analysis = analyze("ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id)")?;
//! let [constraint, referenced] = analysis.effects.as_slice() else { panic!() };
//! assert_eq!((constraint.action, constraint.object.kind), (Action::Create, ObjectKind::Constraint));
//! assert_eq!(constraint.lock, Some(Lock::ShareRowExclusive));
//! assert!(constraint.scans, "validates every existing row");
//! assert_eq!(referenced.object.name.name, "users");
//! assert_eq!(referenced.lock, Some(Lock::ShareRowExclusive));
//! # Ok::<(), strata_sql::SyntaxError>(())
//! ```
//!
//! Lock levels follow PostgreSQL 13 to 18 (`AlterTableGetLockLevel` and the
//! "Explicit Locking" page of the documentation); where they changed between
//! versions, or depend on the database's state that the statement alone does
//! not show, the stronger lock is reported. Likewise [`Effect::rewrites`] and
//! [`Effect::scans`] err on the side of `true` when the statement alone
//! cannot settle them: a type change whose old type is unknown rewrites,
//! `SET NOT NULL` scans even though a validated `CHECK (col IS NOT NULL)`
//! would spare the scan. [`type_change_rewrites`] refines the first once the
//! old type is known.
//!
//! Statements this module does not model yield no effects; [`analyze`] never
//! panics and fails only on SQL PostgreSQL's parser rejects.

mod expr;
mod location;
mod statements;
#[cfg(test)]
mod tests;

use std::fmt;
use std::ops::Range;

use serde::Serialize;

use crate::SyntaxError;

pub use expr::type_change_rewrites;

/// Analyzes the statement in `sql` (the text of one
/// [`Statement`](crate::Statement)): what it does, in order.
///
/// Text with several statements is accepted; their effects are concatenated
/// in order. Statements that are not modelled (`SET`, `SELECT 1`, `DO`
/// blocks, transaction control, ...) contribute no effects.
///
/// # Errors
///
/// A [`SyntaxError`] when PostgreSQL's parser rejects `sql`, when it contains
/// a NUL byte, or when its parse tree is nested too deeply to be decoded.
pub fn analyze(sql: &str) -> Result<Analysis, SyntaxError> {
    if let Some(nul) = sql.bytes().position(|byte| byte == 0) {
        return Err(SyntaxError::new("input contains a NUL byte", Some(nul)));
    }
    let parsed = pg_query::parse(sql, 0).map_err(|error| {
        let message = match error {
            pg_query::Error::Parse(message) => message,
            other => format!("statement is too complex to analyze: {other}"),
        };
        SyntaxError::new(message, None)
    })?;
    let mut sink = location::Sink::new(sql);
    for raw in &parsed.protobuf.stmts {
        if let Some(node) = raw.stmt.as_deref().and_then(|stmt| stmt.node.as_ref()) {
            statements::effects(node, &mut sink);
        }
    }
    Ok(Analysis {
        effects: sink.into_effects(),
    })
}

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
    fn new(action: Action, object: ObjectRef) -> Self {
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
    fn at(mut self, range: impl Into<Option<Range<usize>>>) -> Self {
        self.location = range.into();
        self
    }

    fn lock(mut self, lock: Lock) -> Self {
        self.lock = Some(lock);
        self
    }

    fn lock_if(mut self, lock: Option<Lock>) -> Self {
        self.lock = lock;
        self
    }

    fn details(mut self, details: EffectDetails) -> Self {
        self.details = details;
        self
    }

    fn scans(mut self, scans: bool) -> Self {
        self.scans = scans;
        self
    }

    fn rewrites(mut self, rewrites: bool) -> Self {
        self.rewrites = rewrites;
        self
    }

    /// The relation [`Effect::lock`] is taken on: the object's
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
    /// `VACUUM`, with `FULL` or not (see [`MaintenanceDetails`]).
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
    fn new(kind: ObjectKind, name: QualifiedName) -> Self {
        Self {
            kind,
            name,
            parent: None,
        }
    }

    fn within(kind: ObjectKind, name: &str, parent: QualifiedName) -> Self {
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

/// The facts about an [`Effect`] that rules need, by kind of change.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "value", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum EffectDetails {
    /// Nothing more to say.
    #[default]
    None,
    /// `CREATE TABLE`, `CREATE TABLE AS`, `SELECT INTO`.
    Table(TableDetails),
    /// `ADD COLUMN`.
    Column(ColumnDetails),
    /// `ALTER COLUMN`: what changes.
    ColumnChange(ColumnChange),
    /// `ALTER TABLE` forms that change the table itself.
    TableChange(TableChange),
    /// `ADD CONSTRAINT`, a constraint written in a column definition, and
    /// `VALIDATE CONSTRAINT`/`DROP CONSTRAINT` (name only).
    Constraint(ConstraintDetails),
    /// `CREATE INDEX`.
    Index(IndexDetails),
    /// Any `DROP`.
    Drop(DropDetails),
    /// Any `RENAME`: the new name.
    Rename(String),
    /// `ALTER ... SET SCHEMA`: the new schema.
    SetSchema(String),
    /// `ALTER ... OWNER TO`: the new owner.
    Owner(String),
    /// `CREATE VIEW`, `CREATE MATERIALIZED VIEW`.
    View(ViewDetails),
    /// `REFRESH MATERIALIZED VIEW`.
    Refresh(RefreshDetails),
    /// `CREATE FUNCTION`, `CREATE PROCEDURE`, `ALTER FUNCTION`.
    Function(FunctionDetails),
    /// `CREATE TRIGGER`.
    Trigger(TriggerDetails),
    /// `ALTER TABLE ... ENABLE/DISABLE TRIGGER`.
    TriggerState(TriggerState),
    /// `CREATE POLICY`, `ALTER POLICY`.
    Policy(PolicyDetails),
    /// `CREATE TYPE`, `CREATE DOMAIN`.
    Type(TypeDetails),
    /// `ALTER TYPE ... ADD VALUE` and `RENAME VALUE`.
    EnumValue(EnumValueDetails),
    /// `CREATE EXTENSION`.
    Extension(ExtensionDetails),
    /// `CREATE SCHEMA`, `CREATE SEQUENCE`, `CREATE ROLE` and other creations
    /// with nothing more to say than whether they tolerate an existing object.
    Create(CreateDetails),
    /// `GRANT`, `REVOKE`.
    Grant(GrantDetails),
    /// `COMMENT ON`: the comment, or `None` for `IS NULL`.
    Comment(Option<String>),
    /// `INSERT`, `UPDATE`, `DELETE`, `MERGE`.
    Write(WriteDetails),
    /// `TRUNCATE`.
    Truncate(TruncateDetails),
    /// `ATTACH PARTITION`, `DETACH PARTITION`.
    Partition(PartitionDetails),
    /// `VACUUM`, `ANALYZE`, `CLUSTER`, `REINDEX`.
    Maintenance(MaintenanceDetails),
}

/// Whether a table survives restarts and is visible to other sessions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Persistence {
    /// An ordinary, WAL-logged table.
    #[default]
    Permanent,
    /// `UNLOGGED`.
    Unlogged,
    /// `TEMPORARY`.
    Temporary,
}

/// `CREATE TABLE`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct TableDetails {
    /// `IF NOT EXISTS`.
    pub if_not_exists: bool,
    /// The columns defined, in order (empty for `CREATE TABLE AS` and
    /// `PARTITION OF` without column list).
    pub columns: Vec<ColumnDetails>,
    /// Every constraint: table constraints and those written in column
    /// definitions (except `NOT NULL`, `NULL` and `DEFAULT`, which are on the
    /// columns).
    pub constraints: Vec<ConstraintDetails>,
    /// Whether a primary key is declared, on a column or the table.
    pub has_primary_key: bool,
    /// `PARTITION OF parent`.
    pub partition_of: Option<QualifiedName>,
    /// `PARTITION BY ...`: the table is partitioned.
    pub partitioned: bool,
    /// `INHERITS (...)`.
    pub inherits: Vec<QualifiedName>,
    /// `UNLOGGED`, `TEMPORARY` or neither.
    pub persistence: Persistence,
    /// `CREATE TABLE ... AS` or `SELECT ... INTO`.
    pub from_query: bool,
}

/// A column definition (`CREATE TABLE` or `ADD COLUMN`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ColumnDetails {
    /// The column's name.
    pub name: String,
    /// Its type (`None` only in `PARTITION OF` and typed tables).
    pub type_name: Option<TypeRef>,
    /// `DEFAULT ...`. A `serial` type's implicit `nextval()` default is not
    /// here; see [`ColumnDetails::default_volatility`].
    pub default: Option<Expression>,
    /// The volatility of the values the column is filled with: the
    /// default's, `Volatile` for `serial` types and identity columns,
    /// `None` without a default.
    pub default_volatility: Option<Volatility>,
    /// `NOT NULL` (or `PRIMARY KEY`).
    pub not_null: bool,
    /// `PRIMARY KEY` written on the column.
    pub primary_key: bool,
    /// `UNIQUE` written on the column.
    pub unique: bool,
    /// `GENERATED ... AS IDENTITY`.
    pub identity: bool,
    /// `GENERATED ALWAYS AS (...) STORED` (or `VIRTUAL`).
    pub generated: Option<Expression>,
    /// `REFERENCES` written on the column.
    pub references: Option<ForeignKeyTarget>,
    /// `ADD COLUMN IF NOT EXISTS`.
    pub if_not_exists: bool,
}

/// An `ALTER COLUMN` change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "change", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum ColumnChange {
    /// `TYPE ... [USING ...]`.
    Type {
        /// The new type.
        type_name: TypeRef,
        /// `USING` expression.
        using: Option<Expression>,
    },
    /// `SET DEFAULT`.
    SetDefault(Expression),
    /// `DROP DEFAULT`.
    DropDefault,
    /// `SET NOT NULL`.
    SetNotNull,
    /// `DROP NOT NULL`.
    DropNotNull,
    /// `SET STATISTICS`.
    SetStatistics,
    /// `SET (...)` / `RESET (...)` of attribute options.
    SetOptions,
    /// `SET STORAGE`.
    SetStorage,
    /// `SET COMPRESSION`.
    SetCompression,
    /// `ADD GENERATED ... AS IDENTITY`.
    AddIdentity,
    /// `SET GENERATED ...` or sequence options of an identity.
    SetIdentity,
    /// `DROP IDENTITY`.
    DropIdentity,
    /// `SET EXPRESSION AS (...)` of a generated column (PostgreSQL 17).
    SetExpression(Expression),
    /// `DROP EXPRESSION` of a generated column.
    DropExpression,
    /// `OPTIONS (...)` of a foreign table's column.
    GenericOptions,
}

/// An `ALTER TABLE` change to the table as a whole.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "change", content = "value", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum TableChange {
    /// `ENABLE ROW LEVEL SECURITY`.
    EnableRowLevelSecurity,
    /// `DISABLE ROW LEVEL SECURITY`.
    DisableRowLevelSecurity,
    /// `FORCE ROW LEVEL SECURITY`.
    ForceRowLevelSecurity,
    /// `NO FORCE ROW LEVEL SECURITY`.
    NoForceRowLevelSecurity,
    /// `SET LOGGED`.
    SetLogged,
    /// `SET UNLOGGED`.
    SetUnlogged,
    /// `SET TABLESPACE`: the tablespace.
    SetTablespace(String),
    /// `SET ACCESS METHOD`: the method.
    SetAccessMethod(String),
    /// `SET (...)`: the storage parameters, as `name` or `name=value`.
    SetOptions(Vec<String>),
    /// `RESET (...)`: the storage parameters.
    ResetOptions(Vec<String>),
    /// `REPLICA IDENTITY ...`.
    ReplicaIdentity,
    /// `CLUSTER ON index`.
    ClusterOn(String),
    /// `SET WITHOUT CLUSTER`.
    SetWithoutCluster,
    /// `INHERIT parent`.
    Inherit(QualifiedName),
    /// `NO INHERIT parent`.
    NoInherit(QualifiedName),
    /// `OF type` / `NOT OF`.
    OfType,
    /// `ENABLE/DISABLE RULE`.
    RuleState,
    /// `OPTIONS (...)` of a foreign table.
    GenericOptions,
}

/// The kind of a constraint.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum ConstraintKind {
    /// `CHECK (...)`.
    Check,
    /// `FOREIGN KEY ... REFERENCES` or `REFERENCES`.
    ForeignKey,
    /// `UNIQUE`.
    Unique,
    /// `PRIMARY KEY`.
    PrimaryKey,
    /// `EXCLUDE`.
    Exclusion,
    /// `NOT NULL` as a named table constraint (PostgreSQL 18).
    NotNull,
    /// A constraint named without its definition (`VALIDATE CONSTRAINT`,
    /// `DROP CONSTRAINT`, `ALTER CONSTRAINT`).
    #[default]
    Unknown,
}

/// A constraint, as written.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ConstraintDetails {
    /// Its name, `None` when PostgreSQL chooses it.
    pub name: Option<String>,
    /// What kind of constraint.
    pub kind: ConstraintKind,
    /// The constrained columns (the key of a unique, primary or foreign key;
    /// for a constraint written in a column definition, that column).
    pub columns: Vec<String>,
    /// `NOT VALID`: existing rows are not checked.
    pub not_valid: bool,
    /// What a foreign key references.
    pub references: Option<ForeignKeyTarget>,
    /// `USING INDEX name`: a unique or primary key built on an existing index.
    pub using_index: Option<String>,
    /// A check constraint's expression.
    pub expression: Option<Expression>,
    /// `DEFERRABLE`.
    pub deferrable: bool,
}

/// The table and columns a foreign key references, and its actions.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[non_exhaustive]
pub struct ForeignKeyTarget {
    /// The referenced table.
    pub table: QualifiedName,
    /// The referenced columns; empty means the referenced table's primary key.
    pub columns: Vec<String>,
    /// `ON DELETE` action, e.g. `"cascade"`; `None` for the default (no action).
    pub on_delete: Option<&'static str>,
    /// `ON UPDATE` action; `None` for the default (no action).
    pub on_update: Option<&'static str>,
}

/// `CREATE INDEX`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct IndexDetails {
    /// `UNIQUE`.
    pub unique: bool,
    /// `CONCURRENTLY`.
    pub concurrently: bool,
    /// `IF NOT EXISTS`.
    pub if_not_exists: bool,
    /// The indexed columns, or for an expression, its text.
    pub columns: Vec<String>,
    /// `INCLUDE (...)` columns.
    pub include: Vec<String>,
    /// `USING method`, when written (`btree` otherwise).
    pub method: Option<String>,
    /// `WHERE ...` of a partial index.
    pub predicate: Option<Expression>,
    /// `ON ONLY table`: the index is created on a partitioned table only.
    pub only: bool,
}

/// Any `DROP`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize)]
#[non_exhaustive]
pub struct DropDetails {
    /// `IF EXISTS`.
    pub if_exists: bool,
    /// `CASCADE`: dependent objects are dropped too.
    pub cascade: bool,
    /// `DROP INDEX CONCURRENTLY`.
    pub concurrently: bool,
}

/// `CREATE VIEW` and `CREATE MATERIALIZED VIEW`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ViewDetails {
    /// `CREATE OR REPLACE`.
    pub or_replace: bool,
    /// `IF NOT EXISTS` (materialized views).
    pub if_not_exists: bool,
    /// `WITH (security_invoker = ...)`, when set.
    pub security_invoker: Option<bool>,
    /// `WITH (security_barrier = ...)`, when set.
    pub security_barrier: Option<bool>,
    /// `WITH [LOCAL | CASCADED] CHECK OPTION`, as `"local"` or `"cascaded"`.
    pub check_option: Option<&'static str>,
    /// All `WITH (...)` options, as `name` or `name=value`.
    pub options: Vec<String>,
    /// For a materialized view, whether it is populated (`WITH DATA`, the
    /// default); always true for a view.
    pub with_data: bool,
}

/// `REFRESH MATERIALIZED VIEW`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize)]
#[non_exhaustive]
pub struct RefreshDetails {
    /// `CONCURRENTLY`.
    pub concurrently: bool,
    /// `WITH DATA` (the default) rather than `WITH NO DATA`.
    pub with_data: bool,
}

/// `CREATE FUNCTION`, `CREATE PROCEDURE`, `ALTER FUNCTION`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct FunctionDetails {
    /// `CREATE OR REPLACE`.
    pub or_replace: bool,
    /// The argument types, as written (`IN` and `INOUT` arguments).
    pub arguments: Vec<String>,
    /// `LANGUAGE ...`.
    pub language: Option<String>,
    /// `SECURITY DEFINER` (`Some(false)` for an explicit `SECURITY INVOKER`).
    pub security_definer: Option<bool>,
    /// `SET search_path ...` in the function's options: the value as written
    /// (`"pg_catalog, public"`, `""` for `TO DEFAULT`, `"FROM CURRENT"`).
    /// `None` when the function does not fix its search path.
    pub search_path: Option<String>,
    /// `IMMUTABLE`, `STABLE` or `VOLATILE`, when declared.
    pub volatility: Option<Volatility>,
}

/// `CREATE TRIGGER`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct TriggerDetails {
    /// `CREATE OR REPLACE`.
    pub or_replace: bool,
    /// `"before"`, `"after"` or `"instead of"`.
    pub timing: &'static str,
    /// The events: `"insert"`, `"update"`, `"delete"`, `"truncate"`.
    pub events: Vec<&'static str>,
    /// `FOR EACH ROW` (otherwise per statement).
    pub for_each_row: bool,
    /// The trigger function.
    pub function: QualifiedName,
    /// `CREATE CONSTRAINT TRIGGER`.
    pub constraint: bool,
}

/// `ALTER TABLE ... ENABLE/DISABLE TRIGGER`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[non_exhaustive]
pub struct TriggerState {
    /// Whether the trigger fires afterwards.
    pub enabled: bool,
    /// `ALWAYS` or `REPLICA` with `ENABLE`.
    pub mode: Option<&'static str>,
    /// Which triggers: `"named"` (the object), `"all"` or `"user"`.
    pub scope: &'static str,
}

/// `CREATE POLICY`, `ALTER POLICY`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct PolicyDetails {
    /// The command it applies to: `"all"`, `"select"`, `"insert"`,
    /// `"update"`, `"delete"` (`None` in `ALTER POLICY`).
    pub command: Option<String>,
    /// `AS PERMISSIVE` (the default) rather than `AS RESTRICTIVE`.
    pub permissive: bool,
    /// `TO ...` roles (`"public"` for `PUBLIC`); empty when not written.
    pub roles: Vec<String>,
    /// `USING (...)`.
    pub using: Option<Expression>,
    /// `WITH CHECK (...)`.
    pub with_check: Option<Expression>,
}

/// `CREATE TYPE` and `CREATE DOMAIN`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum TypeDetails {
    /// `AS ENUM (...)`: its values.
    Enum {
        /// The labels, in order.
        values: Vec<String>,
    },
    /// `AS (...)`: its attributes.
    Composite {
        /// Attribute names and types.
        attributes: Vec<(String, Option<TypeRef>)>,
    },
    /// `AS RANGE (...)`.
    Range,
    /// `CREATE DOMAIN ... AS base`.
    Domain {
        /// The base type.
        base: Option<TypeRef>,
    },
    /// A base or shell type.
    Base,
}

/// `ALTER TYPE ... ADD VALUE` and `RENAME VALUE`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct EnumValueDetails {
    /// `IF NOT EXISTS`.
    pub if_not_exists: bool,
    /// `BEFORE 'value'`.
    pub before: Option<String>,
    /// `AFTER 'value'`.
    pub after: Option<String>,
}

/// `CREATE EXTENSION`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ExtensionDetails {
    /// `IF NOT EXISTS`.
    pub if_not_exists: bool,
    /// `SCHEMA ...`.
    pub schema: Option<String>,
    /// `VERSION ...`.
    pub version: Option<String>,
    /// `CASCADE`: required extensions are installed too.
    pub cascade: bool,
}

/// Creations with nothing more to say.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize)]
#[non_exhaustive]
pub struct CreateDetails {
    /// `IF NOT EXISTS`.
    pub if_not_exists: bool,
    /// `CREATE OR REPLACE`.
    pub or_replace: bool,
}

/// What `GRANT` or `REVOKE` is about.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum GrantTarget {
    /// The named objects (the effect's object).
    #[default]
    Objects,
    /// `ON ALL TABLES/SEQUENCES/FUNCTIONS IN SCHEMA`: the effect's object is
    /// the schema, the kind of objects is in [`GrantDetails::object_kind`].
    AllInSchema,
    /// `ALTER DEFAULT PRIVILEGES`: objects created later; the effect's object
    /// is the schema named by `IN SCHEMA`, or the database.
    Defaults,
    /// Membership in a role (`GRANT role TO ...`): the object is the role.
    RoleMembership,
}

/// `GRANT`, `REVOKE`, `ALTER DEFAULT PRIVILEGES`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct GrantDetails {
    /// What is granted on.
    pub target: GrantTarget,
    /// The kind of objects granted on.
    pub object_kind: Option<ObjectKind>,
    /// The privileges, lowercase (`"select"`, `"insert"`...); `["all"]` for
    /// `ALL [PRIVILEGES]`.
    pub privileges: Vec<String>,
    /// Columns, for column privileges (`GRANT SELECT (a, b) ON t`).
    pub columns: Vec<String>,
    /// The roles (`"public"` for `PUBLIC`, `"current_user"` and so on).
    pub grantees: Vec<String>,
    /// `WITH GRANT OPTION` (for a role, `WITH ADMIN OPTION`); for `REVOKE`,
    /// `GRANT OPTION FOR`.
    pub with_grant_option: bool,
    /// `CASCADE` of a `REVOKE`.
    pub cascade: bool,
}

/// `INSERT`, `UPDATE`, `DELETE`, `MERGE`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize)]
#[non_exhaustive]
pub struct WriteDetails {
    /// A `WHERE` clause (`UPDATE`, `DELETE`), which may limit the rows;
    /// without it every row is written.
    pub has_where: bool,
    /// `ON CONFLICT` (`INSERT`).
    pub on_conflict: bool,
    /// The rows come from a query (`INSERT ... SELECT`), not `VALUES`.
    pub from_query: bool,
}

/// `TRUNCATE`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize)]
#[non_exhaustive]
pub struct TruncateDetails {
    /// `CASCADE`: tables with foreign keys to it are truncated too.
    pub cascade: bool,
    /// `RESTART IDENTITY`.
    pub restart_identity: bool,
}

/// `ATTACH PARTITION`, `DETACH PARTITION`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct PartitionDetails {
    /// The partitioned table.
    pub parent: QualifiedName,
    /// `DEFAULT` partition.
    pub default: bool,
    /// `DETACH ... CONCURRENTLY`.
    pub concurrently: bool,
    /// `DETACH ... FINALIZE`.
    pub finalize: bool,
}

/// `VACUUM`, `ANALYZE`, `CLUSTER`, `REINDEX`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize)]
#[non_exhaustive]
pub struct MaintenanceDetails {
    /// `VACUUM FULL`.
    pub full: bool,
    /// `VACUUM ANALYZE` / `(ANALYZE)`.
    pub analyze: bool,
    /// `REINDEX ... CONCURRENTLY`.
    pub concurrently: bool,
}
