//! Reading and writing rows: `SELECT` (and `SELECT ... INTO`), `INSERT`,
//! `UPDATE`, `DELETE`, `MERGE`, `COPY ... FROM`, `TRUNCATE`, and `LOCK
//! TABLE`.

use pg_query::protobuf::node::Node;
use pg_query::protobuf::{self, DropBehavior};
use pg_query::{Context, NodeRef};

use super::expr::range_var;
use super::location::Sink;
use super::tables::persistence;
use super::{
    Action, Effect, EffectDetails, Lock, ObjectKind, ObjectRef, QualifiedName, TableDetails,
    TruncateDetails, WriteDetails,
};

/// `SELECT`: the tables it reads, and the table `SELECT ... INTO` creates.
pub(super) fn select(stmt: &protobuf::SelectStmt, node: &Node, out: &mut Sink<'_>) {
    if let Some(into) = stmt.into_clause.as_deref() {
        let details = TableDetails {
            from_query: true,
            persistence: persistence(into.rel.as_ref()),
            ..TableDetails::default()
        };
        out.push(
            Effect::new(
                Action::Create,
                ObjectRef::new(ObjectKind::Table, range_var(into.rel.as_ref())),
            )
            .at(out.relation_at(into.rel.as_ref()))
            .details(EffectDetails::Table(details)),
        );
    }
    let lock = if stmt.locking_clause.is_empty() {
        Lock::AccessShare
    } else {
        Lock::RowShare
    };
    reads(node, lock, out);
}

/// `INSERT`.
pub(super) fn insert(stmt: &protobuf::InsertStmt, node: &Node, out: &mut Sink<'_>) {
    let from_query = stmt.select_stmt.as_deref().is_some_and(|select| {
        matches!(select.node.as_ref(), Some(Node::SelectStmt(select)) if select.values_lists.is_empty())
    });
    let details = WriteDetails {
        on_conflict: stmt.on_conflict_clause.is_some(),
        from_query,
        ..WriteDetails::default()
    };
    write(Action::Insert, stmt.relation.as_ref(), details, out);
    reads(node, Lock::AccessShare, out);
}

/// `UPDATE`.
pub(super) fn update(stmt: &protobuf::UpdateStmt, node: &Node, out: &mut Sink<'_>) {
    let details = WriteDetails {
        has_where: stmt.where_clause.is_some(),
        ..WriteDetails::default()
    };
    write(Action::Update, stmt.relation.as_ref(), details, out);
    reads(node, Lock::AccessShare, out);
}

/// `DELETE`.
pub(super) fn delete(stmt: &protobuf::DeleteStmt, node: &Node, out: &mut Sink<'_>) {
    let details = WriteDetails {
        has_where: stmt.where_clause.is_some(),
        ..WriteDetails::default()
    };
    write(Action::Delete, stmt.relation.as_ref(), details, out);
    reads(node, Lock::AccessShare, out);
}

/// `MERGE`.
pub(super) fn merge(stmt: &protobuf::MergeStmt, node: &Node, out: &mut Sink<'_>) {
    write(
        Action::Merge,
        stmt.relation.as_ref(),
        WriteDetails::default(),
        out,
    );
    reads(node, Lock::AccessShare, out);
}

/// `COPY ... FROM`, which inserts; `COPY ... TO` is not modelled.
pub(super) fn copy(stmt: &protobuf::CopyStmt, out: &mut Sink<'_>) {
    if !stmt.is_from {
        return;
    }
    write(
        Action::Insert,
        stmt.relation.as_ref(),
        WriteDetails::default(),
        out,
    );
}

/// `TRUNCATE`.
pub(super) fn truncate(stmt: &protobuf::TruncateStmt, out: &mut Sink<'_>) {
    let details = TruncateDetails {
        cascade: stmt.behavior == DropBehavior::DropCascade as i32,
        restart_identity: stmt.restart_seqs,
    };
    for relation in &stmt.relations {
        if let Some(Node::RangeVar(relation)) = relation.node.as_ref() {
            out.push(
                Effect::new(
                    Action::Truncate,
                    ObjectRef::new(ObjectKind::Table, range_var(Some(relation))),
                )
                .lock(Lock::AccessExclusive)
                .at(out.name_at(relation.location))
                .details(EffectDetails::Truncate(details)),
            );
        }
    }
}

/// `LOCK TABLE`.
pub(super) fn lock(stmt: &protobuf::LockStmt, out: &mut Sink<'_>) {
    let lock = lock_mode(stmt.mode);
    for relation in &stmt.relations {
        if let Some(Node::RangeVar(relation)) = relation.node.as_ref() {
            out.push(
                Effect::new(
                    Action::Lock,
                    ObjectRef::new(ObjectKind::Table, range_var(Some(relation))),
                )
                .lock(lock)
                .at(out.name_at(relation.location)),
            );
        }
    }
}

/// `LOCK TABLE`'s mode number (PostgreSQL's `lockdefs.h`: 1 is ACCESS SHARE,
/// 8 is ACCESS EXCLUSIVE, the default).
fn lock_mode(mode: i32) -> Lock {
    usize::try_from(mode)
        .ok()
        .and_then(|mode| mode.checked_sub(1))
        .and_then(|index| Lock::ALL.get(index).copied())
        .unwrap_or(Lock::AccessExclusive)
}

/// The effect of a statement that writes rows of `relation`.
fn write(
    action: Action,
    relation: Option<&protobuf::RangeVar>,
    details: WriteDetails,
    out: &mut Sink<'_>,
) {
    out.push(
        Effect::new(
            action,
            ObjectRef::new(ObjectKind::Table, range_var(relation)),
        )
        .lock(Lock::RowExclusive)
        .at(out.relation_at(relation))
        .details(EffectDetails::Write(details)),
    );
}

/// Effects for the tables a statement's queries read (`FROM`, `JOIN`,
/// subqueries), each once, in the order PostgreSQL's tree lists them; names
/// of common table expressions are not tables.
pub(super) fn reads(node: &Node, lock: Lock, out: &mut Sink<'_>) {
    let all = node.nodes();
    let ctes: Vec<&str> = all
        .iter()
        .filter_map(|(node, ..)| match node {
            NodeRef::CommonTableExpr(cte) => Some(cte.ctename.as_str()),
            _ => None,
        })
        .collect();
    let mut seen: Vec<QualifiedName> = Vec::new();
    for (node, _, context, _) in &all {
        let NodeRef::RangeVar(relation) = node else {
            continue;
        };
        if *context != Context::Select
            || (relation.schemaname.is_empty() && ctes.contains(&relation.relname.as_str()))
        {
            continue;
        }
        let name = range_var(Some(relation));
        if !seen.contains(&name) {
            seen.push(name.clone());
            let at = out.name_at(relation.location);
            out.push(
                Effect::new(Action::Read, ObjectRef::new(ObjectKind::Table, name))
                    .lock(lock)
                    .at(at),
            );
        }
    }
}
