//! Tables: `CREATE TABLE` with its columns and constraints, and the
//! constraints and columns `ALTER TABLE` adds, which are read the same way.

use std::ops::Range;

use pg_query::protobuf::node::Node;
use pg_query::protobuf::{self, ConstrType};

use super::expr::{expression, range_var, strings, type_ref};
use super::indexes::index_element;
use super::location::Sink;
use super::{
    Action, ColumnDetails, ConstraintDetails, ConstraintKind, Effect, EffectDetails,
    ForeignKeyTarget, Lock, ObjectKind, ObjectRef, Persistence, QualifiedName, TableDetails,
    Volatility,
};

/// `CREATE TABLE`: the table, then the tables it locks by referring to
/// them (a partition's parent, inheritance parents, referenced tables).
pub(super) fn create_table(stmt: &protobuf::CreateStmt, out: &mut Sink<'_>) {
    let table = range_var(stmt.relation.as_ref());
    let mut details = TableDetails {
        if_not_exists: stmt.if_not_exists,
        partitioned: stmt.partspec.is_some(),
        persistence: persistence(stmt.relation.as_ref()),
        inherits: stmt
            .inh_relations
            .iter()
            .filter_map(|parent| match parent.node.as_ref() {
                Some(Node::RangeVar(parent)) => Some(range_var(Some(parent))),
                _ => None,
            })
            .collect(),
        ..TableDetails::default()
    };
    let mut parents: Vec<&protobuf::RangeVar> = stmt
        .inh_relations
        .iter()
        .filter_map(|parent| match parent.node.as_ref() {
            Some(Node::RangeVar(parent)) => Some(parent),
            _ => None,
        })
        .collect();
    let partition_of = if stmt.partbound.is_some() {
        details.partition_of = details.inherits.pop();
        parents.pop()
    } else {
        None
    };
    // The tables foreign keys reference, with where they are named.
    let mut references = Vec::new();
    for element in &stmt.table_elts {
        match element.node.as_ref() {
            Some(Node::ColumnDef(column)) => {
                let (column, constraints) = column_def(column);
                for (constraint, node) in constraints {
                    references.extend(referenced_table(&constraint, node, out));
                    details.constraints.push(constraint);
                }
                details.columns.push(column);
            }
            Some(Node::Constraint(node)) => {
                if let Some(constraint) = constraint_details(node, None) {
                    references.extend(referenced_table(&constraint, node, out));
                    details.constraints.push(constraint);
                }
            }
            _ => {}
        }
    }
    details.has_primary_key = details
        .constraints
        .iter()
        .any(|constraint| constraint.kind == ConstraintKind::PrimaryKey);
    out.push(
        Effect::new(
            Action::Create,
            ObjectRef::new(ObjectKind::Table, table.clone()),
        )
        .at(out.relation_at(stmt.relation.as_ref()))
        .details(EffectDetails::Table(details)),
    );
    // A new partition takes ACCESS EXCLUSIVE on its parent; inheritance
    // parents are opened with SHARE UPDATE EXCLUSIVE (MergeAttributes).
    if let Some(parent) = partition_of {
        out.push(
            Effect::new(
                Action::Reference,
                ObjectRef::new(ObjectKind::Table, range_var(Some(parent))),
            )
            .lock(Lock::AccessExclusive)
            .at(out.name_at(parent.location)),
        );
    }
    for parent in parents {
        out.push(
            Effect::new(
                Action::Reference,
                ObjectRef::new(ObjectKind::Table, range_var(Some(parent))),
            )
            .lock(Lock::ShareUpdateExclusive)
            .at(out.name_at(parent.location)),
        );
    }
    // Foreign keys add triggers to the referenced table, under SHARE ROW
    // EXCLUSIVE; a reference to the table itself needs no second lock.
    for (referenced, at) in references {
        if referenced != table {
            out.push(
                Effect::new(
                    Action::Reference,
                    ObjectRef::new(ObjectKind::Table, referenced),
                )
                .lock(Lock::ShareRowExclusive)
                .at(at),
            );
        }
    }
}

