//! Who may do what: row-level security policies, privileges (`GRANT`,
//! `REVOKE`, `ALTER DEFAULT PRIVILEGES`) and roles. Turning row-level
//! security on is an `ALTER TABLE` subcommand, in `alter_table`.

use pg_query::protobuf::node::Node;
use pg_query::protobuf::{self, DropBehavior, GrantTargetType};

use super::expr::{def_elems, expression, range_var, role_name, roles, strings};
use super::location::Sink;
use super::objects::{object_kind, object_ref};
use super::{
    Action, DropDetails, Effect, EffectDetails, GrantDetails, GrantTarget, Lock, ObjectKind,
    ObjectRef, PolicyDetails, QualifiedName,
};

/// `CREATE POLICY`.
pub(super) fn create_policy(stmt: &protobuf::CreatePolicyStmt, out: &mut Sink<'_>) {
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

/// `ALTER POLICY`.
pub(super) fn alter_policy(stmt: &protobuf::AlterPolicyStmt, out: &mut Sink<'_>) {
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

/// `GRANT` and `REVOKE` of privileges on objects.
pub(super) fn grant(stmt: &protobuf::GrantStmt, out: &mut Sink<'_>) {
    privileges(stmt, false, out);
}

/// `ALTER DEFAULT PRIVILEGES`: one effect per schema named, or one on the
/// database.
pub(super) fn alter_default_privileges(
    stmt: &protobuf::AlterDefaultPrivilegesStmt,
    out: &mut Sink<'_>,
) {
    if let Some(action) = &stmt.action {
        let schemas: Vec<String> = def_elems(&stmt.options)
            .filter(|option| option.defname == "schemas")
            .flat_map(
                |option| match option.arg.as_deref().and_then(|arg| arg.node.as_ref()) {
                    Some(Node::List(list)) => strings(&list.items),
                    _ => Vec::new(),
                },
            )
            .collect();
        let mut granted = out.scratch();
        privileges(action, true, &mut granted);
        if let Some(template) = granted.effects().first() {
            if schemas.is_empty() {
                let mut effect = template.clone();
                effect.object = ObjectRef::new(ObjectKind::Database, QualifiedName::bare(""));
                out.push(effect);
            }
            for schema in schemas {
                let mut effect = template.clone();
                effect.object = ObjectRef::new(ObjectKind::Schema, QualifiedName::bare(&schema));
                out.push(effect);
            }
        }
    }
}

/// The effects of a `GRANT` or `REVOKE`, or with `defaults`, of the one in
/// an `ALTER DEFAULT PRIVILEGES`.
fn privileges(stmt: &protobuf::GrantStmt, defaults: bool, out: &mut Sink<'_>) {
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
                    .at(out.object_at(node))
                    .details(EffectDetails::Grant(details.clone())),
            );
        }
    }
}

/// `GRANT role TO ...` and `REVOKE role FROM ...`.
pub(super) fn grant_role(stmt: &protobuf::GrantRoleStmt, out: &mut Sink<'_>) {
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

/// `CREATE ROLE`, `CREATE USER`, `CREATE GROUP`.
pub(super) fn create_role(stmt: &protobuf::CreateRoleStmt, out: &mut Sink<'_>) {
    out.push(Effect::new(
        Action::Create,
        ObjectRef::new(ObjectKind::Role, QualifiedName::bare(&stmt.role)),
    ));
}

/// `ALTER ROLE`.
pub(super) fn alter_role(stmt: &protobuf::AlterRoleStmt, out: &mut Sink<'_>) {
    out.push(
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
    );
}

/// `DROP ROLE`.
pub(super) fn drop_role(stmt: &protobuf::DropRoleStmt, out: &mut Sink<'_>) {
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
