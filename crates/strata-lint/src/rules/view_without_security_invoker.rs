//! ## What it flags
//!
//! `CREATE VIEW` in a schema exposed to API clients (`public` by default) without
//! `WITH (security_invoker = true)`.
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

use crate::lint::{Finding, StatementContext};
use crate::model::in_schemas;

pub(crate) fn check(context: &StatementContext<'_>, out: &mut Vec<Finding>) {
    let Some(analysis) = context.analysis else {
        return;
    };
    for effect in &analysis.effects {
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
            out.push(Finding {
                span: context.statement().span.clone(),
                message: format!(
                    "view `{}` runs with its owner's privileges and bypasses row level security",
                    effect.object.name
                ),
                help: "add `with (security_invoker = true)` (PostgreSQL 15+), or move the view out of exposed schemas".to_owned(),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::Rule;
    use crate::rules::test_support::violations;

    const RULE: Rule = Rule::ViewWithoutSecurityInvoker;

    #[test]
    fn flags_an_exposed_view_without_security_invoker() {
        let found = violations(
            RULE,
            "create table a (id int);\ncreate view v as select * from a;\n",
        );
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].line(), Some(2));
        assert_eq!(
            violations(
                RULE,
                "create or replace view public.v with (security_invoker = false) as select 1 as one;\n"
            )
            .len(),
            1
        );
    }

    #[test]
    fn accepts_security_invoker_and_private_schemas() {
        assert!(
            violations(
                RULE,
                "create view v with (security_invoker = true) as select 1 as one;\ncreate view private.w as select 1 as one;\n",
            )
            .is_empty()
        );
    }
}