/// The table a foreign key references, and where it is named.
fn referenced_table(
    constraint: &ConstraintDetails,
    node: &protobuf::Constraint,
    out: &Sink<'_>,
) -> Option<(QualifiedName, Option<Range<usize>>)> {
    let target = constraint.references.as_ref()?;
    Some((target.table.clone(), out.relation_at(node.pktable.as_ref())))
}

/// A column definition, and the constraints written in it (other than
/// `NULL`, `NOT NULL`, `DEFAULT`, identity and generation, which are on the
/// column).
pub(super) fn column_def(
    column: &protobuf::ColumnDef,
) -> (
    ColumnDetails,
    Vec<(ConstraintDetails, &protobuf::Constraint)>,
) {
    let type_name = column.type_name.as_ref().map(type_ref);
    let mut details = ColumnDetails {
        name: column.colname.clone(),
        not_null: column.is_not_null,
        identity: !column.identity.is_empty(),
        default: column.raw_default.as_deref().map(expression),
        ..ColumnDetails::default()
    };
    let mut constraints = Vec::new();
    for constraint in &column.constraints {
        let Some(Node::Constraint(constraint)) = constraint.node.as_ref() else {
            continue;
        };
        match ConstrType::try_from(constraint.contype).unwrap_or(ConstrType::Undefined) {
            ConstrType::ConstrNotnull => details.not_null = true,
            ConstrType::ConstrDefault => {
                details.default = constraint.raw_expr.as_deref().map(expression);
            }
            ConstrType::ConstrIdentity => details.identity = true,
            ConstrType::ConstrGenerated => {
                details.generated = constraint.raw_expr.as_deref().map(expression);
            }
            ConstrType::ConstrPrimary => {
                details.primary_key = true;
                details.not_null = true;
            }
            ConstrType::ConstrUnique => details.unique = true,
            _ => {}
        }
        if let Some(written) = constraint_details(constraint, Some(&column.colname)) {
            if details.references.is_none() {
                details.references.clone_from(&written.references);
            }
            constraints.push((written, &**constraint));
        }
    }
    let serial = type_name.as_ref().is_some_and(|type_name| {
        type_name.schema.is_none()
            && matches!(
                type_name.name.as_str(),
                "serial" | "serial4" | "bigserial" | "serial8" | "smallserial" | "serial2"
            )
    });
    details.default_volatility = if serial || details.identity {
        Some(Volatility::Volatile)
    } else {
        details.default.as_ref().map(|default| default.volatility)
    };
    details.type_name = type_name;
    (details, constraints)
}

