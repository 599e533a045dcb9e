//! Catalog snapshots, and the differences between two of them.
//!
//! `strata verify` proves a rollback by taking a [`Snapshot`] before a
//! migration's up, running the up and then the down, taking another, and
//! asking [`Snapshot::diff`] for what the round trip left behind or removed.
//!
//! A snapshot lists the objects of the user schemas (not `pg_catalog`,
//! `information_schema`, the TOAST and temporary schemas, nor those the caller
//! excludes, such as strata's history schema) with the properties that make
//! them what they are: schemas, extensions, types (enums, domains, composite
//! and range types), sequences, tables, views, materialized views, foreign
//! tables, columns, constraints, indexes, triggers, rules, row-level security
//! policies, extended statistics, functions, procedures, aggregates, event
//! triggers, publications, privileges and default privileges, and comments.
//! Objects that belong to an extension are represented by the extension.
//!
//! What legitimately changes when an object is dropped and created again is
//! left out, so a faithful round trip compares equal: OIDs, owners, grantors,
//! column positions, sequence values, statistics, extension versions. Names
//! are kept, including those of constraints and indexes: a down that forgets an
//! index reports `index public.notes_body_idx was left behind`.
//!
//! The snapshot is read with one round trip, one query per kind of object, in
//! a read-only repeatable-read transaction. The queries read `pg_catalog` only
//! and hold for PostgreSQL 13 to 17; the server's own deparsing
//! (`pg_get_indexdef`, `pg_get_functiondef`, `format_type`...) gives the
//! definitions, with settings pinned (`search_path`, `DateStyle`, `TimeZone`...)
//! so that every name outside `pg_catalog` comes out qualified and the text does
//! not depend on the session.

mod diff;
mod queries;

use std::collections::BTreeMap;
use std::fmt;

use tokio_postgres::Client;

use crate::error::PgError;
use crate::history::{exec, text};

pub use diff::{DiffKind, Difference};

/// What to include in a [`Snapshot`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SnapshotOptions {
    /// Schemas left out entirely, such as strata's history schema (`strata`).
    pub exclude_schemas: Vec<String>,
    /// Whether comments (`COMMENT ON`) are compared; on by default.
    pub comments: bool,
    /// Whether privileges and default privileges are compared; on by default.
    pub grants: bool,
}

impl Default for SnapshotOptions {
    fn default() -> Self {
        Self {
            exclude_schemas: Vec::new(),
            comments: true,
            grants: true,
        }
    }
}

impl SnapshotOptions {
    /// The defaults, leaving out `schemas`.
    pub fn excluding<I, S>(schemas: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self {
            exclude_schemas: schemas.into_iter().map(Into::into).collect(),
            ..Self::default()
        }
    }
}

/// The kinds of catalog objects a snapshot lists, in the order it lists them.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ObjectKind {
    /// A schema.
    Schema,
    /// An extension, standing for every object it created.
    Extension,
    /// A user-defined type: enum, domain, composite, range or base type.
    Type,
    /// A sequence, including those behind `serial` and identity columns.
    Sequence,
    /// A table, plain or partitioned.
    Table,
    /// A foreign table.
    ForeignTable,
    /// A view.
    View,
    /// A materialized view.
    MaterializedView,
    /// A column of a table, view or foreign table.
    Column,
    /// An attribute of a composite type.
    Attribute,
    /// A constraint of a table or domain.
    Constraint,
    /// An index not standing behind a constraint.
    Index,
    /// A trigger.
    Trigger,
    /// A rewrite rule (`CREATE RULE`).
    Rule,
    /// A row-level security policy.
    Policy,
    /// An extended statistics object (`CREATE STATISTICS`).
    Statistics,
    /// A function.
    Function,
    /// A procedure.
    Procedure,
    /// An aggregate function.
    Aggregate,
    /// An event trigger.
    EventTrigger,
    /// A logical replication publication.
    Publication,
    /// One privilege granted to one role (or `PUBLIC`) on one object.
    Grant,
    /// One entry of `ALTER DEFAULT PRIVILEGES`.
    DefaultPrivilege,
}

