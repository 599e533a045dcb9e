//! ## What it flags
//!
//! `CREATE VIEW` in a schema exposed to API clients (`public` in a Supabase project, or
//! those `exposed_schemas` lists) without `WITH (security_invoker = true)`.
//!
//! ## Why it is dangerous
//!
//! A view runs its query with the privileges of its owner, usually `postgres`, which
//! bypasses row-level security on the tables it reads. Exposed through the API, it hands
//! every row of those tables to anyone who can select from the view, whatever their
//! policies say.
//!
//! ## Example
//!
//! ```sql
//! create view public.recent_notes as
//!   select * from public.notes where created_at > now() - interval '1 day';
//! ```
//!
//! ## Instead
//!
//! On PostgreSQL 15 and later, make the view check the caller's privileges and policies:
//!
//! ```sql
//! create view public.recent_notes with (security_invoker = true) as
//!   select * from public.notes where created_at > now() - interval '1 day';
//! ```
//!
//! On older servers, keep the view in a schema that is not exposed, or revoke access to it
//! from `anon` and `authenticated`.

use strata_sql::analyze::{Action, EffectDetails, ObjectKind};

use crate::context::{StatementContext, StatementReport};
use crate::model::in_schemas;

pub(crate) fn check(context: &StatementContext<'_>, report: &mut StatementReport<'_>) {
    for effect in context.effects() {
        let EffectDetails::View(view) = &effect.details else {
            continue;
        };
        let created =
            effect.action == Action::Create || (effect.action == Action::Alter && view.or_replace);
        if created
            && effect.object.kind == ObjectKind::View
            && view.security_invoker != Some(true)
            && in_schemas(&effect.object.name, context.exposed_schemas)
        {
            report.on(
            effect,
                format!(
                    "view `{}` runs with its owner's privileges and bypasses row level security",
                    effect.object.name
                ),
                "add `with (security_invoker = true)` (PostgreSQL 15+), or move the view out of exposed schemas",
            );
        }
    }
}
