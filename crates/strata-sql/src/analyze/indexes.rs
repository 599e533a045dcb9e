//! Indexes: `CREATE INDEX`, and reading index elements, which unique and
//! exclusion constraints share. `DROP INDEX`, `ALTER INDEX` and `REINDEX`
//! are with the statements of their kind.

use pg_query::protobuf;
use pg_query::protobuf::node::Node;

use super::expr::{expression, range_var};
use super::location::Sink;
use super::{Action, Effect, EffectDetails, IndexDetails, Lock, ObjectKind, ObjectRef};

/// `CREATE INDEX`.
pub(super) fn create_index(stmt: &protobuf::IndexStmt, out: &mut Sink<'_>) {
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
    // The parser records no location for the index's name.
    out.push(
        Effect::new(
            Action::Create,
            ObjectRef::within(ObjectKind::Index, &stmt.idxname, table),
        )
        .lock(lock)
        .scans(stmt.unique)
        .details(EffectDetails::Index(details)),
    );
}

/// An index element: the column name, or the expression's text.
pub(super) fn index_element(element: &protobuf::IndexElem) -> String {
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
