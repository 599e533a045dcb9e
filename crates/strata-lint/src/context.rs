//! What a rule sees, and where it reports.
//!
//! A statement rule is handed a [`StatementContext`] (its statement, what the
//! statement does, the facts of its section, the schema as the migrations
//! before it left it) and a [`StatementReport`]; a schema rule, a
//! [`SchemaContext`] (the schema all migrations leave) and a
//! [`SchemaReport`]. A report makes each finding a [`Diagnostic`] of its rule,
//! at the rule's configured severity, placed in the right file: rules say what
//! is wrong and where, never how a diagnostic is built or a position computed.

use std::collections::HashMap;
use std::ops::Range;
use std::path::Path;

use strata_core::position::PositionIndex;
use strata_core::{Diagnostic, Migration, Section, Severity, Span};
use strata_sql::Statement;
use strata_sql::analyze::{
    Action, Analysis, ColumnChange, ConstraintDetails, Effect, EffectDetails, Lock, ObjectKind,
    Persistence, QualifiedName, TableDetails, TypeRef,
};

use crate::model::{Model, Origin, Table, in_schemas};
use crate::registry::Rule;
use crate::section::SectionFacts;

/// What a statement rule sees: one statement, in its section and migration.
pub(crate) struct StatementContext<'a> {
    pub migration: &'a Migration,
    /// The section (its directives say how it runs).
    pub section: &'a Section,
    pub is_down: bool,
    pub statement: &'a Statement,
    /// Its index among the statements of the section.
    pub index: usize,
    /// What the statement does (None when it could not be analysed).
    pub analysis: Option<&'a Analysis>,
    /// What the other statements of the section did: rules see no other
    /// statement, so that lint stays linear in statements per file.
    pub facts: &'a SectionFacts,
    /// The schema as the migrations before this statement left it.
    pub model: &'a Model,
    /// Schemas exposed to API clients (none in a plain PostgreSQL project).
    pub exposed_schemas: &'a [String],
    /// `public` and the exposed schemas: where the migrations make the
    /// tables (see [`StatementContext::in_owned_schema`]).
    pub owned_schemas: &'a [String],
}

