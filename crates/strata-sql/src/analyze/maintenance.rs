//! Maintenance: `VACUUM`, `ANALYZE`, `CLUSTER`, `REINDEX` and `REFRESH
//! MATERIALIZED VIEW`.

use pg_query::protobuf::node::Node;
use pg_query::protobuf::{self, ReindexObjectType};

use super::expr::{def_elems, option_bool, range_var};
use super::location::Sink;
use super::{
    Action, Effect, EffectDetails, Lock, MaintenanceDetails, ObjectKind, ObjectRef, QualifiedName,
    RefreshDetails,
};

/// `VACUUM` and `ANALYZE`: one effect per table, or one on the database.
pub(super) fn vacuum(stmt: &protobuf::VacuumStmt, out: &mut Sink<'_>) {
    let mut details = MaintenanceDetails {
        analyze: !stmt.is_vacuumcmd,
        ..MaintenanceDetails::default()
    };
    for option in def_elems(&stmt.options) {
        let on = option_bool(option.arg.as_deref()) != Some(false);
        match option.defname.as_str() {
            "full" => details.full = on,
            "analyze" => details.analyze = on,
            _ => {}
        }
    }
    let (action, lock) = if !stmt.is_vacuumcmd {
        (Action::Analyze, Lock::ShareUpdateExclusive)
    } else if details.full {
        (Action::Vacuum, Lock::AccessExclusive)
    } else {
        (Action::Vacuum, Lock::ShareUpdateExclusive)
    };
    let rewrites = stmt.is_vacuumcmd && details.full;
    let effect = |object| {
        Effect::new(action, object)
            .lock(lock)
            .rewrites(rewrites)
            .details(EffectDetails::Maintenance(details))
    };
    let mut any = false;
    for relation in &stmt.rels {
        if let Some(Node::VacuumRelation(relation)) = relation.node.as_ref() {
            any = true;
            let at = out.relation_at(relation.relation.as_ref());
            out.push(
                effect(ObjectRef::new(
                    ObjectKind::Table,
                    range_var(relation.relation.as_ref()),
                ))
                .at(at),
            );
        }
    }
    if !any {
        out.push(effect(ObjectRef::new(
            ObjectKind::Database,
            QualifiedName::bare(""),
        )));
    }
}

/// `CLUSTER`, which rewrites the table.
pub(super) fn cluster(stmt: &protobuf::ClusterStmt, out: &mut Sink<'_>) {
    let object = match &stmt.relation {
        Some(relation) => ObjectRef::new(ObjectKind::Table, range_var(Some(relation))),
        None => ObjectRef::new(ObjectKind::Database, QualifiedName::bare("")),
    };
    out.push(
        Effect::new(Action::Cluster, object)
            .lock(Lock::AccessExclusive)
            .at(out.relation_at(stmt.relation.as_ref()))
            .rewrites(true)
            .details(EffectDetails::Maintenance(MaintenanceDetails::default())),
    );
}

/// `REINDEX`.
pub(super) fn reindex(stmt: &protobuf::ReindexStmt, out: &mut Sink<'_>) {
    let concurrently = def_elems(&stmt.params).any(|option| {
        option.defname == "concurrently" && option_bool(option.arg.as_deref()) != Some(false)
    });
    let kind = ReindexObjectType::try_from(stmt.kind).unwrap_or(ReindexObjectType::Undefined);
    // REINDEX takes SHARE on the table and ACCESS EXCLUSIVE on each
    // index it rebuilds (which blocks queries the planner would let
    // use it); CONCURRENTLY takes SHARE UPDATE EXCLUSIVE on both.
    let (object, lock) = match kind {
        ReindexObjectType::ReindexObjectIndex => (
            ObjectRef::new(ObjectKind::Index, range_var(stmt.relation.as_ref())),
            Lock::AccessExclusive,
        ),
        ReindexObjectType::ReindexObjectTable => (
            ObjectRef::new(ObjectKind::Table, range_var(stmt.relation.as_ref())),
            Lock::Share,
        ),
        ReindexObjectType::ReindexObjectSchema => (
            ObjectRef::new(ObjectKind::Schema, QualifiedName::bare(&stmt.name)),
            Lock::Share,
        ),
        _ => (
            ObjectRef::new(ObjectKind::Database, QualifiedName::bare(&stmt.name)),
            Lock::Share,
        ),
    };
    let lock = if concurrently {
        Lock::ShareUpdateExclusive
    } else {
        lock
    };
    let at = match kind {
        ReindexObjectType::ReindexObjectIndex | ReindexObjectType::ReindexObjectTable => {
            out.relation_at(stmt.relation.as_ref())
        }
        _ => None,
    };
    out.push(
        Effect::new(Action::Reindex, object)
            .lock(lock)
            .at(at)
            .details(EffectDetails::Maintenance(MaintenanceDetails {
                concurrently,
                ..MaintenanceDetails::default()
            })),
    );
}

/// `REFRESH MATERIALIZED VIEW`.
pub(super) fn refresh(stmt: &protobuf::RefreshMatViewStmt, out: &mut Sink<'_>) {
    let (lock, details) = (
        if stmt.concurrent {
            Lock::Exclusive
        } else {
            Lock::AccessExclusive
        },
        RefreshDetails {
            concurrently: stmt.concurrent,
            with_data: !stmt.skip_data,
        },
    );
    out.push(
        Effect::new(
            Action::Refresh,
            ObjectRef::new(
                ObjectKind::MaterializedView,
                range_var(stmt.relation.as_ref()),
            ),
        )
        .lock(lock)
        .at(out.relation_at(stmt.relation.as_ref()))
        .details(EffectDetails::Refresh(details)),
    );
}
