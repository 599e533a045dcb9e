//! ## What it flags
//!
//! A foreign key (in `CREATE TABLE`, `ADD COLUMN` or `ADD CONSTRAINT`) that references a
//! table no earlier migration, and no earlier statement of this one, creates. Only targets
//! in a schema of the project are judged: `public` (or no schema), a schema exposed to API
//! clients (`exposed_schemas`), or one an earlier statement creates (without `IF NOT
//! EXISTS`). Tables such as `auth.users` come from the platform, not from the migrations.
//! Down sections are not judged.
//!
//! ## Why it is dangerous
//!
//! PostgreSQL rejects the statement (`relation ... does not exist`) and the deploy fails,
//! unless the table happens to exist in the one database the migration was tried on
//! (created by hand, or by a migration since deleted). Either way a fresh database, a
//! preview branch or a teammate's machine cannot be built from the migrations alone.
//!
//! ## Example
//!
//! ```sql
//! create table public.notes (
//!   id bigint primary key,
//!   project_id bigint references public.projects (id)
//! );
//! ```
//!
//! ## Instead
//!
//! Create the referenced table first, in an earlier migration or earlier in this one, or
//! fix the name:
//!
//! ```sql
//! create table public.projects (id bigint primary key);
//! create table public.notes (
//!   id bigint primary key,
//!   project_id bigint references public.projects (id)
//! );
//! ```

use strata_sql::analyze::{Action, ConstraintKind, EffectDetails, ForeignKeyTarget};

use crate::context::{StatementContext, StatementReport};
use crate::model::key;

pub(crate) fn check(context: &StatementContext<'_>, report: &mut StatementReport<'_>) {
    // Tables this statement creates may reference themselves.
    let created: Vec<String> = context
        .tables_created()
        .map(|(effect, _)| key(&effect.object.name))
        .collect();
    let mut targets: Vec<&ForeignKeyTarget> = Vec::new();
    for effect in context.up_effects() {
        match &effect.details {
            // A new table's constraints include those written on its columns.
            EffectDetails::Table(table) => targets.extend(
                table
                    .constraints
                    .iter()
                    .filter(|c| c.kind == ConstraintKind::ForeignKey)
                    .filter_map(|c| c.references.as_ref()),
            ),
            EffectDetails::Column(column) => targets.extend(column.references.as_ref()),
            EffectDetails::Constraint(c) if c.kind == ConstraintKind::ForeignKey => {
                targets.extend(c.references.as_ref());
            }
            _ => {}
        }
    }
    let mut reported: Vec<String> = Vec::new();
    for target in targets {
        let name = &target.table;
        let target_key = key(name);
        if !context.in_owned_schema(name)
            || context.model.table(name).is_some()
            || created.contains(&target_key)
            || reported.contains(&target_key)
        {
            continue;
        }
        // Where the statement names the table: its effect of locking it.
        let named = context
            .effects()
            .find(|effect| effect.action == Action::Reference && effect.object.name == *name)
            .and_then(|effect| effect.location.as_ref());
        report.at(
            named,
            format!("foreign key references `{name}`, which no earlier migration creates"),
            format!(
                "create `{name}` before this statement (in an earlier migration or earlier in this one), or fix the name"
            ),
        );
        reported.push(target_key);
    }
}
