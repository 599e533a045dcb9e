//! Views and materialized views: `CREATE [OR REPLACE] VIEW`, `CREATE
//! MATERIALIZED VIEW` and its sibling `CREATE TABLE ... AS`, which share
//! PostgreSQL's parse node. Each also reads the tables of its query.

use pg_query::protobuf::node::Node;
use pg_query::protobuf::{self, ObjectType, ViewCheckOption};

use super::dml::reads;
use super::expr::{def_elems, option_bool, option_value, range_var};
use super::location::Sink;
use super::tables::persistence;
use super::{
    Action, Effect, EffectDetails, Lock, ObjectKind, ObjectRef, TableDetails, ViewDetails,
};

/// `CREATE [OR REPLACE] VIEW`.
pub(super) fn view(stmt: &protobuf::ViewStmt, node: &Node, out: &mut Sink<'_>) {
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
            .at(out.relation_at(stmt.view.as_ref()))
            .details(EffectDetails::View(details)),
    );
    reads(node, Lock::AccessShare, out);
}

/// `CREATE MATERIALIZED VIEW` and `CREATE TABLE ... AS`.
pub(super) fn create_table_as(stmt: &protobuf::CreateTableAsStmt, node: &Node, out: &mut Sink<'_>) {
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
    out.push(effect.at(out.relation_at(into.and_then(|into| into.rel.as_ref()))));
    reads(node, Lock::AccessShare, out);
}

/// Reads a view's `WITH (...)` options.
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