/// A constraint's details, or `None` for the kinds that are column
/// properties rather than constraints.
pub(super) fn constraint_details(
    constraint: &protobuf::Constraint,
    column: Option<&str>,
) -> Option<ConstraintDetails> {
    let kind = match ConstrType::try_from(constraint.contype).unwrap_or(ConstrType::Undefined) {
        ConstrType::ConstrCheck => ConstraintKind::Check,
        ConstrType::ConstrForeign => ConstraintKind::ForeignKey,
        ConstrType::ConstrUnique => ConstraintKind::Unique,
        ConstrType::ConstrPrimary => ConstraintKind::PrimaryKey,
        ConstrType::ConstrExclusion => ConstraintKind::Exclusion,
        // A NOT NULL with a name or on its own in the table's list is a
        // table constraint in PostgreSQL 18; in a column it stays a property.
        ConstrType::ConstrNotnull if column.is_none() => ConstraintKind::NotNull,
        _ => return None,
    };
    let mut columns = match kind {
        ConstraintKind::ForeignKey => strings(&constraint.fk_attrs),
        ConstraintKind::Exclusion => constraint
            .exclusions
            .iter()
            .filter_map(|exclusion| match exclusion.node.as_ref() {
                Some(Node::List(pair)) => match pair.items.first()?.node.as_ref()? {
                    Node::IndexElem(element) => Some(index_element(element)),
                    _ => None,
                },
                _ => None,
            })
            .collect(),
        _ => strings(&constraint.keys),
    };
    if columns.is_empty()
        && let Some(column) = column
    {
        columns.push(column.to_owned());
    }
    let references = (kind == ConstraintKind::ForeignKey).then(|| ForeignKeyTarget {
        table: range_var(constraint.pktable.as_ref()),
        columns: strings(&constraint.pk_attrs),
        on_delete: fk_action(&constraint.fk_del_action),
        on_update: fk_action(&constraint.fk_upd_action),
    });
    Some(ConstraintDetails {
        name: (!constraint.conname.is_empty()).then(|| constraint.conname.clone()),
        kind,
        columns,
        not_valid: constraint.skip_validation,
        references,
        using_index: (!constraint.indexname.is_empty()).then(|| constraint.indexname.clone()),
        expression: (kind == ConstraintKind::Check)
            .then(|| constraint.raw_expr.as_deref().map(expression))
            .flatten(),
        deferrable: constraint.deferrable,
    })
}

/// A foreign key action code (`fk_del_action`) as SQL names it; `None` for
/// the default, `NO ACTION`.
fn fk_action(code: &str) -> Option<&'static str> {
    match code {
        "r" => Some("restrict"),
        "c" => Some("cascade"),
        "n" => Some("set null"),
        "d" => Some("set default"),
        _ => None,
    }
}

/// The lock, scan and extra effects of adding `constraint` to `table`.
pub(super) fn add_constraint(
    table: &QualifiedName,
    details: ConstraintDetails,
    node: &protobuf::Constraint,
    out: &mut Sink<'_>,
) {
    let (lock, scans) = match details.kind {
        // Foreign keys add triggers to both tables, so they need at least
        // CREATE TRIGGER's SHARE ROW EXCLUSIVE, on both.
        ConstraintKind::ForeignKey => (Lock::ShareRowExclusive, !details.not_valid),
        ConstraintKind::Check => (Lock::AccessExclusive, !details.not_valid),
        // Building the index reads the table; USING INDEX reuses one, but a
        // primary key still sets its columns NOT NULL, which may scan.
        ConstraintKind::Unique => (Lock::AccessExclusive, details.using_index.is_none()),
        ConstraintKind::PrimaryKey | ConstraintKind::Exclusion | ConstraintKind::NotNull => {
            (Lock::AccessExclusive, true)
        }
        ConstraintKind::Unknown => (Lock::AccessExclusive, false),
    };
    let referenced = details
        .references
        .as_ref()
        .map(|target| target.table.clone())
        .filter(|referenced| referenced != table);
    let name = details.name.clone().unwrap_or_default();
    out.push(
        Effect::new(
            Action::Create,
            ObjectRef::within(ObjectKind::Constraint, &name, table.clone()),
        )
        .lock(lock)
        .scans(scans)
        .at(out.constraint_name_at(node.location))
        .details(EffectDetails::Constraint(details)),
    );
    if let Some(referenced) = referenced {
        out.push(
            Effect::new(
                Action::Reference,
                ObjectRef::new(ObjectKind::Table, referenced),
            )
            .lock(Lock::ShareRowExclusive)
            .scans(scans)
            .at(out.relation_at(node.pktable.as_ref())),
        );
    }
}

/// Whether a new table is unlogged or temporary, from its `RangeVar`.
pub(super) fn persistence(relation: Option<&protobuf::RangeVar>) -> Persistence {
    match relation.map(|relation| relation.relpersistence.as_str()) {
        Some("u") => Persistence::Unlogged,
        Some("t") => Persistence::Temporary,
        _ => Persistence::Permanent,
    }
}
