//! ## What it flags
//!
//! A column declared `serial`, `bigserial` or `smallserial` (or `serial2`, `serial4`,
//! `serial8`), in `CREATE TABLE` or `ADD COLUMN`.
//!
//! ## Why it is dangerous
//!
//! `serial` is a shorthand for an integer column with a default taken from a separately
//! owned sequence: the sequence needs its own grants (`USAGE` for every role that inserts),
//! is easy to leave behind when copying or renaming the table, and anyone can insert
//! explicit ids that later collide with it. `serial` is also a four-byte `integer`, which
//! busy tables exhaust; widening it later rewrites the table under an `ACCESS EXCLUSIVE`
//! lock, blocking reads and writes.
//!
//! ## Example
//!
//! ```sql
//! create table public.orders (id serial primary key);
//! ```
//!
//! ## Instead
//!
//! An identity column, SQL standard, bound to its table, and `bigint`:
//!
//! ```sql
//! create table public.orders (id bigint generated always as identity primary key);
//! ```

use crate::lint::{Finding, StatementContext};

const SERIALS: &[&str] = &[
    "serial",
    "bigserial",
    "smallserial",
    "serial2",
    "serial4",
    "serial8",
];

pub(crate) fn check(context: &StatementContext<'_>, out: &mut Vec<Finding>) {
    for (column, type_name) in context.typed_columns(false) {
        if type_name.schema.is_none() && SERIALS.contains(&type_name.name.as_str()) {
            out.push(Finding {
                span: context.statement().span.clone(),
                message: format!("column `{column}` is {}", type_name.name),
                help: "use `bigint generated always as identity` (or `by default` if you must insert ids)".to_owned(),
            });
        }
    }
}
