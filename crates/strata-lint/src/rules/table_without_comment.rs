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

use strata_sql::analyze::{Action, EffectDetails, ObjectKind, Persistence};

use crate::lint::{Finding, StatementContext};
use crate::model::key;

pub(crate) fn check(context: &StatementContext<'_>, out: &mut Vec<Finding>) {
    let Some(analysis) = context.analysis else {
        return;
    };
    for effect in &analysis.effects {
        let (Action::Create, ObjectKind::Table, EffectDetails::Table(table)) =
            (effect.action, effect.object.kind, &effect.details)
        else {
            continue;
        };
        if table.from_query
            || table.partition_of.is_some()
            || table.persistence == Persistence::Temporary
            || context
                .facts
                .commented_after(&key(&effect.object.name), context.index)
        {
            continue;
        }
        out.push(Finding {
            span: context.statement().span.clone(),
            message: format!("table `{}` has no comment", effect.object.name),
            help: format!(
                "add `comment on table {} is '...';` after it, saying what a row is",
                effect.object.name
            ),
        });
    }
}
