//! Schemas and what lives in one without being a table or a type:
//! extensions and sequences.

use pg_query::protobuf;

use super::expr::{def_elems, option_bool, option_value, range_var, role_name};
use super::location::Sink;
use super::statements::effects;
use super::{
    Action, CreateDetails, Effect, EffectDetails, ExtensionDetails, Lock, ObjectKind, ObjectRef,
    QualifiedName,
};

/// `CREATE SCHEMA`, then the effects of the statements written in it.
pub(super) fn create_schema(stmt: &protobuf::CreateSchemaStmt, out: &mut Sink<'_>) {
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

/// `CREATE EXTENSION`.
pub(super) fn create_extension(stmt: &protobuf::CreateExtensionStmt, out: &mut Sink<'_>) {
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

/// `CREATE SEQUENCE`.
pub(super) fn create_sequence(stmt: &protobuf::CreateSeqStmt, out: &mut Sink<'_>) {
    out.push(
        Effect::new(
            Action::Create,
            ObjectRef::new(ObjectKind::Sequence, range_var(stmt.sequence.as_ref())),
        )
        .at(out.relation_at(stmt.sequence.as_ref()))
        .details(EffectDetails::Create(CreateDetails {
            if_not_exists: stmt.if_not_exists,
            ..CreateDetails::default()
        })),
    );
}

/// `ALTER SEQUENCE`, which opens the sequence with SHARE ROW EXCLUSIVE.
/// AlterSequence opens the sequence with SHARE ROW EXCLUSIVE.
pub(super) fn alter_sequence(stmt: &protobuf::AlterSeqStmt, out: &mut Sink<'_>) {
    out.push(
        Effect::new(
            Action::Alter,
            ObjectRef::new(ObjectKind::Sequence, range_var(stmt.sequence.as_ref())),
        )
        .lock(Lock::ShareRowExclusive)
        .at(out.relation_at(stmt.sequence.as_ref())),
    );
}
