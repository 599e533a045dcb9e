//! From one statement's parse tree to its effects.
//!
//! Lock levels follow PostgreSQL's `AlterTableGetLockLevel` (tablecmds.c) for
//! `ALTER TABLE` subcommands and the lock each command's implementation
//! takes otherwise; the comments name the exceptions.

use pg_query::protobuf::node::Node;
use pg_query::protobuf::{
    self, AlterTableType as At, ConstrType, DropBehavior, GrantTargetType, ObjectType,
    ReindexObjectType, RoleSpecType, ViewCheckOption,
};
use pg_query::{Context, NodeRef};
use std::ops::Range;

use super::expr::{
    expression, option_bool, option_value, qualified, qualified_nodes, range_var, string, strings,
    type_ref,
};
use super::location::Sink;
use super::{
    Action, ColumnChange, ColumnDetails, ConstraintDetails, ConstraintKind, CreateDetails,
    DropDetails, Effect, EffectDetails, EnumValueDetails, ExtensionDetails, ForeignKeyTarget,
    FunctionDetails, GrantDetails, GrantTarget, IndexDetails, Lock, MaintenanceDetails, ObjectKind,
    ObjectRef, PartitionDetails, Persistence, PolicyDetails, QualifiedName, RefreshDetails,
    TableChange, TableDetails, TriggerDetails, TriggerState, TruncateDetails, TypeDetails,
    ViewDetails, Volatility, WriteDetails,
};