impl<'a> StatementContext<'a> {
    /// This statement's text.
    pub fn text(&self) -> &'a str {
        self.section
            .text
            .get(self.statement.span.clone())
            .unwrap_or_default()
    }

    /// What this statement does, effect by effect; nothing when it could not
    /// be analysed.
    pub fn effects(&self) -> impl Iterator<Item = &'a Effect> + use<'a> {
        self.analysis
            .into_iter()
            .flat_map(|analysis| &analysis.effects)
    }

    /// The effects of this statement when it is in an up section; nothing in
    /// a down section, which undoes a migration rather than changing a live
    /// schema.
    pub fn up_effects(&self) -> impl Iterator<Item = &'a Effect> + use<'a> {
        let up = !self.is_down;
        self.effects().filter(move |_| up)
    }

    /// The effects of this up-section statement on tables that existed
    /// before this migration, each with its table: what the rules about
    /// locking, rewriting and destroying live tables judge.
    pub fn up_effects_on_existing_tables(
        &self,
    ) -> impl Iterator<Item = (&'a Effect, &'a QualifiedName)> + use<'a, '_> {
        self.up_effects().filter_map(|effect| {
            let table = table_of(effect)?;
            self.is_existing_table(table).then_some((effect, table))
        })
    }

    /// The rows this up-section statement writes with `action` (`DELETE` or
    /// `UPDATE`) and no `WHERE`, in tables that existed before this migration.
    pub fn unfiltered_writes_to_existing_tables(
        &self,
        action: Action,
    ) -> impl Iterator<Item = (&'a Effect, &'a QualifiedName)> + use<'a, '_> {
        self.up_effects_on_existing_tables()
            .filter(move |(effect, _)| {
                effect.action == action
                    && matches!(&effect.details, EffectDetails::Write(write) if !write.has_where)
            })
    }

    /// The constraints this up-section statement adds to tables that existed
    /// before this migration, with their effect and table.
    pub fn constraints_added_to_existing_tables(
        &self,
    ) -> impl Iterator<Item = (&'a Effect, &'a QualifiedName, &'a ConstraintDetails)> + use<'a, '_>
    {
        self.up_effects_on_existing_tables()
            .filter_map(|(effect, table)| match (effect.action, &effect.details) {
                (Action::Create, EffectDetails::Constraint(constraint)) => {
                    Some((effect, table, constraint))
                }
                _ => None,
            })
    }

    /// The tables this statement creates (`CREATE TABLE`), with their details.
    pub fn tables_created(&self) -> impl Iterator<Item = (&'a Effect, &'a TableDetails)> + use<'a> {
        self.effects().filter_map(|effect| {
            match (effect.action, effect.object.kind, &effect.details) {
                (Action::Create, ObjectKind::Table, EffectDetails::Table(table)) => {
                    Some((effect, table))
                }
                _ => None,
            }
        })
    }

    /// The tables this statement defines column by column and keeps: those
    /// of [`StatementContext::tables_created`] but temporary ones, partitions
    /// (their parent has the columns) and `CREATE TABLE ... AS`. What the
    /// table conventions judge.
    pub fn tables_defined(&self) -> impl Iterator<Item = (&'a Effect, &'a TableDetails)> + use<'a> {
        self.tables_created().filter(|(_, table)| {
            !table.from_query
                && table.partition_of.is_none()
                && table.persistence != Persistence::Temporary
        })
    }

    /// The first effect of this statement that takes an ACCESS EXCLUSIVE lock
    /// on a table that existed before this migration, if any.
    pub fn exclusive_lock_on_existing_table(&self) -> Option<&'a Effect> {
        self.effects().find(|effect| {
            effect.lock == Some(Lock::AccessExclusive)
                && effect
                    .locked_relation()
                    .is_some_and(|relation| self.is_existing_table(relation))
        })
    }

    /// Whether `name` is in a schema whose tables the migrations make:
    /// `public` (where unqualified names go), an exposed schema, or one the
    /// migrations before this statement created. A table elsewhere may come
    /// from the platform (Supabase's `auth.users`) or from an extension, so
    /// its absence from the migrations says nothing.
    pub fn in_owned_schema(&self, name: &QualifiedName) -> bool {
        in_schemas(name, self.owned_schemas)
            || self
                .model
                .created_schema(name.schema.as_deref().unwrap_or("public"))
    }

    /// Whether `table` existed before this migration: locking or rewriting it
    /// then hurts live traffic. A table the migrations never created (made
    /// outside them) counts as existing; one created by this same migration
    /// does not.
    pub fn is_existing_table(&self, table: &QualifiedName) -> bool {
        self.model
            .table(table)
            .is_none_or(|table| !self.created_by_this_migration(table))
    }

    /// Whether this migration created `table`.
    pub fn created_by_this_migration(&self, table: &Table) -> bool {
        table.origin.version == self.migration.version
    }

    /// The type of `table.column` before this statement, when the migrations
    /// gave it (not for tables or columns made outside them).
    pub fn column_type(&self, table: &QualifiedName, column: &str) -> Option<&'a TypeRef> {
        self.model.table(table)?.types.get(column)
    }

    /// The columns this statement gives a type, with that type: those of a
    /// `CREATE TABLE` and of `ADD COLUMN`, and with `type_changes` those of
    /// `ALTER COLUMN ... TYPE` too. What the column-type conventions judge.
    pub fn typed_columns(&self, type_changes: bool) -> Vec<TypedColumn<'a>> {
        let mut columns = Vec::new();
        for effect in self.effects() {
            match &effect.details {
                EffectDetails::Table(table) => {
                    columns.extend(table.columns.iter().filter_map(|column| {
                        Some(TypedColumn {
                            name: &column.name,
                            type_name: column.type_name.as_ref()?,
                            effect: None,
                        })
                    }));
                }
                EffectDetails::Column(column) => {
                    columns.extend(column.type_name.iter().map(|type_name| TypedColumn {
                        name: &column.name,
                        type_name,
                        effect: Some(effect),
                    }));
                }
                EffectDetails::ColumnChange(ColumnChange::Type { type_name, .. })
                    if type_changes =>
                {
                    columns.push(TypedColumn {
                        name: &effect.object.name.name,
                        type_name,
                        effect: Some(effect),
                    });
                }
                _ => {}
            }
        }
        columns
    }
}

/// A column given a type by a statement.
pub(crate) struct TypedColumn<'a> {
    pub name: &'a str,
    pub type_name: &'a TypeRef,
    /// The effect about this column alone (`ADD COLUMN`, `ALTER COLUMN ...
    /// TYPE`); `None` for a column of a `CREATE TABLE`, whose effect is
    /// about the table.
    pub effect: Option<&'a Effect>,
}

