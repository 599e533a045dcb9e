//! Types: enums and their values, composite, range, base types and
//! domains.

use pg_query::protobuf::node::Node;
use pg_query::protobuf::{self, ObjectType};

use super::expr::{qualified_nodes, range_var, strings, type_ref};
use super::location::Sink;
use super::{Action, Effect, EffectDetails, EnumValueDetails, ObjectKind, ObjectRef, TypeDetails};

/// `CREATE TYPE ... AS ENUM`.
pub(super) fn create_enum(stmt: &protobuf::CreateEnumStmt, out: &mut Sink<'_>) {
    out.push(
        Effect::new(
            Action::Create,
            ObjectRef::new(ObjectKind::Type, qualified_nodes(&stmt.type_name)),
        )
        .details(EffectDetails::Type(TypeDetails::Enum {
            values: strings(&stmt.vals),
        })),
    );
}

/// `CREATE TYPE ... AS (...)`.
pub(super) fn composite(stmt: &protobuf::CompositeTypeStmt, out: &mut Sink<'_>) {
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
        .at(out.relation_at(stmt.typevar.as_ref()))
        .details(EffectDetails::Type(TypeDetails::Composite { attributes })),
    );
}

/// `CREATE TYPE ... AS RANGE`.
pub(super) fn create_range(stmt: &protobuf::CreateRangeStmt, out: &mut Sink<'_>) {
    out.push(
        Effect::new(
            Action::Create,
            ObjectRef::new(ObjectKind::Type, qualified_nodes(&stmt.type_name)),
        )
        .details(EffectDetails::Type(TypeDetails::Range)),
    );
}

/// `CREATE DOMAIN`.
pub(super) fn create_domain(stmt: &protobuf::CreateDomainStmt, out: &mut Sink<'_>) {
    out.push(
        Effect::new(
            Action::Create,
            ObjectRef::new(ObjectKind::Domain, qualified_nodes(&stmt.domainname)),
        )
        .details(EffectDetails::Type(TypeDetails::Domain {
            base: stmt.type_name.as_ref().map(type_ref),
        })),
    );
}

/// `CREATE TYPE name (...)`, a base or shell type; the other `DEFINE`
/// statements (aggregates, operators...) are not modelled.
pub(super) fn define(stmt: &protobuf::DefineStmt, out: &mut Sink<'_>) {
    if stmt.kind != ObjectType::ObjectType as i32 {
        return;
    }
    out.push(
        Effect::new(
            Action::Create,
            ObjectRef::new(ObjectKind::Type, qualified_nodes(&stmt.defnames)),
        )
        .details(EffectDetails::Type(TypeDetails::Base)),
    );
}

/// `ALTER TYPE ... ADD VALUE` and `RENAME VALUE`.
pub(super) fn alter_enum(stmt: &protobuf::AlterEnumStmt, out: &mut Sink<'_>) {
    let enum_type = qualified_nodes(&stmt.type_name);
    let neighbor = (!stmt.new_val_neighbor.is_empty()).then(|| stmt.new_val_neighbor.clone());
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