/// Appends the effects of one top-level statement to `out`.
pub(super) fn effects(node: &Node, out: &mut Sink<'_>) {
    match node {
        Node::CreateStmt(stmt) => create_table(stmt, out),
        Node::AlterTableStmt(stmt) => alter_table(stmt, out),
        Node::IndexStmt(stmt) => out.push(create_index(stmt)),
        Node::DropStmt(stmt) => drop(stmt, out),
        Node::RenameStmt(stmt) => rename(stmt, out),
        Node::CreatePolicyStmt(stmt) => {
            let table = range_var(stmt.table.as_ref());
            let details = PolicyDetails {
                command: Some(stmt.cmd_name.clone()),
                permissive: stmt.permissive,
                roles: roles(&stmt.roles),
                using: stmt.qual.as_deref().map(expression),
                with_check: stmt.with_check.as_deref().map(expression),
            };
            out.push(
                Effect::new(
                    Action::Create,
                    ObjectRef::within(ObjectKind::Policy, &stmt.policy_name, table),
                )
                .lock(Lock::AccessExclusive)
                .details(EffectDetails::Policy(details)),
            );
        }
        Node::AlterPolicyStmt(stmt) => {
            let table = range_var(stmt.table.as_ref());
            let details = PolicyDetails {
                command: None,
                permissive: true,
                roles: roles(&stmt.roles),
                using: stmt.qual.as_deref().map(expression),
                with_check: stmt.with_check.as_deref().map(expression),
            };
            out.push(
                Effect::new(
                    Action::Alter,
                    ObjectRef::within(ObjectKind::Policy, &stmt.policy_name, table),
                )
                .lock(Lock::AccessExclusive)
                .details(EffectDetails::Policy(details)),
            );
        }
        Node::ViewStmt(stmt) => {
            let mut details = ViewDetails {
                or_replace: stmt.replace,
                with_data: true,
                check_option: match ViewCheckOption::try_from(stmt.with_check_option) {
                    Ok(ViewCheckOption::LocalCheckOption) => Some("local"),
                    Ok(ViewCheckOption::CascadedCheckOption) => Some("cascaded"),
                    _ => None,
                },
                ..ViewDetails::default()
            };
            view_options(&stmt.options, &mut details);
            let view = ObjectRef::new(ObjectKind::View, range_var(stmt.view.as_ref()));
            // Replacing an existing view takes ACCESS EXCLUSIVE on it; whether
            // it exists is unknown here, so OR REPLACE is assumed to replace.
            let (action, lock) = if stmt.replace {
                (Action::Alter, Some(Lock::AccessExclusive))
            } else {
                (Action::Create, None)
            };
            out.push(
                Effect::new(action, view)
                    .lock_if(lock)
                    .at(located(out, stmt.view.as_ref()))
                    .details(EffectDetails::View(details)),
            );
            reads(node, Lock::AccessShare, out);
        }
        Node::CreateTableAsStmt(stmt) => {
            let into = stmt.into.as_deref();
            let name = range_var(into.and_then(|into| into.rel.as_ref()));
            let with_data = into.is_none_or(|into| !into.skip_data);
            let effect = if stmt.objtype == ObjectType::ObjectMatview as i32 {
                let mut details = ViewDetails {
                    if_not_exists: stmt.if_not_exists,
                    with_data,
                    ..ViewDetails::default()
                };
                if let Some(into) = into {
                    view_options(&into.options, &mut details);
                }
                Effect::new(
                    Action::Create,
                    ObjectRef::new(ObjectKind::MaterializedView, name),
                )
                .details(EffectDetails::View(details))
            } else {
                let details = TableDetails {
                    if_not_exists: stmt.if_not_exists,
                    from_query: true,
                    persistence: persistence(into.and_then(|into| into.rel.as_ref())),
                    ..TableDetails::default()
                };
                Effect::new(Action::Create, ObjectRef::new(ObjectKind::Table, name))
                    .details(EffectDetails::Table(details))
            };
            out.push(effect.at(located(out, into.and_then(|into| into.rel.as_ref()))));
            reads(node, Lock::AccessShare, out);
        }
        Node::RefreshMatViewStmt(stmt) => {
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
                .at(located(out, stmt.relation.as_ref()))
                .details(EffectDetails::Refresh(details)),
            );
        }
        Node::CreateFunctionStmt(stmt) => {
            let kind = if stmt.is_procedure {
                ObjectKind::Procedure
            } else {
                ObjectKind::Function
            };
            let mut details = FunctionDetails {
                or_replace: stmt.replace,
                arguments: stmt
                    .parameters
                    .iter()
                    .filter_map(|parameter| match parameter.node.as_ref() {
                        Some(Node::FunctionParameter(parameter)) => {
                            let mode = protobuf::FunctionParameterMode::try_from(parameter.mode);
                            let input = !matches!(
                                mode,
                                Ok(protobuf::FunctionParameterMode::FuncParamOut
                                    | protobuf::FunctionParameterMode::FuncParamTable)
                            );
                            input
                                .then(|| parameter.arg_type.as_ref().map(type_ref))
                                .flatten()
                                .map(|type_ref| type_ref.to_string())
                        }
                        _ => None,
                    })
                    .collect(),
                ..FunctionDetails::default()
            };
            function_options(&stmt.options, &mut details);
            out.push(
                Effect::new(
                    Action::Create,
                    ObjectRef::new(kind, qualified_nodes(&stmt.funcname)),
                )
                .details(EffectDetails::Function(details)),
            );
        }
        Node::AlterFunctionStmt(stmt) => {
            let kind = object_kind(stmt.objtype);
            let mut details = FunctionDetails::default();
            function_options(&stmt.actions, &mut details);
            let name = stmt.func.as_ref().map_or_else(
                || QualifiedName::bare(""),
                |func| qualified_nodes(&func.objname),
            );
            out.push(
                Effect::new(Action::Alter, ObjectRef::new(kind, name))
                    .details(EffectDetails::Function(details)),
            );
        }
        Node::CreateTrigStmt(stmt) => out.push(create_trigger(stmt)),
        Node::RuleStmt(stmt) => {
            let table = range_var(stmt.relation.as_ref());
            out.push(
                Effect::new(
                    Action::Create,
                    ObjectRef::within(ObjectKind::Rule, &stmt.rulename, table),
                )
                .lock(Lock::AccessExclusive)
                .details(EffectDetails::Create(CreateDetails {
                    or_replace: stmt.replace,
                    ..CreateDetails::default()
                })),
            );
        }
        Node::CreateEnumStmt(stmt) => out.push(
            Effect::new(
                Action::Create,
                ObjectRef::new(ObjectKind::Type, qualified_nodes(&stmt.type_name)),
            )
            .details(EffectDetails::Type(TypeDetails::Enum {
                values: strings(&stmt.vals),
            })),
        ),
        Node::CompositeTypeStmt(stmt) => {
            let attributes = stmt
                .coldeflist
                .iter()
                .filter_map(|column| match column.node.as_ref() {
                    Some(Node::ColumnDef(column)) => Some((
                        column.colname.clone(),
                        column.type_name.as_ref().map(type_ref),
                    )),
                    _ => None,
                })
                .collect();
            out.push(
                Effect::new(
                    Action::Create,
                    ObjectRef::new(ObjectKind::Type, range_var(stmt.typevar.as_ref())),
                )
                .at(located(out, stmt.typevar.as_ref()))
                .details(EffectDetails::Type(TypeDetails::Composite { attributes })),
            );
        }
        Node::CreateRangeStmt(stmt) => out.push(
            Effect::new(
                Action::Create,
                ObjectRef::new(ObjectKind::Type, qualified_nodes(&stmt.type_name)),
            )
            .details(EffectDetails::Type(TypeDetails::Range)),
        ),
        Node::CreateDomainStmt(stmt) => out.push(
            Effect::new(
                Action::Create,
                ObjectRef::new(ObjectKind::Domain, qualified_nodes(&stmt.domainname)),
            )
            .details(EffectDetails::Type(TypeDetails::Domain {
                base: stmt.type_name.as_ref().map(type_ref),
            })),
        ),
        Node::DefineStmt(stmt) if stmt.kind == ObjectType::ObjectType as i32 => out.push(
            Effect::new(
                Action::Create,
                ObjectRef::new(ObjectKind::Type, qualified_nodes(&stmt.defnames)),
            )
            .details(EffectDetails::Type(TypeDetails::Base)),
        ),
        Node::AlterEnumStmt(stmt) => {
            let enum_type = qualified_nodes(&stmt.type_name);
            let neighbor =
                (!stmt.new_val_neighbor.is_empty()).then(|| stmt.new_val_neighbor.clone());
            let effect = if stmt.old_val.is_empty() {
                let details = EnumValueDetails {
                    if_not_exists: stmt.skip_if_new_val_exists,
                    before: neighbor.clone().filter(|_| !stmt.new_val_is_after),
                    after: neighbor.filter(|_| stmt.new_val_is_after),
                };
                Effect::new(
                    Action::Create,
                    ObjectRef::within(ObjectKind::EnumValue, &stmt.new_val, enum_type),
                )
                .details(EffectDetails::EnumValue(details))
            } else {
                Effect::new(
                    Action::Rename,
                    ObjectRef::within(ObjectKind::EnumValue, &stmt.old_val, enum_type),
                )
                .details(EffectDetails::Rename(stmt.new_val.clone()))
            };
            out.push(effect);
        }
        Node::CreateSchemaStmt(stmt) => {
            let name = if stmt.schemaname.is_empty() {
                stmt.authrole.as_ref().map(role_name).unwrap_or_default()
            } else {
                stmt.schemaname.clone()
            };
            out.push(
                Effect::new(
                    Action::Create,
                    ObjectRef::new(ObjectKind::Schema, QualifiedName::bare(&name)),
                )
                .details(EffectDetails::Create(CreateDetails {
                    if_not_exists: stmt.if_not_exists,
                    ..CreateDetails::default()
                })),
            );
            for element in &stmt.schema_elts {
                if let Some(element) = element.node.as_ref() {
                    effects(element, out);
                }
            }
        }
        Node::CreateExtensionStmt(stmt) => {
            let mut details = ExtensionDetails {
                if_not_exists: stmt.if_not_exists,
                ..ExtensionDetails::default()
            };
            for option in def_elems(&stmt.options) {
                let value = option_value(option.arg.as_deref());
                match option.defname.as_str() {
                    "schema" => details.schema = value,
                    "new_version" => details.version = value,
                    "cascade" => details.cascade = option_bool(option.arg.as_deref()) == Some(true),
                    _ => {}
                }
            }
            out.push(
                Effect::new(
                    Action::Create,
                    ObjectRef::new(ObjectKind::Extension, QualifiedName::bare(&stmt.extname)),
                )
                .details(EffectDetails::Extension(details)),
            );
        }
        Node::CreateSeqStmt(stmt) => out.push(
            Effect::new(
                Action::Create,
                ObjectRef::new(ObjectKind::Sequence, range_var(stmt.sequence.as_ref())),
            )
            .at(located(out, stmt.sequence.as_ref()))
            .details(EffectDetails::Create(CreateDetails {
                if_not_exists: stmt.if_not_exists,
                ..CreateDetails::default()
            })),
        ),
        // AlterSequence opens the sequence with SHARE ROW EXCLUSIVE.
        Node::AlterSeqStmt(stmt) => out.push(
            Effect::new(
                Action::Alter,
                ObjectRef::new(ObjectKind::Sequence, range_var(stmt.sequence.as_ref())),
            )
            .lock(Lock::ShareRowExclusive)
            .at(located(out, stmt.sequence.as_ref())),
        ),
        Node::CreateRoleStmt(stmt) => out.push(Effect::new(
            Action::Create,
            ObjectRef::new(ObjectKind::Role, QualifiedName::bare(&stmt.role)),
        )),
        Node::AlterRoleStmt(stmt) => out.push(
            Effect::new(
                Action::Alter,
                ObjectRef::new(
                    ObjectKind::Role,
                    QualifiedName::bare(&stmt.role.as_ref().map(role_name).unwrap_or_default()),
                ),
            )
            .at(stmt
                .role
                .as_ref()
                .and_then(|role| out.name_at(role.location))),
        ),
        Node::DropRoleStmt(stmt) => {
            for role in &stmt.roles {
                if let Some(Node::RoleSpec(role)) = role.node.as_ref() {
                    out.push(
                        Effect::new(
                            Action::Drop,
                            ObjectRef::new(ObjectKind::Role, QualifiedName::bare(&role_name(role))),
                        )
                        .at(out.name_at(role.location))
                        .details(EffectDetails::Drop(DropDetails {
                            if_exists: stmt.missing_ok,
                            ..DropDetails::default()
                        })),
                    );
                }
            }
        }
        Node::GrantStmt(stmt) => grant(stmt, false, out),
        Node::AlterDefaultPrivilegesStmt(stmt) => {
            if let Some(action) = &stmt.action {
                let schemas: Vec<String> = def_elems(&stmt.options)
                    .filter(|option| option.defname == "schemas")
                    .flat_map(|option| {
                        match option.arg.as_deref().and_then(|arg| arg.node.as_ref()) {
                            Some(Node::List(list)) => strings(&list.items),
                            _ => Vec::new(),
                        }
                    })
                    .collect();
                let mut granted = out.scratch();
                grant(action, true, &mut granted);
                if let Some(template) = granted.effects().first() {
                    if schemas.is_empty() {
                        let mut effect = template.clone();
                        effect.object =
                            ObjectRef::new(ObjectKind::Database, QualifiedName::bare(""));
                        out.push(effect);
                    }
                    for schema in schemas {
                        let mut effect = template.clone();
                        effect.object =
                            ObjectRef::new(ObjectKind::Schema, QualifiedName::bare(&schema));
                        out.push(effect);
                    }
                }
            }
        }
        Node::GrantRoleStmt(stmt) => {
            let details = GrantDetails {
                target: GrantTarget::RoleMembership,
                object_kind: Some(ObjectKind::Role),
                grantees: roles(&stmt.grantee_roles),
                with_grant_option: def_elems(&stmt.opt).any(|option| option.defname == "admin"),
                cascade: stmt.behavior == DropBehavior::DropCascade as i32,
                ..GrantDetails::default()
            };
            let action = if stmt.is_grant {
                Action::Grant
            } else {
                Action::Revoke
            };
            for role in &stmt.granted_roles {
                let name = match role.node.as_ref() {
                    Some(Node::AccessPriv(privilege)) => privilege.priv_name.clone(),
                    Some(Node::RoleSpec(role)) => role_name(role),
                    _ => continue,
                };
                out.push(
                    Effect::new(
                        action,
                        ObjectRef::new(ObjectKind::Role, QualifiedName::bare(&name)),
                    )
                    .details(EffectDetails::Grant(details.clone())),
                );
            }
        }
        Node::CommentStmt(stmt) => {
            let kind = object_kind(stmt.objtype);
            if let Some((object, at)) = stmt.object.as_deref().and_then(|object| {
                object_ref(kind, object).map(|found| (found, node_location(out, object)))
            }) {
                // CommentObject looks the object up with SHARE UPDATE EXCLUSIVE,
                // which for objects in a table locks the table.
                let lock =
                    (kind.is_relation() || object.parent.is_some() || kind == ObjectKind::Column)
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
        Node::AlterOwnerStmt(stmt) => {
            let kind = object_kind(stmt.object_type);
            let object = relation_or_object(kind, stmt.relation.as_ref(), stmt.object.as_deref());
            let at =
                relation_or_object_location(out, stmt.relation.as_ref(), stmt.object.as_deref());
            if let Some(object) = object {
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
        Node::AlterObjectSchemaStmt(stmt) => {
            let kind = object_kind(stmt.object_type);
            let object = relation_or_object(kind, stmt.relation.as_ref(), stmt.object.as_deref());
            let at =
                relation_or_object_location(out, stmt.relation.as_ref(), stmt.object.as_deref());
            if let Some(object) = object {
                let lock = kind.is_relation().then_some(Lock::AccessExclusive);
                out.push(
                    Effect::new(Action::Alter, object)
                        .lock_if(lock)
                        .at(at)
                        .details(EffectDetails::SetSchema(stmt.newschema.clone())),
                );
            }
        }
        Node::TruncateStmt(stmt) => {
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
        Node::InsertStmt(stmt) => {
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
        Node::UpdateStmt(stmt) => {
            let details = WriteDetails {
                has_where: stmt.where_clause.is_some(),
                ..WriteDetails::default()
            };
            write(Action::Update, stmt.relation.as_ref(), details, out);
            reads(node, Lock::AccessShare, out);
        }
        Node::DeleteStmt(stmt) => {
            let details = WriteDetails {
                has_where: stmt.where_clause.is_some(),
                ..WriteDetails::default()
            };
            write(Action::Delete, stmt.relation.as_ref(), details, out);
            reads(node, Lock::AccessShare, out);
        }
        Node::MergeStmt(stmt) => {
            write(
                Action::Merge,
                stmt.relation.as_ref(),
                WriteDetails::default(),
                out,
            );
            reads(node, Lock::AccessShare, out);
        }
        Node::SelectStmt(stmt) => {
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
                    .at(located(out, into.rel.as_ref()))
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
        Node::CopyStmt(stmt) if stmt.is_from => {
            write(
                Action::Insert,
                stmt.relation.as_ref(),
                WriteDetails::default(),
                out,
            );
        }
        Node::VacuumStmt(stmt) => vacuum(stmt, out),
        Node::ClusterStmt(stmt) => {
            let object = match &stmt.relation {
                Some(relation) => ObjectRef::new(ObjectKind::Table, range_var(Some(relation))),
                None => ObjectRef::new(ObjectKind::Database, QualifiedName::bare("")),
            };
            out.push(
                Effect::new(Action::Cluster, object)
                    .lock(Lock::AccessExclusive)
                    .at(located(out, stmt.relation.as_ref()))
                    .rewrites(true)
                    .details(EffectDetails::Maintenance(MaintenanceDetails::default())),
            );
        }
        Node::ReindexStmt(stmt) => {
            let concurrently = def_elems(&stmt.params).any(|option| {
                option.defname == "concurrently"
                    && option_bool(option.arg.as_deref()) != Some(false)
            });
            let kind =
                ReindexObjectType::try_from(stmt.kind).unwrap_or(ReindexObjectType::Undefined);
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
                    located(out, stmt.relation.as_ref())
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
        Node::LockStmt(stmt) => {
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
        _ => {}
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

fn persistence(relation: Option<&protobuf::RangeVar>) -> Persistence {
    match relation.map(|relation| relation.relpersistence.as_str()) {
        Some("u") => Persistence::Unlogged,
        Some("t") => Persistence::Temporary,
        _ => Persistence::Permanent,
    }
}

fn create_table(stmt: &protobuf::CreateStmt, out: &mut Sink<'_>) {
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
        .at(located(out, stmt.relation.as_ref()))
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
    Some((target.table.clone(), located(out, node.pktable.as_ref())))
}

/// A column definition, and the constraints written in it (other than
/// `NULL`, `NOT NULL`, `DEFAULT`, identity and generation, which are on the
/// column).
fn column_def(
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
fn constraint_details(
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
fn add_constraint(
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
            .at(located(out, node.pktable.as_ref())),
        );
    }
}

/// The kind of relation an `ALTER TABLE`-family statement names.
fn relation_kind(objtype: i32) -> ObjectKind {
    match ObjectType::try_from(objtype) {
        Ok(ObjectType::ObjectIndex) => ObjectKind::Index,
        Ok(ObjectType::ObjectView) => ObjectKind::View,
        Ok(ObjectType::ObjectMatview) => ObjectKind::MaterializedView,
        Ok(ObjectType::ObjectSequence) => ObjectKind::Sequence,
        Ok(ObjectType::ObjectForeignTable) => ObjectKind::ForeignTable,
        Ok(ObjectType::ObjectType) => ObjectKind::Type,
        _ => ObjectKind::Table,
    }
}

fn alter_table(stmt: &protobuf::AlterTableStmt, out: &mut Sink<'_>) {
    let table = range_var(stmt.relation.as_ref());
    let kind = relation_kind(stmt.objtype);
    let at = located(out, stmt.relation.as_ref());
    for cmd in &stmt.cmds {
        if let Some(Node::AlterTableCmd(cmd)) = cmd.node.as_ref() {
            alter_table_cmd(&table, kind, at.as_ref(), cmd, out);
        }
    }
}

#[expect(
    clippy::too_many_lines,
    reason = "one arm per ALTER TABLE subcommand reads best as one table"
)]
fn alter_table_cmd(
    table: &QualifiedName,
    kind: ObjectKind,
    table_at: Option<&Range<usize>>,
    cmd: &protobuf::AlterTableCmd,
    out: &mut Sink<'_>,
) {
    use Lock::{AccessExclusive, ShareRowExclusive, ShareUpdateExclusive};

    let subtype = At::try_from(cmd.subtype).unwrap_or(At::Undefined);
    let def = cmd.def.as_deref().and_then(|def| def.node.as_ref());
    let this = || ObjectRef::new(kind, table.clone());
    let column = || ObjectRef::within(ObjectKind::Column, &cmd.name, table.clone());
    let alter_column = |change: ColumnChange, lock: Lock| {
        Effect::new(Action::Alter, column())
            .lock(lock)
            .details(EffectDetails::ColumnChange(change))
    };
    let alter_table = |change: TableChange, lock: Lock| {
        Effect::new(Action::Alter, this())
            .lock(lock)
            .at(table_at.cloned())
            .details(EffectDetails::TableChange(change))
    };
    let effect = match subtype {
        At::AtAddColumn | At::AtAddColumnToView => {
            let Some(Node::ColumnDef(definition)) = def else {
                return;
            };
            let (mut details, constraints) = column_def(definition);
            details.if_not_exists = cmd.missing_ok;
            // A volatile default (or one that may be) is computed for every
            // existing row, and so are identity and stored generated values.
            let rewrites = details
                .default_volatility
                .is_some_and(|volatility| volatility >= Volatility::Unknown)
                || details.generated.is_some();
            // NOT NULL without a default is verified against existing rows.
            let scans = details.not_null && details.default.is_none() && !rewrites;
            out.push(
                Effect::new(
                    Action::Create,
                    ObjectRef::within(ObjectKind::Column, &details.name, table.clone()),
                )
                .lock(AccessExclusive)
                .at(out.name_at(definition.location))
                .rewrites(rewrites)
                .scans(scans)
                .details(EffectDetails::Column(details)),
            );
            for (constraint, node) in constraints {
                add_constraint(table, constraint, node, out);
            }
            return;
        }
        At::AtColumnDefault | At::AtCookedColumnDefault => alter_column(
            def.map_or(ColumnChange::DropDefault, |_| {
                ColumnChange::SetDefault(
                    cmd.def
                        .as_deref()
                        .map(expression)
                        .unwrap_or_else(|| expression(&protobuf::Node::default())),
                )
            }),
            AccessExclusive,
        ),
        At::AtDropNotNull => alter_column(ColumnChange::DropNotNull, AccessExclusive),
        At::AtSetNotNull => alter_column(ColumnChange::SetNotNull, AccessExclusive).scans(true),
        At::AtSetExpression => alter_column(
            ColumnChange::SetExpression(
                cmd.def
                    .as_deref()
                    .map(expression)
                    .unwrap_or_else(|| expression(&protobuf::Node::default())),
            ),
            AccessExclusive,
        )
        .rewrites(true),
        At::AtDropExpression => alter_column(ColumnChange::DropExpression, AccessExclusive),
        At::AtSetStatistics => alter_column(ColumnChange::SetStatistics, ShareUpdateExclusive),
        At::AtSetOptions | At::AtResetOptions => {
            alter_column(ColumnChange::SetOptions, ShareUpdateExclusive)
        }
        At::AtSetStorage => alter_column(ColumnChange::SetStorage, AccessExclusive),
        At::AtSetCompression => alter_column(ColumnChange::SetCompression, AccessExclusive),
        At::AtAddIdentity => alter_column(ColumnChange::AddIdentity, AccessExclusive),
        At::AtSetIdentity => alter_column(ColumnChange::SetIdentity, AccessExclusive),
        At::AtDropIdentity => alter_column(ColumnChange::DropIdentity, AccessExclusive),
        At::AtAlterColumnGenericOptions => {
            alter_column(ColumnChange::GenericOptions, AccessExclusive)
        }
        At::AtAlterColumnType => {
            let Some(Node::ColumnDef(definition)) = def else {
                return;
            };
            let change = ColumnChange::Type {
                type_name: definition
                    .type_name
                    .as_ref()
                    .map(type_ref)
                    .unwrap_or_else(|| type_ref(&protobuf::TypeName::default())),
                using: definition.raw_default.as_deref().map(expression),
            };
            // The old type is unknown here: assume the rewrite, which
            // `type_change_rewrites` can rule out once it is known.
            alter_column(change, AccessExclusive).rewrites(true)
        }
        At::AtDropColumn => Effect::new(Action::Drop, column())
            .lock(AccessExclusive)
            .details(EffectDetails::Drop(DropDetails {
                if_exists: cmd.missing_ok,
                cascade: cmd.behavior == DropBehavior::DropCascade as i32,
                concurrently: false,
            })),
        At::AtAddConstraint | At::AtAddIndexConstraint => {
            if let Some(Node::Constraint(constraint)) = def
                && let Some(details) = constraint_details(constraint, None)
            {
                add_constraint(table, details, constraint, out);
            }
            return;
        }
        At::AtAlterConstraint => {
            let name = match def {
                Some(Node::AtalterConstraint(alter)) => alter.conname.clone(),
                Some(Node::Constraint(constraint)) => constraint.conname.clone(),
                _ => cmd.name.clone(),
            };
            Effect::new(
                Action::Alter,
                ObjectRef::within(ObjectKind::Constraint, &name, table.clone()),
            )
            .lock(AccessExclusive)
        }
        // The referenced table of a foreign key gets ROW SHARE as well, but
        // which table that is cannot be seen here.
        At::AtValidateConstraint => Effect::new(
            Action::Validate,
            ObjectRef::within(ObjectKind::Constraint, &cmd.name, table.clone()),
        )
        .lock(ShareUpdateExclusive)
        .scans(true),
        At::AtDropConstraint => Effect::new(
            Action::Drop,
            ObjectRef::within(ObjectKind::Constraint, &cmd.name, table.clone()),
        )
        .lock(AccessExclusive)
        .details(EffectDetails::Drop(DropDetails {
            if_exists: cmd.missing_ok,
            cascade: cmd.behavior == DropBehavior::DropCascade as i32,
            concurrently: false,
        })),
        At::AtChangeOwner => Effect::new(Action::Alter, this())
            .lock(AccessExclusive)
            .at(table_at.cloned())
            .details(EffectDetails::Owner(
                cmd.newowner.as_ref().map(role_name).unwrap_or_default(),
            )),
        At::AtClusterOn => alter_table(
            TableChange::ClusterOn(cmd.name.clone()),
            ShareUpdateExclusive,
        ),
        At::AtDropCluster => alter_table(TableChange::SetWithoutCluster, ShareUpdateExclusive),
        At::AtSetLogged => alter_table(TableChange::SetLogged, AccessExclusive).rewrites(true),
        At::AtSetUnLogged => alter_table(TableChange::SetUnlogged, AccessExclusive).rewrites(true),
        At::AtSetAccessMethod => alter_table(
            TableChange::SetAccessMethod(cmd.name.clone()),
            AccessExclusive,
        )
        .rewrites(true),
        At::AtSetTableSpace => alter_table(
            TableChange::SetTablespace(cmd.name.clone()),
            AccessExclusive,
        )
        .rewrites(true),
        At::AtSetRelOptions | At::AtResetRelOptions | At::AtReplaceRelOptions => {
            let options: Vec<&protobuf::DefElem> = match def {
                Some(Node::List(list)) => def_elems(&list.items).collect(),
                _ => Vec::new(),
            };
            let lock = if subtype == At::AtReplaceRelOptions {
                AccessExclusive
            } else {
                options
                    .iter()
                    .map(|option| rel_option_lock(&option.defname))
                    .max()
                    .unwrap_or(AccessExclusive)
            };
            let texts = options
                .iter()
                .map(|option| {
                    let name = if option.defnamespace.is_empty() {
                        option.defname.clone()
                    } else {
                        format!("{}.{}", option.defnamespace, option.defname)
                    };
                    match option_value(option.arg.as_deref()) {
                        Some(value) => format!("{name}={value}"),
                        None => name,
                    }
                })
                .collect();
            let change = if subtype == At::AtResetRelOptions {
                TableChange::ResetOptions(texts)
            } else {
                TableChange::SetOptions(texts)
            };
            alter_table(change, lock)
        }
        At::AtEnableTrig
        | At::AtEnableAlwaysTrig
        | At::AtEnableReplicaTrig
        | At::AtDisableTrig
        | At::AtEnableTrigAll
        | At::AtDisableTrigAll
        | At::AtEnableTrigUser
        | At::AtDisableTrigUser => {
            let enabled = !matches!(
                subtype,
                At::AtDisableTrig | At::AtDisableTrigAll | At::AtDisableTrigUser
            );
            let mode = match subtype {
                At::AtEnableAlwaysTrig => Some("always"),
                At::AtEnableReplicaTrig => Some("replica"),
                _ => None,
            };
            let scope = match subtype {
                At::AtEnableTrigAll | At::AtDisableTrigAll => "all",
                At::AtEnableTrigUser | At::AtDisableTrigUser => "user",
                _ => "named",
            };
            Effect::new(
                Action::Alter,
                ObjectRef::within(ObjectKind::Trigger, &cmd.name, table.clone()),
            )
            .lock(ShareRowExclusive)
            .details(EffectDetails::TriggerState(TriggerState {
                enabled,
                mode,
                scope,
            }))
        }
        At::AtEnableRule | At::AtEnableAlwaysRule | At::AtEnableReplicaRule | At::AtDisableRule => {
            alter_table(TableChange::RuleState, AccessExclusive)
        }
        At::AtAddInherit | At::AtDropInherit => {
            let (parent, parent_at) = match def {
                Some(Node::RangeVar(parent)) => {
                    (range_var(Some(parent)), out.name_at(parent.location))
                }
                _ => (QualifiedName::bare(""), None),
            };
            let change = if subtype == At::AtAddInherit {
                TableChange::Inherit(parent.clone())
            } else {
                TableChange::NoInherit(parent.clone())
            };
            out.push(alter_table(change, AccessExclusive));
            // The parent is locked too (ShareUpdateExclusiveLock in ATExecAddInherit).
            Effect::new(Action::Reference, ObjectRef::new(ObjectKind::Table, parent))
                .lock(ShareUpdateExclusive)
                .at(parent_at)
        }
        At::AtAddOf | At::AtDropOf => alter_table(TableChange::OfType, AccessExclusive),
        At::AtReplicaIdentity => alter_table(TableChange::ReplicaIdentity, AccessExclusive),
        At::AtEnableRowSecurity => {
            alter_table(TableChange::EnableRowLevelSecurity, AccessExclusive)
        }
        At::AtDisableRowSecurity => {
            alter_table(TableChange::DisableRowLevelSecurity, AccessExclusive)
        }
        At::AtForceRowSecurity => alter_table(TableChange::ForceRowLevelSecurity, AccessExclusive),
        At::AtNoForceRowSecurity => {
            alter_table(TableChange::NoForceRowLevelSecurity, AccessExclusive)
        }
        At::AtGenericOptions => alter_table(TableChange::GenericOptions, AccessExclusive),
        At::AtAttachPartition | At::AtDetachPartition | At::AtDetachPartitionFinalize => {
            let Some(Node::PartitionCmd(partition)) = def else {
                return;
            };
            partition_cmd(table, table_at, subtype, partition, out);
            return;
        }
        _ => Effect::new(Action::Alter, this())
            .lock(AccessExclusive)
            .at(table_at.cloned()),
    };
    out.push(effect);
}

/// `ATTACH PARTITION` / `DETACH PARTITION`: one effect on the parent, one on
/// the partition.
fn partition_cmd(
    parent: &QualifiedName,
    parent_at: Option<&Range<usize>>,
    subtype: At,
    partition: &protobuf::PartitionCmd,
    out: &mut Sink<'_>,
) {
    let details = PartitionDetails {
        parent: parent.clone(),
        default: partition
            .bound
            .as_ref()
            .is_some_and(|bound| bound.is_default),
        concurrently: partition.concurrent,
        finalize: subtype == At::AtDetachPartitionFinalize,
    };
    let name = range_var(partition.name.as_ref());
    // ATTACH: SHARE UPDATE EXCLUSIVE on the parent, ACCESS EXCLUSIVE on the
    // partition, whose rows are checked against the bound unless a valid
    // CHECK constraint already implies it (not visible here). DETACH: ACCESS
    // EXCLUSIVE on both, or SHARE UPDATE EXCLUSIVE with CONCURRENTLY/FINALIZE.
    let (action, parent_lock, partition_lock, scans) = match subtype {
        At::AtAttachPartition => (
            Action::Attach,
            Lock::ShareUpdateExclusive,
            Lock::AccessExclusive,
            true,
        ),
        _ if partition.concurrent || subtype == At::AtDetachPartitionFinalize => (
            Action::Detach,
            Lock::ShareUpdateExclusive,
            Lock::ShareUpdateExclusive,
            false,
        ),
        _ => (
            Action::Detach,
            Lock::AccessExclusive,
            Lock::AccessExclusive,
            false,
        ),
    };
    out.push(
        Effect::new(
            Action::Alter,
            ObjectRef::new(ObjectKind::Table, parent.clone()),
        )
        .lock(parent_lock)
        .at(parent_at.cloned())
        .details(EffectDetails::Partition(details.clone())),
    );
    out.push(
        Effect::new(action, ObjectRef::new(ObjectKind::Table, name))
            .lock(partition_lock)
            .scans(scans)
            .at(located(out, partition.name.as_ref()))
            .details(EffectDetails::Partition(details)),
    );
}

/// The lock `ALTER TABLE ... SET (option)` takes (`reloptions.c`): SHARE
/// UPDATE EXCLUSIVE for storage and autovacuum parameters, ACCESS EXCLUSIVE
/// for those that change query results and any not known here.
fn rel_option_lock(name: &str) -> Lock {
    let share_update = name.starts_with("autovacuum_")
        || name.starts_with("toast_")
        || matches!(
            name,
            "fillfactor"
                | "parallel_workers"
                | "vacuum_index_cleanup"
                | "vacuum_truncate"
                | "log_autovacuum_min_duration"
                | "vacuum_max_eager_freeze_failure_rate"
                | "deduplicate_items"
                | "buffering"
                | "fastupdate"
                | "gin_pending_list_limit"
                | "pages_per_range"
                | "autosummarize"
        );
    if share_update {
        Lock::ShareUpdateExclusive
    } else {
        Lock::AccessExclusive
    }
}

fn create_index(stmt: &protobuf::IndexStmt) -> Effect {
    let table = range_var(stmt.relation.as_ref());
    let elements = |params: &[protobuf::Node]| -> Vec<String> {
        params
            .iter()
            .filter_map(|param| match param.node.as_ref() {
                Some(Node::IndexElem(element)) => Some(index_element(element)),
                _ => None,
            })
            .collect()
    };
    let details = IndexDetails {
        unique: stmt.unique,
        concurrently: stmt.concurrent,
        if_not_exists: stmt.if_not_exists,
        columns: elements(&stmt.index_params),
        include: elements(&stmt.index_including_params),
        method: (!stmt.access_method.is_empty() && stmt.access_method != "btree")
            .then(|| stmt.access_method.clone()),
        predicate: stmt.where_clause.as_deref().map(expression),
        only: stmt.relation.as_ref().is_some_and(|relation| !relation.inh),
    };
    let lock = if stmt.concurrent {
        Lock::ShareUpdateExclusive
    } else {
        Lock::Share
    };
    Effect::new(
        Action::Create,
        ObjectRef::within(ObjectKind::Index, &stmt.idxname, table),
    )
    .lock(lock)
    .scans(stmt.unique)
    .details(EffectDetails::Index(details))
}

/// An index element: the column name, or the expression's text.
fn index_element(element: &protobuf::IndexElem) -> String {
    if element.name.is_empty() {
        element
            .expr
            .as_deref()
            .map(|expr| expression(expr).sql)
            .unwrap_or_default()
    } else {
        element.name.clone()
    }
}

fn create_trigger(stmt: &protobuf::CreateTrigStmt) -> Effect {
    const BEFORE: i32 = 1 << 1;
    const INSERT: i32 = 1 << 2;
    const DELETE: i32 = 1 << 3;
    const UPDATE: i32 = 1 << 4;
    const TRUNCATE: i32 = 1 << 5;
    const INSTEAD: i32 = 1 << 6;
    let table = range_var(stmt.relation.as_ref());
    let timing = if stmt.timing & INSTEAD != 0 {
        "instead of"
    } else if stmt.timing & BEFORE != 0 {
        "before"
    } else {
        "after"
    };
    let events = [
        (INSERT, "insert"),
        (UPDATE, "update"),
        (DELETE, "delete"),
        (TRUNCATE, "truncate"),
    ]
    .into_iter()
    .filter(|(bit, _)| stmt.events & bit != 0)
    .map(|(_, name)| name)
    .collect();
    let details = TriggerDetails {
        or_replace: stmt.replace,
        timing,
        events,
        for_each_row: stmt.row,
        function: qualified_nodes(&stmt.funcname),
        constraint: stmt.isconstraint,
    };
    Effect::new(
        Action::Create,
        ObjectRef::within(ObjectKind::Trigger, &stmt.trigname, table),
    )
    .lock(Lock::ShareRowExclusive)
    .details(EffectDetails::Trigger(details))
}

/// The kind of object an `ObjectType` names.
fn object_kind(objtype: i32) -> ObjectKind {
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

/// The object of an `ALTER ... OWNER TO` / `SET SCHEMA`: a relation when one is named,
/// else the generic object node.
fn relation_or_object(
    kind: ObjectKind,
    relation: Option<&protobuf::RangeVar>,
    object: Option<&protobuf::Node>,
) -> Option<ObjectRef> {
    match (relation, object) {
        (Some(relation), _) => Some(ObjectRef::new(kind, range_var(Some(relation)))),
        (None, Some(object)) => object_ref(kind, object),
        (None, None) => None,
    }
}

/// Where [`relation_or_object`]'s object is named.
fn relation_or_object_location(
    out: &Sink<'_>,
    relation: Option<&protobuf::RangeVar>,
    object: Option<&protobuf::Node>,
) -> Option<Range<usize>> {
    match (relation, object) {
        (Some(relation), _) => out.name_at(relation.location),
        (None, Some(object)) => node_location(out, object),
        (None, None) => None,
    }
}

/// Where a relation is named.
fn located(out: &Sink<'_>, relation: Option<&protobuf::RangeVar>) -> Option<Range<usize>> {
    out.name_at(relation?.location)
}

/// Where an object node (of `DROP`, `COMMENT ON`, `GRANT`...) names its
/// object: only relations and types carry a location.
fn node_location(out: &Sink<'_>, node: &protobuf::Node) -> Option<Range<usize>> {
    match node.node.as_ref()? {
        Node::RangeVar(relation) => out.name_at(relation.location),
        Node::TypeName(type_name) => out.name_at(type_name.location),
        _ => None,
    }
}

/// The object an object node (of `DROP`, `COMMENT ON`, `ALTER ... OWNER`...)
/// names, for an object of `kind`.
fn object_ref(kind: ObjectKind, node: &protobuf::Node) -> Option<ObjectRef> {
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

fn drop(stmt: &protobuf::DropStmt, out: &mut Sink<'_>) {
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
                    .at(node_location(out, node))
                    .details(EffectDetails::Drop(details)),
            );
        }
    }
}

fn rename(stmt: &protobuf::RenameStmt, out: &mut Sink<'_>) {
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
            at = located(out, stmt.relation.as_ref());
            ObjectRef::new(kind, relation)
        }
        // Schemas, roles and the like are named by `subname`.
        (_, None) => match stmt.object.as_deref() {
            Some(object) => {
                let Some(found) = object_ref(kind, object) else {
                    return;
                };
                at = node_location(out, object);
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

fn grant(stmt: &protobuf::GrantStmt, defaults: bool, out: &mut Sink<'_>) {
    let kind = object_kind(stmt.objtype);
    let all_in_schema = stmt.targtype == GrantTargetType::AclTargetAllInSchema as i32;
    let mut privileges = Vec::new();
    let mut columns = Vec::new();
    for privilege in &stmt.privileges {
        if let Some(Node::AccessPriv(privilege)) = privilege.node.as_ref() {
            privileges.push(privilege.priv_name.to_ascii_lowercase());
            columns.extend(strings(&privilege.cols));
        }
    }
    if privileges.is_empty() {
        privileges.push(String::from("all"));
    }
    let details = GrantDetails {
        target: if defaults {
            GrantTarget::Defaults
        } else if all_in_schema {
            GrantTarget::AllInSchema
        } else {
            GrantTarget::Objects
        },
        object_kind: Some(kind),
        privileges,
        columns,
        grantees: roles(&stmt.grantees),
        with_grant_option: stmt.grant_option,
        cascade: stmt.behavior == DropBehavior::DropCascade as i32,
    };
    let action = if stmt.is_grant {
        Action::Grant
    } else {
        Action::Revoke
    };
    if defaults {
        out.push(
            Effect::new(
                action,
                ObjectRef::new(ObjectKind::Database, QualifiedName::bare("")),
            )
            .details(EffectDetails::Grant(details)),
        );
        return;
    }
    let object_kind = if all_in_schema {
        ObjectKind::Schema
    } else {
        kind
    };
    for node in &stmt.objects {
        if let Some(object) = object_ref(object_kind, node) {
            out.push(
                Effect::new(action, object)
                    .at(node_location(out, node))
                    .details(EffectDetails::Grant(details.clone())),
            );
        }
    }
}

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
        .at(located(out, relation))
        .details(EffectDetails::Write(details)),
    );
}

/// Effects for the tables a statement's queries read (`FROM`, `JOIN`,
/// subqueries), each once, in the order PostgreSQL's tree lists them; names
/// of common table expressions are not tables.
fn reads(node: &Node, lock: Lock, out: &mut Sink<'_>) {
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

fn vacuum(stmt: &protobuf::VacuumStmt, out: &mut Sink<'_>) {
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
            let at = located(out, relation.relation.as_ref());
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

fn view_options(options: &[protobuf::Node], details: &mut ViewDetails) {
    for option in def_elems(options) {
        let value = option_value(option.arg.as_deref());
        match option.defname.as_str() {
            "security_invoker" => details.security_invoker = option_bool(option.arg.as_deref()),
            "security_barrier" => details.security_barrier = option_bool(option.arg.as_deref()),
            "check_option" => {
                details.check_option = match value.as_deref() {
                    Some("local") => Some("local"),
                    Some("cascaded") => Some("cascaded"),
                    _ => details.check_option,
                }
            }
            _ => {}
        }
        details.options.push(match value {
            Some(value) => format!("{}={value}", option.defname),
            None => option.defname.clone(),
        });
    }
}

fn function_options(options: &[protobuf::Node], details: &mut FunctionDetails) {
    for option in def_elems(options) {
        let arg = option.arg.as_deref();
        match option.defname.as_str() {
            "language" => details.language = option_value(arg),
            "security" => details.security_definer = option_bool(arg),
            "volatility" => {
                details.volatility = match option_value(arg).as_deref() {
                    Some("immutable") => Some(Volatility::Immutable),
                    Some("stable") => Some(Volatility::Stable),
                    Some("volatile") => Some(Volatility::Volatile),
                    _ => None,
                }
            }
            "set" => {
                if let Some(Node::VariableSetStmt(set)) = arg.and_then(|arg| arg.node.as_ref())
                    && set.name == "search_path"
                {
                    details.search_path = Some(search_path(set));
                }
            }
            _ => {}
        }
    }
}

/// The value of `SET search_path ...` in a function's options.
fn search_path(set: &protobuf::VariableSetStmt) -> String {
    match protobuf::VariableSetKind::try_from(set.kind) {
        Ok(protobuf::VariableSetKind::VarSetCurrent) => String::from("FROM CURRENT"),
        Ok(protobuf::VariableSetKind::VarSetValue) => set
            .args
            .iter()
            .filter_map(|arg| option_value(Some(arg)))
            .collect::<Vec<_>>()
            .join(", "),
        _ => String::new(),
    }
}

/// The names of a list of `RoleSpec`s.
fn roles(nodes: &[protobuf::Node]) -> Vec<String> {
    nodes
        .iter()
        .filter_map(|node| match node.node.as_ref() {
            Some(Node::RoleSpec(role)) => Some(role_name(role)),
            _ => string(node).map(str::to_owned),
        })
        .collect()
}

fn role_name(role: &protobuf::RoleSpec) -> String {
    match RoleSpecType::try_from(role.roletype).unwrap_or(RoleSpecType::Undefined) {
        RoleSpecType::RolespecPublic => String::from("public"),
        RoleSpecType::RolespecCurrentRole => String::from("current_role"),
        RoleSpecType::RolespecCurrentUser => String::from("current_user"),
        RoleSpecType::RolespecSessionUser => String::from("session_user"),
        _ => role.rolename.clone(),
    }
}

/// The `DefElem`s of an option list.
fn def_elems(options: &[protobuf::Node]) -> impl Iterator<Item = &protobuf::DefElem> {
    options
        .iter()
        .filter_map(|option| match option.node.as_ref() {
            Some(Node::DefElem(def)) => Some(&**def),
            _ => None,
        })
}