impl ObjectKind {
    /// Every kind, in listing order.
    pub const ALL: [Self; 23] = [
        Self::Schema,
        Self::Extension,
        Self::Type,
        Self::Sequence,
        Self::Table,
        Self::ForeignTable,
        Self::View,
        Self::MaterializedView,
        Self::Column,
        Self::Attribute,
        Self::Constraint,
        Self::Index,
        Self::Trigger,
        Self::Rule,
        Self::Policy,
        Self::Statistics,
        Self::Function,
        Self::Procedure,
        Self::Aggregate,
        Self::EventTrigger,
        Self::Publication,
        Self::Grant,
        Self::DefaultPrivilege,
    ];

    /// The kind in words, as it starts an object's id: `materialized view`.
    pub fn label(self) -> &'static str {
        match self {
            Self::Schema => "schema",
            Self::Extension => "extension",
            Self::Type => "type",
            Self::Sequence => "sequence",
            Self::Table => "table",
            Self::ForeignTable => "foreign table",
            Self::View => "view",
            Self::MaterializedView => "materialized view",
            Self::Column => "column",
            Self::Attribute => "attribute",
            Self::Constraint => "constraint",
            Self::Index => "index",
            Self::Trigger => "trigger",
            Self::Rule => "rule",
            Self::Policy => "policy",
            Self::Statistics => "statistics",
            Self::Function => "function",
            Self::Procedure => "procedure",
            Self::Aggregate => "aggregate",
            Self::EventTrigger => "event trigger",
            Self::Publication => "publication",
            Self::Grant => "grant",
            Self::DefaultPrivilege => "default privilege",
        }
    }

    /// The kind whose [`label`](Self::label) is `label`.
    pub fn from_label(label: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.label() == label)
    }
}

impl fmt::Display for ObjectKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// One catalog object and the properties compared for it.
///
/// Names are quoted as SQL needs (`public."Notes"`) and qualified by schema;
/// a column is `schema.table.column`; a constraint, trigger, rule or policy
/// is `name on schema.table`; a routine carries its argument types
/// (`public.touch(integer)`); a grant reads `SELECT on table public.notes to
/// reader`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct Object {
    /// What kind of object.
    pub kind: ObjectKind,
    /// Its name, unique within its kind.
    pub name: String,
    /// The [`id`](Self::id) of the object it belongs to (a column's table, a
    /// table's schema), when any. Not compared: a difference on an object
    /// whose parent was itself added or removed is not reported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    /// The compared properties by name (`type`, `default`, `definition`...);
    /// an absent property is none.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub properties: BTreeMap<String, String>,
}

impl Object {
    /// Kind and name: `index public.notes_body_idx`.
    pub fn id(&self) -> String {
        format!("{} {}", self.kind, self.name)
    }

    /// The property that best stands for the object in one line: its
    /// definition, or its type.
    pub fn summary(&self) -> Option<&str> {
        ["definition", "type"]
            .iter()
            .find_map(|key| self.properties.get(*key))
            .map(String::as_str)
    }
}

impl fmt::Display for Object {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.kind, self.name)
    }
}

/// The user objects of a database, sorted by kind and then name, each once.
///
/// Serializes as `{"objects": [...]}`, the same for the same schema whatever
/// the database's OIDs, owners or contents.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(from = "Unsorted")]
pub struct Snapshot {
    objects: Vec<Object>,
}

/// A snapshot as read from JSON, sorted before use.
#[derive(serde::Deserialize)]
struct Unsorted {
    objects: Vec<Object>,
}

impl From<Unsorted> for Snapshot {
    fn from(unsorted: Unsorted) -> Self {
        unsorted.objects.into_iter().collect()
    }
}

impl FromIterator<Object> for Snapshot {
    /// Sorts the objects; of two with the same kind and name, the first in
    /// sort order is kept.
    fn from_iter<I: IntoIterator<Item = Object>>(iter: I) -> Self {
        let mut objects: Vec<Object> = iter.into_iter().collect();
        objects.sort();
        objects.dedup_by(|later, earlier| later.kind == earlier.kind && later.name == earlier.name);
        Self { objects }
    }
}

impl Snapshot {
    /// Every object, sorted by kind and then name.
    pub fn objects(&self) -> &[Object] {
        &self.objects
    }

    /// The object of kind `kind` named `name`.
    pub fn get(&self, kind: ObjectKind, name: &str) -> Option<&Object> {
        self.objects
            .binary_search_by(|o| (o.kind, o.name.as_str()).cmp(&(kind, name)))
            .ok()
            .map(|i| &self.objects[i])
    }

