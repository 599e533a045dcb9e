//! Reading names, types and expressions out of parse-tree nodes.

use pg_query::protobuf::node::Node;
use pg_query::protobuf::{self, RoleSpecType, a_const};
use pg_query::{NodeEnum, NodeRef};

use super::{Expression, QualifiedName, TypeRef, Volatility};

/// The text of a `String` node.
pub(super) fn string(node: &protobuf::Node) -> Option<&str> {
    match node.node.as_ref()? {
        Node::String(string) => Some(&string.sval),
        _ => None,
    }
}

/// The texts of a list of `String` nodes (column lists, qualified names).
pub(super) fn strings(nodes: &[protobuf::Node]) -> Vec<String> {
    nodes
        .iter()
        .filter_map(|node| string(node).map(str::to_owned))
        .collect()
}

/// A qualified name from its parts (`[schema, name]`, `[catalog, schema,
/// name]` or `[name]`).
pub(super) fn qualified(parts: &[String]) -> QualifiedName {
    match parts {
        [] => QualifiedName::bare(""),
        [name] => QualifiedName::bare(name),
        [.., schema, name] => QualifiedName::new(Some(schema), name),
    }
}

/// A qualified name from a list of `String` nodes.
pub(super) fn qualified_nodes(nodes: &[protobuf::Node]) -> QualifiedName {
    qualified(&strings(nodes))
}

/// A relation's name as written.
pub(super) fn range_var(relation: Option<&protobuf::RangeVar>) -> QualifiedName {
    relation.map_or_else(
        || QualifiedName::bare(""),
        |relation| {
            let schema = (!relation.schemaname.is_empty()).then_some(relation.schemaname.as_str());
            QualifiedName::new(schema, &relation.relname)
        },
    )
}

/// The names of a list of `RoleSpec`s.
pub(super) fn roles(nodes: &[protobuf::Node]) -> Vec<String> {
    nodes
        .iter()
        .filter_map(|node| match node.node.as_ref() {
            Some(Node::RoleSpec(role)) => Some(role_name(role)),
            _ => string(node).map(str::to_owned),
        })
        .collect()
}
/// The role a `RoleSpec` names: its name, or `public`, `current_user`...
pub(super) fn role_name(role: &protobuf::RoleSpec) -> String {
    match RoleSpecType::try_from(role.roletype).unwrap_or(RoleSpecType::Undefined) {
        RoleSpecType::RolespecPublic => String::from("public"),
        RoleSpecType::RolespecCurrentRole => String::from("current_role"),
        RoleSpecType::RolespecCurrentUser => String::from("current_user"),
        RoleSpecType::RolespecSessionUser => String::from("session_user"),
        _ => role.rolename.clone(),
    }
}
/// The `DefElem`s of an option list.
pub(super) fn def_elems(options: &[protobuf::Node]) -> impl Iterator<Item = &protobuf::DefElem> {
    options
        .iter()
        .filter_map(|option| match option.node.as_ref() {
            Some(Node::DefElem(def)) => Some(&**def),
            _ => None,
        })
}

/// A type as written, normalized as [`TypeRef`] documents.
pub(super) fn type_ref(type_name: &protobuf::TypeName) -> TypeRef {
    let names = strings(&type_name.names);
    let (schema, name) = match names.as_slice() {
        [] => (None, String::new()),
        [name] => (None, name.clone()),
        [.., schema, name] if schema == "pg_catalog" => (None, name.clone()),
        [.., schema, name] => (Some(schema.clone()), name.clone()),
    };
    let modifiers = type_name
        .typmods
        .iter()
        .map(|modifier| match modifier.node.as_ref() {
            Some(Node::AConst(constant)) => constant_text(constant),
            Some(Node::ColumnRef(_)) | Some(_) | None => expression(modifier).sql,
        })
        .collect();
    TypeRef {
        schema,
        name,
        modifiers,
        array_dimensions: type_name.array_bounds.len(),
    }
}