/// The table an effect acts on: its object when that is a table, its parent
/// when the object is part of a table (a column, constraint, index, trigger,
/// policy or rewrite rule).
fn table_of(effect: &Effect) -> Option<&QualifiedName> {
    match effect.object.kind {
        ObjectKind::Table => Some(&effect.object.name),
        ObjectKind::Column
        | ObjectKind::Constraint
        | ObjectKind::Index
        | ObjectKind::Trigger
        | ObjectKind::Policy
        | ObjectKind::Rule => effect.object.parent.as_ref(),
        _ => None,
    }
}

/// What a schema rule sees: the schema left by all migrations.
pub(crate) struct SchemaContext<'a> {
    pub model: &'a Model,
    /// Schemas exposed to API clients (none in a plain PostgreSQL project).
    pub exposed_schemas: &'a [String],
}

/// Where a statement rule reports its findings on one statement.
pub(crate) struct StatementReport<'r> {
    rule: Rule,
    severity: Severity,
    section: &'r Section,
    positions: &'r PositionIndex<'r>,
    /// The statement's byte range in its section.
    statement: Range<usize>,
    out: &'r mut Vec<Diagnostic>,
}

impl<'r> StatementReport<'r> {
    pub fn new(
        rule: Rule,
        severity: Severity,
        section: &'r Section,
        positions: &'r PositionIndex<'r>,
        statement: Range<usize>,
        out: &'r mut Vec<Diagnostic>,
    ) -> Self {
        Self {
            rule,
            severity,
            section,
            positions,
            statement,
            out,
        }
    }

    /// Reports a finding at the name of `effect`'s object (the table,
    /// column, constraint... it is about) when the analysis located it, else
    /// at the whole statement.
    pub fn on(&mut self, effect: &Effect, message: impl Into<String>, help: impl Into<String>) {
        self.at(effect.location.as_ref(), message, help);
    }

    /// Reports a finding at `location`, a byte range of the statement's
    /// text, or at the whole statement without one.
    pub fn at(
        &mut self,
        location: Option<&Range<usize>>,
        message: impl Into<String>,
        help: impl Into<String>,
    ) {
        let span = span_in_statement(self.positions, &self.statement, location);
        self.out.push(
            Diagnostic::new(self.rule, self.severity, &self.section.file, message)
                .spanning(span)
                .help(help),
        );
    }
}

/// Where a schema rule reports its findings, each placed where the migrations
/// made the object it is about. A finding in a file whose `-- strata:allow`
/// silences the rule is dropped.
pub(crate) struct SchemaReport<'r> {
    rule: Rule,
    severity: Severity,
    /// The sections of each file, for their `-- strata:allow`.
    sections_of_file: &'r HashMap<&'r Path, Vec<&'r Section>>,
    out: &'r mut Vec<Diagnostic>,
}

impl<'r> SchemaReport<'r> {
    pub fn new(
        rule: Rule,
        severity: Severity,
        sections_of_file: &'r HashMap<&'r Path, Vec<&'r Section>>,
        out: &'r mut Vec<Diagnostic>,
    ) -> Self {
        Self {
            rule,
            severity,
            sections_of_file,
            out,
        }
    }

    /// Reports a finding at `origin`.
    pub fn at(&mut self, origin: &Origin, message: impl Into<String>, help: impl Into<String>) {
        let silenced = self
            .sections_of_file
            .get(origin.file.as_path())
            .is_some_and(|sections| sections.iter().any(|section| allows(section, self.rule)));
        if silenced {
            return;
        }
        self.out.push(
            Diagnostic::new(self.rule, self.severity, &origin.file, message)
                .spanning(origin.span)
                .help(help),
        );
    }
}

/// Where `location`, a byte range of the text of the statement at
/// `statement` in its section, is in the file; the whole statement without a
/// location.
pub(crate) fn span_in_statement(
    positions: &PositionIndex<'_>,
    statement: &Range<usize>,
    location: Option<&Range<usize>>,
) -> Span {
    let within = |offset: usize| statement.start.saturating_add(offset).min(statement.end);
    let (start, end) = location.map_or((statement.start, statement.end), |location| {
        (within(location.start), within(location.end))
    });
    Span::between(positions.position(start), positions.position(end))
}

/// Whether `-- strata:allow` silences `rule` (by name or family) in this section.
pub(crate) fn allows(section: &Section, rule: Rule) -> bool {
    section.directives.allows.iter().any(|allow| {
        allow
            .rules
            .iter()
            .any(|name| name == rule.name() || name == rule.family().name())
    })
}
