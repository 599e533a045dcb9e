//! The facts about each kind of change that rules need: [`EffectDetails`]
//! and the structures it carries.

use serde::Serialize;

use super::{Expression, ObjectKind, QualifiedName, TypeRef, Volatility};

/// The facts about an [`Effect`](super::Effect) that rules need, by kind of change.
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