/// A constant's value as text (without quotes).
fn constant_text(constant: &protobuf::AConst) -> String {
    match &constant.val {
        Some(a_const::Val::Ival(integer)) => integer.ival.to_string(),
        Some(a_const::Val::Fval(float)) => float.fval.clone(),
        Some(a_const::Val::Boolval(boolean)) => boolean.boolval.to_string(),
        Some(a_const::Val::Sval(string)) => string.sval.clone(),
        Some(a_const::Val::Bsval(bits)) => bits.bsval.clone(),
        None => String::from("NULL"),
    }
}

/// A scalar option value (`DefElem.arg`) as text: a string, a number, a
/// keyword or a type name.
pub(super) fn option_value(arg: Option<&protobuf::Node>) -> Option<String> {
    let arg = arg?;
    match arg.node.as_ref()? {
        Node::String(string) => Some(string.sval.clone()),
        Node::Integer(integer) => Some(integer.ival.to_string()),
        Node::Float(float) => Some(float.fval.clone()),
        Node::Boolean(boolean) => Some(boolean.boolval.to_string()),
        Node::TypeName(type_name) => Some(type_ref(type_name).to_string()),
        Node::AConst(constant) => Some(constant_text(constant)),
        Node::List(list) => Some(strings(&list.items).join(".")),
        _ => Some(expression(arg).sql),
    }
}

/// An option's boolean value as PostgreSQL's `defGetBoolean` reads it; no
/// value means true.
pub(super) fn option_bool(arg: Option<&protobuf::Node>) -> Option<bool> {
    if arg.is_none() {
        return Some(true);
    }
    let text = option_value(arg)?.to_ascii_lowercase();
    match text.as_str() {
        "true" | "on" | "1" => Some(true),
        "false" | "off" | "0" => Some(false),
        _ => None,
    }
}

/// An expression's text (through PostgreSQL's deparser, wrapped in a
/// `SELECT` it can print) and volatility.
pub(super) fn expression(node: &protobuf::Node) -> Expression {
    Expression {
        sql: deparse(node).unwrap_or_default(),
        volatility: volatility(node),
    }
}

fn deparse(node: &protobuf::Node) -> Option<String> {
    let target = protobuf::ResTarget {
        val: Some(Box::new(node.clone())),
        ..Default::default()
    };
    let select = protobuf::SelectStmt {
        target_list: vec![protobuf::Node {
            node: Some(Node::ResTarget(Box::new(target))),
        }],
        op: protobuf::SetOperation::SetopNone as i32,
        limit_option: protobuf::LimitOption::Default as i32,
        ..Default::default()
    };
    let text = NodeEnum::SelectStmt(Box::new(select))
        .deparse(pg_query::DeparseOptions::default())
        .ok()?;
    text.strip_prefix("SELECT ").map(str::to_owned)
}

/// Functions PostgreSQL (and common extensions) declare `VOLATILE`.
const VOLATILE: &[&str] = &[
    "random",
    "random_normal",
    "setseed",
    "gen_random_uuid",
    "uuidv4",
    "uuidv7",
    "uuid_generate_v1",
    "uuid_generate_v1mc",
    "uuid_generate_v4",
    "gen_random_bytes",
    "gen_salt",
    "clock_timestamp",
    "timeofday",
    "nextval",
    "setval",
    "currval",
    "lastval",
    "txid_current",
    "pg_current_xact_id",
    "pg_sleep",
];

/// Functions declared `STABLE` that defaults and policies commonly call.
const STABLE: &[&str] = &[
    "now",
    "transaction_timestamp",
    "statement_timestamp",
    "current_setting",
    "current_database",
    "current_schema",
    "to_char",
    "to_timestamp",
    "to_date",
    "timezone",
    "age",
    "date_part",
    "extract",
    "concat",
    "concat_ws",
    "format",
    "to_json",
    "to_jsonb",
    "json_build_object",
    "jsonb_build_object",
    "json_build_array",
    "jsonb_build_array",
    "has_table_privilege",
    "pg_has_role",
    "uid",
    "role",
    "jwt",
    "email",
];