    /// How many objects.
    pub fn len(&self) -> usize {
        self.objects.len()
    }

    /// Whether there is no object at all.
    pub fn is_empty(&self) -> bool {
        self.objects.is_empty()
    }

    /// What changed from `self` to `after`, in listing order: objects
    /// [`Added`](DiffKind::Added) (left behind, for a rollback),
    /// [`Removed`](DiffKind::Removed), and one
    /// [`Changed`](DiffKind::Changed) per property that differs.
    ///
    /// An object added or removed with the object it belongs to is not
    /// reported on its own: a table left behind is one difference, not one per
    /// column, index and grant.
    pub fn diff(&self, after: &Snapshot) -> Vec<Difference> {
        diff::diff(self, after)
    }
}

/// Reads a snapshot of the database `client` is connected to.
///
/// One round trip: a single simple query, which the server runs as one
/// read-only, repeatable-read transaction, so the queries see one state of the
/// catalog and a failure leaves nothing behind. Works through a
/// transaction-mode pooler. Call it outside a transaction block: inside one,
/// the server refuses to change the isolation level.
pub async fn snapshot(client: &Client, options: &SnapshotOptions) -> Result<Snapshot, PgError> {
    let sql = format!(
        "{};\n{}",
        queries::SETTINGS,
        queries::statements(options).join(";\n")
    );
    let rows = exec(client, &sql, "cannot read the catalog").await?;
    let mut objects = Vec::with_capacity(rows.len());
    for row in &rows {
        let label = text(row, 0);
        let kind = ObjectKind::from_label(&label).ok_or_else(|| {
            PgError::Bug(format!(
                "cannot read the catalog: unexpected object kind {label:?}"
            ))
        })?;
        let mut properties = parse_properties(&text(row, 3)).map_err(|e| {
            PgError::Bug(format!(
                "cannot read the catalog: unreadable properties of {label} {}: {e}",
                text(row, 1)
            ))
        })?;
        if !options.comments {
            properties.remove("comment");
        }
        objects.push(Object {
            kind,
            name: text(row, 1),
            parent: row.get(2).map(str::to_owned),
            properties,
        });
    }
    Ok(objects.into_iter().collect())
}

/// The properties of a row: a JSON object whose values are strings (others,
/// which the queries do not produce, are kept as their JSON text).
fn parse_properties(json: &str) -> Result<BTreeMap<String, String>, serde_json::Error> {
    let map: BTreeMap<String, serde_json::Value> = serde_json::from_str(json)?;
    Ok(map
        .into_iter()
        .filter_map(|(key, value)| match value {
            serde_json::Value::Null => None,
            serde_json::Value::String(s) => Some((key, s)),
            other => Some((key, other.to_string())),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_reads_back_from_its_label() {
        for kind in ObjectKind::ALL {
            assert_eq!(ObjectKind::from_label(kind.label()), Some(kind));
        }
        let mut sorted = ObjectKind::ALL;
        sorted.sort();
        assert_eq!(sorted, ObjectKind::ALL, "ALL lists the kinds in order");
    }

    #[test]
    fn properties_keep_strings_and_drop_nulls() {
        let props = parse_properties(r#"{"a": "x", "b": null, "c": true}"#).unwrap_or_default();
        assert_eq!(props.get("a").map(String::as_str), Some("x"));
        assert_eq!(props.get("b"), None);
        assert_eq!(props.get("c").map(String::as_str), Some("true"));
    }

    #[test]
    fn a_snapshot_is_sorted_and_unique_however_built() {
        let object = |kind, name: &str| Object {
            kind,
            name: name.to_owned(),
            parent: None,
            properties: BTreeMap::new(),
        };
        let snapshot: Snapshot = [
            object(ObjectKind::Index, "public.b"),
            object(ObjectKind::Schema, "public"),
            object(ObjectKind::Index, "public.a"),
            object(ObjectKind::Schema, "public"),
        ]
        .into_iter()
        .collect();
        let ids: Vec<String> = snapshot.objects().iter().map(Object::id).collect();
        assert_eq!(ids, ["schema public", "index public.a", "index public.b"]);
        assert!(snapshot.get(ObjectKind::Index, "public.a").is_some());
        assert!(snapshot.get(ObjectKind::Table, "public.a").is_none());
    }
}
