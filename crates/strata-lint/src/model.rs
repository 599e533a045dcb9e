//! A schema model replayed across all migrations in order.
//!
//! Rules ask it what is true at a statement: does this table exist, was it
//! created in this very migration (so locking it costs nothing), does it have
//! row-level security, which indexes cover which columns. Names without a
//! schema are taken to be in `public`, the default `search_path`. The model is
//! built from [`strata_sql::analyze`] effects of up sections only.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::Range;
use std::path::PathBuf;

use strata_core::Version;
use strata_sql::analyze::{
    Action, Analysis, ColumnChange, ConstraintKind, Effect, EffectDetails, ObjectKind,
    QualifiedName, TableChange, TypeRef,
};

/// Where an object was made: for messages and for placing end-of-set findings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Origin {
    /// The migration.
    pub version: Version,
    /// Its file.
    pub file: PathBuf,
    /// Where the statement that made it names it (the table's name in its
    /// `CREATE TABLE`, a foreign key's constraint, column or referenced
    /// table), or the whole statement when the name was not located.
    pub span: strata_core::Span,
}

/// The origin of what a statement makes at a byte range of its text (an
/// effect's location), or at the whole statement without one.
pub(crate) type OriginAt<'a> = dyn Fn(Option<&Range<usize>>) -> Origin + 'a;

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
    pub types: ColumnTypes,
    pub primary_key: bool,
    pub rls: bool,
    pub policies: Vec<String>,
    /// Column lists of indexes and of unique/primary-key constraints.
    pub indexes: Vec<(Option<String>, Vec<String>)>,
    pub foreign_keys: Vec<ForeignKey>,
}

/// The types of a table's columns, by column name.
///
/// A short vector while the table has few typed columns, a map beyond: a
/// `BTreeMap` allocates room for eleven entries however few it holds, which
/// for a schema of many small tables is most of the model's memory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum ColumnTypes {
    /// Up to [`ColumnTypes::FEW`] columns, unsorted, each once.
    Few(Vec<(String, TypeRef)>),
    /// More.
    Many(BTreeMap<String, TypeRef>),
}

impl Default for ColumnTypes {
    fn default() -> Self {
        Self::Few(Vec::new())
    }
}

impl ColumnTypes {
    /// The most columns kept in a vector.
    const FEW: usize = 16;

    /// The type of `column`, when known.
    pub fn get(&self, column: &str) -> Option<&TypeRef> {
        match self {
            Self::Few(few) => few
                .iter()
                .find_map(|(name, type_name)| (name == column).then_some(type_name)),
            Self::Many(many) => many.get(column),
        }
    }

    /// Sets the type of `column`.
    pub fn insert(&mut self, column: String, type_name: TypeRef) {
        match self {
            Self::Few(few) => {
                if let Some(at) = few.iter().position(|(name, _)| *name == column) {
                    if let Some((_, known)) = few.get_mut(at) {
                        *known = type_name;
                    }
                } else if few.len() < Self::FEW {
                    // Grown one at a time: most tables get a column or two
                    // after their creation, and doubling would leave the
                    // rest of the room unused for the whole run.
                    few.reserve_exact(1);
                    few.push((column, type_name));
                } else {
                    let mut many: BTreeMap<String, TypeRef> =
                        std::mem::take(few).into_iter().collect();
                    many.insert(column, type_name);
                    *self = Self::Many(many);
                }
            }
            Self::Many(many) => {
                many.insert(column, type_name);
            }
        }
    }

    /// Forgets the type of `column`, returning it.
    pub fn remove(&mut self, column: &str) -> Option<TypeRef> {
        match self {
            Self::Few(few) => {
                let at = few.iter().position(|(name, _)| name == column)?;
                Some(few.swap_remove(at).1)
            }
            Self::Many(many) => many.remove(column),
        }
    }
}

impl FromIterator<(String, TypeRef)> for ColumnTypes {
    fn from_iter<I: IntoIterator<Item = (String, TypeRef)>>(columns: I) -> Self {
        let mut types = Self::default();
        for (column, type_name) in columns {
            types.insert(column, type_name);
        }
        if let Self::Few(few) = &mut types {
            few.shrink_to_fit();
        }
        types
    }
}