/// Functions declared `IMMUTABLE` that defaults commonly call.
const IMMUTABLE: &[&str] = &[
    "lower",
    "upper",
    "length",
    "char_length",
    "abs",
    "round",
    "floor",
    "ceil",
    "trim",
    "btrim",
    "ltrim",
    "rtrim",
    "substr",
    "substring",
    "left",
    "right",
    "replace",
    "md5",
    "encode",
    "decode",
    "digest",
    "array_length",
    "cardinality",
    "make_interval",
    "make_date",
    "date_trunc",
    "int4",
    "int8",
    "numeric",
    "text",
    "jsonb_typeof",
];

/// The least stable function an expression calls.
fn volatility(node: &protobuf::Node) -> Volatility {
    let Some(node) = node.node.as_ref() else {
        return Volatility::Immutable;
    };
    let mut result = match node {
        Node::FuncCall(call) => function_volatility(call),
        Node::SqlvalueFunction(_) => Volatility::Stable,
        _ => Volatility::Immutable,
    };
    for (child, ..) in node.nodes() {
        let child = match child {
            NodeRef::FuncCall(call) => function_volatility(call),
            NodeRef::SqlvalueFunction(_) => Volatility::Stable,
            // A subquery reads tables: its value is fixed within a
            // statement at best; the functions inside it are visited too.
            NodeRef::SubLink(_) => Volatility::Stable,
            _ => continue,
        };
        result = result.max(child);
    }
    result
}

fn function_volatility(call: &protobuf::FuncCall) -> Volatility {
    let names = strings(&call.funcname);
    let (schema, name) = match names.as_slice() {
        [name] => (None, name.as_str()),
        [.., schema, name] => (Some(schema.as_str()), name.as_str()),
        [] => return Volatility::Unknown,
    };
    let known = |list: &[&str]| list.contains(&name);
    match schema {
        None | Some("pg_catalog" | "public" | "extensions") if known(VOLATILE) => {
            Volatility::Volatile
        }
        Some("auth") if matches!(name, "uid" | "role" | "jwt" | "email") => Volatility::Stable,
        None | Some("pg_catalog") if known(STABLE) => Volatility::Stable,
        None | Some("pg_catalog") if known(IMMUTABLE) => Volatility::Immutable,
        _ => Volatility::Unknown,
    }
}

