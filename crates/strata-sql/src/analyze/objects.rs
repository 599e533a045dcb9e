//! Statements about an object of any kind, named through PostgreSQL's
//! generic object nodes: `DROP`, `ALTER ... RENAME`, `COMMENT ON`, `ALTER
//! ... OWNER TO` and `ALTER ... SET SCHEMA`; and reading those nodes.

use std::ops::Range;

use pg_query::protobuf::node::Node;
use pg_query::protobuf::{self, DropBehavior, ObjectType};

use super::expr::{qualified, qualified_nodes, range_var, role_name, strings, type_ref};
use super::location::Sink;
use super::{
    Action, DropDetails, Effect, EffectDetails, Lock, ObjectKind, ObjectRef, QualifiedName,
};

/// `DROP` of any kind of object but a role: one effect per object.
pub(super) fn drop(stmt: &protobuf::DropStmt, out: &mut Sink<'_>) {
    let kind = object_kind(stmt.remove_type);
    let details = DropDetails {
        if_exists: stmt.missing_ok,
        cascade: stmt.behavior == DropBehavior::DropCascade as i32,
        concurrently: stmt.concurrent,
    };
    // Dropping a relation, or a trigger, policy or rule on one, takes ACCESS
    // EXCLUSIVE on it; DROP INDEX CONCURRENTLY takes SHARE UPDATE EXCLUSIVE.
    let lock = match kind {
        ObjectKind::Index if stmt.concurrent => Some(Lock::ShareUpdateExclusive),
        ObjectKind::Table
        | ObjectKind::Index
        | ObjectKind::View
        | ObjectKind::MaterializedView
        | ObjectKind::ForeignTable
        | ObjectKind::Sequence
        | ObjectKind::Trigger
        | ObjectKind::Policy
        | ObjectKind::Rule => Some(Lock::AccessExclusive),
        _ => None,
    };
    for node in &stmt.objects {
        if let Some(object) = object_ref(kind, node) {
            out.push(
                Effect::new(Action::Drop, object)
                    .lock_if(lock)
                    .at(out.object_at(node))
                    .details(EffectDetails::Drop(details)),
            );
        }
    }
}

/// `ALTER ... RENAME` of an object, or of a part of one: a table's column,
/// constraint, trigger, policy or rule, a composite type's attribute.
pub(super) fn rename(stmt: &protobuf::RenameStmt, out: &mut Sink<'_>) {
    let kind = object_kind(stmt.rename_type);
    let relation = stmt
        .relation
        .as_ref()
        .map(|relation| range_var(Some(relation)));
    // The parser locates the relation and type names, not `subname`.
    let mut at = None;
    let object = match (kind, relation) {
        (
            ObjectKind::Column
            | ObjectKind::Constraint
            | ObjectKind::Trigger
            | ObjectKind::Policy
            | ObjectKind::Rule,
            Some(table),
        ) => ObjectRef::within(kind, &stmt.subname, table),
        (ObjectKind::Column, None) => {
            // A composite type's attribute: ALTER TYPE t RENAME ATTRIBUTE.
            let parent = stmt
                .object
                .as_deref()
                .and_then(|object| object_ref(ObjectKind::Type, object));
            ObjectRef {
                kind,
                name: QualifiedName::bare(&stmt.subname),
                parent: parent.map(|parent| parent.name),
            }
        }
        (_, Some(relation)) => {
            at = out.relation_at(stmt.relation.as_ref());
            ObjectRef::new(kind, relation)
        }
        // Schemas, roles and the like are named by `subname`.
        (_, None) => match stmt.object.as_deref() {
            Some(object) => {
                let Some(found) = object_ref(kind, object) else {
                    return;
                };
                at = out.object_at(object);
                found
            }
            None => ObjectRef::new(kind, QualifiedName::bare(&stmt.subname)),
        },
    };
    // Renaming a relation, column, constraint, trigger, policy or rule takes
    // ACCESS EXCLUSIVE on the table; ALTER INDEX ... RENAME takes SHARE
    // UPDATE EXCLUSIVE since PostgreSQL 12.
    let lock = match kind {
        ObjectKind::Index => Some(Lock::ShareUpdateExclusive),
        ObjectKind::Column if object.parent.is_none() => None,
        ObjectKind::Table
        | ObjectKind::View
        | ObjectKind::MaterializedView
        | ObjectKind::ForeignTable
        | ObjectKind::Sequence
        | ObjectKind::Column
        | ObjectKind::Constraint
        | ObjectKind::Trigger
        | ObjectKind::Policy
        | ObjectKind::Rule => Some(Lock::AccessExclusive),
        _ => None,
    };
    out.push(
        Effect::new(Action::Rename, object)
            .lock_if(lock)
            .at(at)
            .details(EffectDetails::Rename(stmt.newname.clone())),
    );
}

/// `COMMENT ON`.
pub(super) fn comment(stmt: &protobuf::CommentStmt, out: &mut Sink<'_>) {
    let kind = object_kind(stmt.objtype);
    if let Some((object, at)) = stmt
        .object
        .as_deref()
        .and_then(|object| object_ref(kind, object).map(|found| (found, out.object_at(object))))
    {
        // CommentObject looks the object up with SHARE UPDATE EXCLUSIVE,
        // which for objects in a table locks the table.
        let lock = (kind.is_relation() || object.parent.is_some() || kind == ObjectKind::Column)
            .then_some(Lock::ShareUpdateExclusive);
        let text = (!stmt.comment.is_empty()).then(|| stmt.comment.clone());
        out.push(
            Effect::new(Action::Comment, object)
                .lock_if(lock)
                .at(at)
                .details(EffectDetails::Comment(text)),
        );
    }
}

