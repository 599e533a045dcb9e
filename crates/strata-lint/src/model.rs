//! A schema model replayed across all migrations in order.
//!
//! Rules ask it what is true at a statement: does this table exist, was it
//! created in this very migration (so locking it costs nothing), does it have
//! row-level security, which indexes cover which columns. Names without a
//! schema are taken to be in `public`, the default `search_path`. The model is
//! built from [`strata_sql::analyze`] effects of up sections only.

use std::collections::BTreeMap;
use std::path::PathBuf;

use strata_core::Version;
use strata_sql::analyze::{
    Action, Analysis, ColumnChange, ConstraintKind, EffectDetails, ObjectKind, QualifiedName,
    TableChange, TypeRef,
};

/// Where an object was created: for messages and for attributing end-of-set findings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Origin {
    /// The migration.
    pub version: Version,
    /// Its file.
    pub file: PathBuf,
    /// Byte span of the creating statement in its section.
    pub span: std::ops::Range<usize>,
    /// Line and column of that statement.
    pub line: u32,
    /// Column.
    pub column: u32,
}

/// A foreign key, for the index-coverage check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ForeignKey {
    pub columns: Vec<String>,
    pub target: String,
    pub origin: Origin,
}

/// What the model knows of one table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Table {
    pub origin: Origin,
    pub columns: Vec<String>,
    /// Column types, for the columns whose type the migrations gave.
    pub types: BTreeMap<String, TypeRef>,
    pub primary_key: bool,
    pub rls: bool,
    pub policies: Vec<String>,
    /// Column lists of indexes and of unique/primary-key constraints.
    pub indexes: Vec<(Option<String>, Vec<String>)>,
    pub foreign_keys: Vec<ForeignKey>,
}

/// The schema as the migrations so far left it.
#[derive(Clone, Debug, Default)]
pub(crate) struct Model {
    tables: BTreeMap<String, Table>,
}

/// `schema.name`, with `public` for unqualified names, lowercase as PostgreSQL folds them.
pub(crate) fn key(name: &QualifiedName) -> String {
    format!(
        "{}.{}",
        name.schema.as_deref().unwrap_or("public"),
        name.name
    )
}

/// Whether `name` lives in one of `schemas` (unqualified names are in `public`).
pub(crate) fn in_schemas(name: &QualifiedName, schemas: &[String]) -> bool {
    let schema = name.schema.as_deref().unwrap_or("public");
    schemas.iter().any(|s| s == schema)
}

/// Whether the table with this model key (`schema.name`) lives in one of `schemas`.
pub(crate) fn key_in_schemas(key: &str, schemas: &[String]) -> bool {
    let schema = key.split_once('.').map_or("public", |(schema, _)| schema);
    schemas.iter().any(|s| s == schema)
}

impl Model {
    /// The table, if the migrations so far created it.
    pub fn table(&self, name: &QualifiedName) -> Option<&Table> {
        self.tables.get(&key(name))
    }

    /// Every table, by `schema.name`.
    pub fn tables(&self) -> impl Iterator<Item = (&String, &Table)> {
        self.tables.iter()
    }

