//! ## What it flags
//!
//! `CREATE TABLE` of a table that no `COMMENT ON TABLE` describes later in the same
//! migration. Opt-in (off by default): enable it in `strata.toml` if the team documents its
//! schema in the database. `CREATE TABLE AS`, partitions and temporary tables are not
//! judged.
//!
//! ## Why it is dangerous
//!
//! It is not dangerous, it is a convention: comments are the schema's documentation,
//! shown by `\d+`, Supabase Studio and the generated API docs, and a table nobody described
//! when it was created rarely gets described later.
//!
//! ## Example
//!
//! ```sql
//! create table public.notes (id bigint primary key, body text);
//! ```
//!
//! ## Instead
//!
//! ```sql
//! create table public.notes (id bigint primary key, body text);
//! comment on table public.notes is 'Free-form notes users keep on their projects.';
//! ```

use crate::context::{StatementContext, StatementReport};
use crate::model::key;

pub(crate) fn check(context: &StatementContext<'_>, report: &mut StatementReport<'_>) {
    for (effect, _) in context.tables_defined() {
        let name = &effect.object.name;
        if context.facts.commented_after(&key(name), context.index) {
            continue;
        }
        report.on(
            effect,
            format!("table `{name}` has no comment"),
            format!("add `comment on table {name} is '...';` after it, saying what a row is"),
        );
    }
}
