//! Code the database runs: functions, procedures, triggers and rewrite
//! rules.

use pg_query::protobuf;
use pg_query::protobuf::node::Node;

use super::expr::{def_elems, option_bool, option_value, qualified_nodes, range_var, type_ref};
use super::location::Sink;
use super::objects::object_kind;
use super::{
    Action, CreateDetails, Effect, EffectDetails, FunctionDetails, Lock, ObjectKind, ObjectRef,
    QualifiedName, TriggerDetails, Volatility,
};

/// `CREATE [OR REPLACE] FUNCTION` and `CREATE PROCEDURE`.
pub(super) fn create_function(stmt: &protobuf::CreateFunctionStmt, out: &mut Sink<'_>) {
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

/// `ALTER FUNCTION`, `ALTER PROCEDURE`, `ALTER ROUTINE`.
pub(super) fn alter_function(stmt: &protobuf::AlterFunctionStmt, out: &mut Sink<'_>) {
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

/// Reads a function's options (`LANGUAGE`, `SECURITY`, volatility, `SET`).
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

/// `CREATE [OR REPLACE] [CONSTRAINT] TRIGGER`.
pub(super) fn create_trigger(stmt: &protobuf::CreateTrigStmt, out: &mut Sink<'_>) {
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
    out.push(
        Effect::new(
            Action::Create,
            ObjectRef::within(ObjectKind::Trigger, &stmt.trigname, table),
        )
        .lock(Lock::ShareRowExclusive)
        .details(EffectDetails::Trigger(details)),
    );
}

/// `CREATE [OR REPLACE] RULE`.
pub(super) fn rule(stmt: &protobuf::RuleStmt, out: &mut Sink<'_>) {
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