/// The schema as the migrations so far left it.
#[derive(Clone, Debug, Default)]
pub(crate) struct Model {
    tables: BTreeMap<String, Table>,
    /// For each index (or unique/primary-key constraint) name, the keys of
    /// the tables that had one so named when it was made or renamed, so a
    /// `DROP INDEX` finds its table without visiting every table. A name
    /// goes when its index is dropped, a table's key never: whoever reads
    /// one checks that the table still has the index (it may have been
    /// dropped, renamed or lost the column since).
    index_tables: HashMap<String, Vec<String>>,
    /// The schemas the migrations created without `IF NOT EXISTS` (one that
    /// may exist already may be the platform's, such as Supabase's `auth`).
    created_schemas: BTreeSet<String>,
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

    /// Whether the migrations so far created `schema` (without `IF NOT
    /// EXISTS`).
    pub fn created_schema(&self, schema: &str) -> bool {
        self.created_schemas.contains(schema)
    }

    /// Every table, by `schema.name`.
    pub fn tables(&self) -> impl Iterator<Item = (&String, &Table)> {
        self.tables.iter()
    }

    /// The tables that have an index (or unique/primary-key constraint)
    /// called `name`, with their keys.
    pub fn tables_with_index<'s>(
        &'s self,
        name: &'s str,
    ) -> impl Iterator<Item = (&'s String, &'s Table)> + 's {
        self.index_tables
            .get(name)
            .into_iter()
            .flatten()
            .filter_map(|key| self.tables.get_key_value(key))
            .filter(move |(_, table)| table.has_index(name))
    }

    /// Applies one statement's effects, each object made at `origin`.
    pub fn apply(&mut self, analysis: &Analysis, origin: &OriginAt<'_>) {
        for effect in &analysis.effects {
            self.apply_effect(effect, analysis, origin);
        }
    }

    /// Applies one effect, and notes the names of the indexes it gave a
    /// table (or all of a renamed table's).
    fn apply_effect(&mut self, effect: &Effect, analysis: &Analysis, origin: &OriginAt<'_>) {
        let object = &effect.object;
        if let (Action::Create, ObjectKind::Schema, EffectDetails::Create(create)) =
            (effect.action, object.kind, &effect.details)
        {
            if !create.if_not_exists {
                self.created_schemas.insert(object.name.name.clone());
            }
            return;
        }
        let table = match (effect.action, object.kind) {
            (Action::Rename, ObjectKind::Table) => match &effect.details {
                EffectDetails::Rename(new_name) => Some(key(&QualifiedName::new(
                    object.name.schema.as_deref(),
                    new_name,
                ))),
                _ => None,
            },
            (_, ObjectKind::Table) => Some(key(&object.name)),
            _ => object.parent.as_ref().map(key),
        };
        let before = table
            .as_ref()
            .and_then(|t| self.tables.get(t))
            .map(|t| t.indexes.len());
        self.change(effect, analysis, origin);
        let Some((key, table)) = table.and_then(|t| self.tables.get_key_value(&t)) else {
            return;
        };
        // A new or renamed table: all its indexes; otherwise the new ones.
        let renamed = effect.action == Action::Rename && object.kind == ObjectKind::Table;
        let skip = if renamed { 0 } else { before.unwrap_or(0) };
        for name in table
            .indexes
            .iter()
            .skip(skip)
            .filter_map(|(n, _)| n.as_ref())
        {
            // Repeats are harmless (readers check the table), so only the
            // cheap one is avoided.
            let tables = self.index_tables.entry(name.clone()).or_default();
            if tables.last() != Some(key) {
                tables.push(key.clone());
            }
        }
    }

    /// The change one effect of `analysis` makes to the tables.
    fn change(&mut self, effect: &Effect, analysis: &Analysis, origin: &OriginAt<'_>) {
        let object = &effect.object;
        let table_of = || object.parent.as_ref().map(key);
        let here = || origin(effect.location.as_ref());
        match (effect.action, object.kind, &effect.details) {
            (Action::Create, ObjectKind::Table, EffectDetails::Table(details)) => {
                // A foreign key of a new table is placed where it names the
                // table it references; a reference to the table itself, which
                // has no effect of its own, at the new table's name.
                let mut references = References::new(analysis);
                let mut foreign_key_origin =
                    |target: &QualifiedName| match references.next_location(target) {
                        Some(location) => origin(Some(location)),
                        None => here(),
                    };
                let mut table = Table {
                    origin: here(),
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
                // The constraints include those written on columns, in the
                // order of the statement, as are its references.
                for constraint in &details.constraints {
                    let origin = match &constraint.references {
                        Some(target) => foreign_key_origin(&target.table),
                        None => here(),
                    };
                    add_constraint(&mut table, constraint, &origin);
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
                            origin: here(),
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
                    add_constraint(table, c, &here());
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
                for key in self.index_tables.remove(name).into_iter().flatten() {
                    if let Some(table) = self.tables.get_mut(&key) {
                        table.indexes.retain(|(n, _)| n.as_ref() != Some(name));
                    }
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

/// The tables a statement references (`REFERENCES`), in order, handed out
/// one by one: the second foreign key to a table is placed at its second
/// mention.
struct References<'a> {
    effects: Vec<&'a Effect>,
}

impl<'a> References<'a> {
    fn new(analysis: &'a Analysis) -> Self {
        Self {
            effects: analysis
                .effects
                .iter()
                .filter(|effect| effect.action == Action::Reference)
                .collect(),
        }
    }

    /// Where the next mention of `table` not yet handed out is, when the
    /// analysis located it.
    fn next_location(&mut self, table: &QualifiedName) -> Option<&'a Range<usize>> {
        let at = self
            .effects
            .iter()
            .position(|effect| effect.object.name == *table)?;
        self.effects.remove(at).location.as_ref()
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
    /// Whether an index (or unique/primary-key constraint) is called `name`.
    pub fn has_index(&self, name: &str) -> bool {
        self.indexes.iter().any(|(n, _)| n.as_deref() == Some(name))
    }

    /// Whether an index (or unique/primary-key constraint) starts with `columns`.
    pub fn covered(&self, columns: &[String]) -> bool {
        self.indexes
            .iter()
            .any(|(_, cols)| cols.len() >= columns.len() && cols[..columns.len()] == *columns)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The type PostgreSQL's parser makes of `spelling`.
    fn type_of(spelling: &str) -> TypeRef {
        let sql = format!("alter table t add column c {spelling}");
        let analysis = strata_sql::analyze::analyze(&sql).expect("analyses");
        analysis
            .effects
            .iter()
            .find_map(|effect| match &effect.details {
                EffectDetails::Column(column) => column.type_name.clone(),
                _ => None,
            })
            .expect("a typed column")
    }

    fn int4() -> TypeRef {
        type_of("int")
    }

    fn text() -> TypeRef {
        type_of("text")
    }

    #[test]
    fn column_types_behave_as_a_map_below_and_above_the_vector_limit() {
        for count in [0, 1, ColumnTypes::FEW, ColumnTypes::FEW + 1, 100] {
            let mut types: ColumnTypes = (0..count).map(|n| (format!("c{n}"), int4())).collect();
            let mut expected: BTreeMap<String, TypeRef> =
                (0..count).map(|n| (format!("c{n}"), int4())).collect();
            types.insert("c0".to_owned(), text());
            expected.insert("c0".to_owned(), text());
            types.insert("new".to_owned(), text());
            expected.insert("new".to_owned(), text());
            assert_eq!(types.remove("c1"), expected.remove("c1"), "{count}");
            assert_eq!(types.remove("absent"), None);
            for (name, type_name) in &expected {
                assert_eq!(types.get(name), Some(type_name), "{name} of {count}");
            }
            assert_eq!(types.get("c1"), None);
        }
        let duplicated: ColumnTypes = [("a".to_owned(), int4()), ("a".to_owned(), text())]
            .into_iter()
            .collect();
        assert_eq!(
            duplicated.get("a"),
            Some(&text()),
            "the last type given wins"
        );
    }
}
