//! ## What it flags
//!
//! `DROP TABLE` without `IF EXISTS` of a table that no earlier migration, or earlier
//! statement of this one, creates, or that one already dropped or renamed, in a schema of
//! the project: `public`, a schema exposed to API clients (`exposed_schemas`), or one an
//! earlier statement creates (without `IF NOT EXISTS`). Other schemas are not judged: their
//! tables may come from the platform or from extensions.
//!
//! ## Why it is dangerous
//!
//! PostgreSQL rejects the statement (`table ... does not exist`, SQLSTATE 42P01) and the
//! deploy fails on every database built from the migrations. When it does not fail, the
//! table was made outside the migrations, and a fresh database (a preview branch, a
//! teammate's machine) cannot be built from them.
//!
//! ## Example
//!
//! ```sql
//! drop table public.note;  -- the table is `notes`
//! ```
//!
//! ## Instead
//!
//! Fix the name, or write `IF EXISTS` if the table may legitimately be missing:
//!
//! ```sql
//! drop table if exists public.legacy_notes;
//! ```

use strata_sql::analyze::{Action, EffectDetails, ObjectKind};

use crate::context::{StatementContext, StatementReport};

pub(crate) fn check(context: &StatementContext<'_>, report: &mut StatementReport<'_>) {
    for effect in context.effects() {
        let (Action::Drop, ObjectKind::Table, EffectDetails::Drop(drop)) =
            (effect.action, effect.object.kind, &effect.details)
        else {
            continue;
        };
        let name = &effect.object.name;
        if drop.if_exists || !context.in_owned_schema(name) || context.model.table(name).is_some() {
            continue;
        }
        report.on(
            effect,
            format!("drops table `{name}`, which no earlier migration creates"),
            "fix the name, or write `drop table if exists` if the table may be missing",
        );
    }
}