/// `ALTER ... OWNER TO` of objects other than relations (for those it is an
/// `ALTER TABLE` subcommand).
pub(super) fn alter_owner(stmt: &protobuf::AlterOwnerStmt, out: &mut Sink<'_>) {
    let kind = object_kind(stmt.object_type);
    let object = relation_or_object(kind, stmt.relation.as_ref(), stmt.object.as_deref(), out);
    if let Some((object, at)) = object {
        let owner = stmt.newowner.as_ref().map(role_name).unwrap_or_default();
        let lock = kind.is_relation().then_some(Lock::AccessExclusive);
        out.push(
            Effect::new(Action::Alter, object)
                .lock_if(lock)
                .at(at)
                .details(EffectDetails::Owner(owner)),
        );
    }
}

/// `ALTER ... SET SCHEMA`.
pub(super) fn set_schema(stmt: &protobuf::AlterObjectSchemaStmt, out: &mut Sink<'_>) {
    let kind = object_kind(stmt.object_type);
    let object = relation_or_object(kind, stmt.relation.as_ref(), stmt.object.as_deref(), out);
    if let Some((object, at)) = object {
        let lock = kind.is_relation().then_some(Lock::AccessExclusive);
        out.push(
            Effect::new(Action::Alter, object)
                .lock_if(lock)
                .at(at)
                .details(EffectDetails::SetSchema(stmt.newschema.clone())),
        );
    }
}

/// The kind of object an `ObjectType` names.
pub(super) fn object_kind(objtype: i32) -> ObjectKind {
    match ObjectType::try_from(objtype).unwrap_or(ObjectType::Undefined) {
        ObjectType::ObjectTable => ObjectKind::Table,
        ObjectType::ObjectColumn => ObjectKind::Column,
        ObjectType::ObjectIndex => ObjectKind::Index,
        ObjectType::ObjectTabconstraint => ObjectKind::Constraint,
        ObjectType::ObjectView => ObjectKind::View,
        ObjectType::ObjectMatview => ObjectKind::MaterializedView,
        ObjectType::ObjectForeignTable => ObjectKind::ForeignTable,
        ObjectType::ObjectSequence => ObjectKind::Sequence,
        ObjectType::ObjectFunction | ObjectType::ObjectAggregate => ObjectKind::Function,
        ObjectType::ObjectProcedure => ObjectKind::Procedure,
        ObjectType::ObjectRoutine => ObjectKind::Routine,
        ObjectType::ObjectTrigger => ObjectKind::Trigger,
        ObjectType::ObjectPolicy => ObjectKind::Policy,
        ObjectType::ObjectRule => ObjectKind::Rule,
        ObjectType::ObjectType => ObjectKind::Type,
        ObjectType::ObjectDomain => ObjectKind::Domain,
        ObjectType::ObjectSchema => ObjectKind::Schema,
        ObjectType::ObjectExtension => ObjectKind::Extension,
        ObjectType::ObjectRole => ObjectKind::Role,
        ObjectType::ObjectDatabase => ObjectKind::Database,
        _ => ObjectKind::Other,
    }
}

/// The object an object node (of `DROP`, `COMMENT ON`, `ALTER ... OWNER`...)
/// names, for an object of `kind`.
pub(super) fn object_ref(kind: ObjectKind, node: &protobuf::Node) -> Option<ObjectRef> {
    let object = match node.node.as_ref()? {
        Node::List(list) => {
            let parts = strings(&list.items);
            match kind {
                // `name ON [schema.]table`, stored as [schema, table, name].
                ObjectKind::Trigger
                | ObjectKind::Policy
                | ObjectKind::Rule
                | ObjectKind::Constraint
                | ObjectKind::Column => {
                    let (name, table) = parts.split_last()?;
                    ObjectRef {
                        kind,
                        name: QualifiedName::bare(name),
                        parent: Some(qualified(table)),
                    }
                }
                _ => ObjectRef::new(kind, qualified(&parts)),
            }
        }
        Node::String(string) => ObjectRef::new(kind, QualifiedName::bare(&string.sval)),
        Node::TypeName(type_name) => {
            let type_ref = type_ref(type_name);
            ObjectRef::new(
                kind,
                QualifiedName::new(type_ref.schema.as_deref(), &type_ref.name),
            )
        }
        Node::ObjectWithArgs(function) => ObjectRef::new(kind, qualified_nodes(&function.objname)),
        Node::RangeVar(relation) => ObjectRef::new(kind, range_var(Some(relation))),
        _ => ObjectRef::new(kind, QualifiedName::bare("")),
    };
    Some(object)
}

/// The object of an `ALTER ... OWNER TO` / `SET SCHEMA`, and where it is
/// named: a relation when one is named, else the generic object node.
fn relation_or_object(
    kind: ObjectKind,
    relation: Option<&protobuf::RangeVar>,
    object: Option<&protobuf::Node>,
    out: &Sink<'_>,
) -> Option<(ObjectRef, Option<Range<usize>>)> {
    match (relation, object) {
        (Some(relation), _) => Some((
            ObjectRef::new(kind, range_var(Some(relation))),
            out.name_at(relation.location),
        )),
        (None, Some(object)) => Some((object_ref(kind, object)?, out.object_at(object))),
        (None, None) => None,
    }
}