/// Whether changing a column's type from `old` to `new` rewrites the table
/// (and its indexes), conservatively: only the changes PostgreSQL makes
/// without a rewrite because the types are binary-coercible and the new one
/// accepts every old value are `false`.
///
/// Those are: the same type with the same modifiers; `varchar(n)` to
/// `varchar(m)` with `m >= n`, to `varchar` or to `text`; `varchar` or
/// `text` to `text` or `varchar`; `numeric(p, s)` to `numeric(q, s)` with
/// `q >= p`, or to `numeric`; `bit varying(n)` to a wider or unbounded
/// `bit varying`; `cidr` to `inet`. A `USING` expression always counts as a
/// rewrite.
///
/// ```
/// use strata_sql::analyze::{analyze, type_change_rewrites, ColumnChange, EffectDetails};
///
/// let [old] = &analyze("CREATE TABLE t (name varchar(50))")?.effects[..] else { panic!() };
/// let EffectDetails::Table(table) = &old.details else { panic!() };
/// let old = table.columns[0].type_name.clone().expect("typed");
/// let [change] = &analyze("ALTER TABLE t ALTER COLUMN name TYPE varchar(100)")?.effects[..] else { panic!() };
/// let EffectDetails::ColumnChange(ColumnChange::Type { type_name, using }) = &change.details else { panic!() };
/// assert!(!type_change_rewrites(&old, type_name, using.is_some()));
/// # Ok::<(), strata_sql::SyntaxError>(())
/// ```
#[must_use]
pub fn type_change_rewrites(old: &TypeRef, new: &TypeRef, using: bool) -> bool {
    if using {
        return true;
    }
    if old == new {
        return false;
    }
    if old.schema.is_some() || new.schema.is_some() || old.array_dimensions != new.array_dimensions
    {
        return true;
    }
    let modifier = |type_ref: &TypeRef, index: usize| -> Option<i64> {
        type_ref.modifiers.get(index)?.trim().parse().ok()
    };
    let widens = |old_limit: Option<i64>, new_limit: Option<i64>, new_unbounded: bool| {
        new_unbounded || matches!((old_limit, new_limit), (Some(old), Some(new)) if new >= old)
    };
    match (old.name.as_str(), new.name.as_str()) {
        ("varchar", "text") | ("text", "varchar" | "text") => !new.modifiers.is_empty(),
        ("varchar", "varchar") | ("varbit", "varbit") => {
            !widens(modifier(old, 0), modifier(new, 0), new.modifiers.is_empty())
        }
        ("numeric", "numeric") => {
            if new.modifiers.is_empty() {
                return false;
            }
            let same_scale = modifier(old, 1).unwrap_or(0) == modifier(new, 1).unwrap_or(0);
            !(same_scale && widens(modifier(old, 0), modifier(new, 0), false))
        }
        ("cidr", "inet") => false,
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn type_of(sql: &str) -> TypeRef {
        let parsed = pg_query::parse(&format!("CREATE TABLE t (c {sql})"), 0).expect("parses");
        let Some(Node::CreateStmt(create)) = parsed.protobuf.stmts[0]
            .stmt
            .as_ref()
            .and_then(|stmt| stmt.node.clone())
        else {
            panic!("not a CREATE TABLE");
        };
        let Some(Node::ColumnDef(column)) = create.table_elts[0].node.as_ref() else {
            panic!("not a column");
        };
        type_ref(column.type_name.as_ref().expect("typed"))
    }

    #[test]
    fn types_are_normalized() {
        assert_eq!(type_of("int").to_string(), "int4");
        assert_eq!(type_of("character varying(20)").to_string(), "varchar(20)");
        assert_eq!(
            type_of("timestamp with time zone").to_string(),
            "timestamptz"
        );
        assert_eq!(type_of("numeric(10, 2)[]").to_string(), "numeric(10,2)[]");
        assert_eq!(type_of("public.citext").to_string(), "public.citext");
        assert_eq!(type_of("text").to_string(), "text");
    }

    #[test]
    fn only_widening_binary_coercible_changes_skip_the_rewrite() {
        let rewrites =
            |old: &str, new: &str| type_change_rewrites(&type_of(old), &type_of(new), false);
        assert!(!rewrites("varchar(10)", "varchar(20)"));
        assert!(!rewrites("varchar(10)", "text"));
        assert!(!rewrites("varchar(10)", "varchar"));
        assert!(!rewrites("text", "varchar"));
        assert!(!rewrites("numeric(10,2)", "numeric(12,2)"));
        assert!(!rewrites("numeric(10,2)", "numeric"));
        assert!(!rewrites("cidr", "inet"));
        assert!(!rewrites("int", "integer"));
        assert!(rewrites("varchar(20)", "varchar(10)"));
        assert!(rewrites("text", "varchar(10)"));
        assert!(rewrites("numeric(10,2)", "numeric(12,4)"));
        assert!(rewrites("numeric", "numeric(12,2)"));
        assert!(rewrites("int", "bigint"));
        assert!(rewrites("timestamp", "timestamptz"));
        assert!(rewrites("varchar(10)[]", "text"));
        assert!(type_change_rewrites(
            &type_of("text"),
            &type_of("text"),
            true
        ));
    }
}