    /// Applies one statement's effects.
    pub fn apply(&mut self, analysis: &Analysis, origin: &Origin) {
        for effect in &analysis.effects {
            let object = &effect.object;
            let table_of = || object.parent.as_ref().map(key);
            match (effect.action, object.kind, &effect.details) {
                (Action::Create, ObjectKind::Table, EffectDetails::Table(details)) => {
                    let mut table = Table {
                        origin: origin.clone(),
                        columns: details.columns.iter().map(|c| c.name.clone()).collect(),
                        types: details
                            .columns
                            .iter()
                            .filter_map(|c| Some((c.name.clone(), c.type_name.clone()?)))
                            .collect(),
                        primary_key: details.has_primary_key,
                        rls: false,
                        policies: Vec::new(),
                        indexes: Vec::new(),
                        foreign_keys: Vec::new(),
                    };
                    for column in &details.columns {
                        if column.primary_key || column.unique {
                            table.indexes.push((None, vec![column.name.clone()]));
                        }
                        if let Some(target) = &column.references {
                            table.foreign_keys.push(ForeignKey {
                                columns: vec![column.name.clone()],
                                target: key(&target.table),
                                origin: origin.clone(),
                            });
                        }
                    }
                    for constraint in &details.constraints {
                        add_constraint(&mut table, constraint, origin);
                    }
                    self.tables.entry(key(&object.name)).or_insert(table);
                }
                (Action::Drop, ObjectKind::Table, _) => {
                    self.tables.remove(&key(&object.name));
                }
                (Action::Rename, ObjectKind::Table, EffectDetails::Rename(new_name)) => {
                    if let Some(table) = self.tables.remove(&key(&object.name)) {
                        let renamed = QualifiedName::new(object.name.schema.as_deref(), new_name);
                        self.tables.insert(key(&renamed), table);
                    }
                }
                (Action::Create, ObjectKind::Column, EffectDetails::Column(column)) => {
                    if let Some(table) = table_of().and_then(|t| self.tables.get_mut(&t)) {
                        table.columns.push(column.name.clone());
                        if let Some(type_name) = &column.type_name {
                            table.types.insert(column.name.clone(), type_name.clone());
                        }
                        if column.primary_key {
                            table.primary_key = true;
                        }
                        if let Some(target) = &column.references {
                            table.foreign_keys.push(ForeignKey {
                                columns: vec![column.name.clone()],
                                target: key(&target.table),
                                origin: origin.clone(),
                            });
                        }
                    }
                }
                (Action::Drop, ObjectKind::Column, _) => {
                    if let Some(table) = table_of().and_then(|t| self.tables.get_mut(&t)) {
                        let name = &object.name.name;
                        table.columns.retain(|c| c != name);
                        table.types.remove(name);
                        table.indexes.retain(|(_, cols)| !cols.contains(name));
                        table.foreign_keys.retain(|fk| !fk.columns.contains(name));
                    }
                }
                (
                    Action::Alter,
                    ObjectKind::Column,
                    EffectDetails::ColumnChange(ColumnChange::Type { type_name, .. }),
                ) => {
                    if let Some(table) = table_of().and_then(|t| self.tables.get_mut(&t)) {
                        table
                            .types
                            .insert(object.name.name.clone(), type_name.clone());
                    }
                }
                (Action::Rename, ObjectKind::Column, EffectDetails::Rename(new_name)) => {
                    if let Some(table) = table_of().and_then(|t| self.tables.get_mut(&t)) {
                        let old_name = &object.name.name;
                        for column in &mut table.columns {
                            if column == old_name {
                                column.clone_from(new_name);
                            }
                        }
                        if let Some(type_name) = table.types.remove(old_name) {
                            table.types.insert(new_name.clone(), type_name);
                        }
                    }
                }
                (Action::Create, ObjectKind::Constraint, EffectDetails::Constraint(c)) => {
                    if let Some(table) = table_of().and_then(|t| self.tables.get_mut(&t)) {
                        add_constraint(table, c, origin);
                    }
                }
                (Action::Create, ObjectKind::Index, EffectDetails::Index(index)) => {
                    if let Some(table) = table_of().and_then(|t| self.tables.get_mut(&t)) {
                        table
                            .indexes
                            .push((Some(object.name.name.clone()), index.columns.clone()));
                    }
                }
                (Action::Drop, ObjectKind::Index, _) => {
                    let name = &object.name.name;
                    for table in self.tables.values_mut() {
                        table.indexes.retain(|(n, _)| n.as_ref() != Some(name));
                    }
                }
                (Action::Alter, ObjectKind::Table, EffectDetails::TableChange(change)) => {
                    if let Some(table) = self.tables.get_mut(&key(&object.name)) {
                        match change {
                            TableChange::EnableRowLevelSecurity => table.rls = true,
                            TableChange::DisableRowLevelSecurity => table.rls = false,
                            _ => {}
                        }
                    }
                }
                (Action::Create, ObjectKind::Policy, _) => {
                    if let Some(table) = table_of().and_then(|t| self.tables.get_mut(&t)) {
                        table.policies.push(object.name.name.clone());
                    }
                }
                (Action::Drop, ObjectKind::Policy, _) => {
                    if let Some(table) = table_of().and_then(|t| self.tables.get_mut(&t)) {
                        table.policies.retain(|p| *p != object.name.name);
                    }
                }
                _ => {}
            }
        }
    }
}

fn add_constraint(
    table: &mut Table,
    constraint: &strata_sql::analyze::ConstraintDetails,
    origin: &Origin,
) {
    match constraint.kind {
        ConstraintKind::PrimaryKey => {
            table.primary_key = true;
            table
                .indexes
                .push((constraint.name.clone(), constraint.columns.clone()));
        }
        ConstraintKind::Unique => table
            .indexes
            .push((constraint.name.clone(), constraint.columns.clone())),
        ConstraintKind::ForeignKey => {
            if let Some(target) = &constraint.references {
                table.foreign_keys.push(ForeignKey {
                    columns: constraint.columns.clone(),
                    target: key(&target.table),
                    origin: origin.clone(),
                });
            }
        }
        _ => {}
    }
}

impl Table {
    /// Whether an index (or unique/primary-key constraint) starts with `columns`.
    pub fn covered(&self, columns: &[String]) -> bool {
        self.indexes
            .iter()
            .any(|(_, cols)| cols.len() >= columns.len() && cols[..columns.len()] == *columns)
    }
}
