//! ## What it flags
//!
//! `CREATE FUNCTION` or `CREATE PROCEDURE` with `SECURITY DEFINER` and no
//! `SET search_path` among its options.
//!
//! ## Why it is dangerous
//!
//! A `SECURITY DEFINER` function runs with its owner's privileges (often `postgres`) but
//! resolves unqualified names through the caller's `search_path`. A caller who can create
//! objects in a schema on that path (or set `search_path` themselves) can shadow a table,
//! function or operator the body uses, and have their own code run with the owner's
//! rights: privilege escalation.
//!
//! ## Example
//!
//! ```sql
//! create function public.is_admin() returns boolean
//! language sql security definer
//! as $$ select exists (select 1 from admins where user_id = auth.uid()) $$;
//! ```
//!
//! ## Instead
//!
//! Fix the search path (empty is safest) and qualify every name in the body:
//!
//! ```sql
//! create function public.is_admin() returns boolean
//! language sql security definer set search_path = ''
//! as $$ select exists (select 1 from public.admins where user_id = auth.uid()) $$;
//! ```

use strata_sql::analyze::{Action, EffectDetails};

use crate::context::{StatementContext, StatementReport};

pub(crate) fn check(context: &StatementContext<'_>, report: &mut StatementReport<'_>) {
    for effect in context.effects() {
        let EffectDetails::Function(function) = &effect.details else {
            continue;
        };
        let created = effect.action == Action::Create
            || (effect.action == Action::Alter && function.or_replace);
        if created && function.security_definer == Some(true) && function.search_path.is_none() {
            report.on(
                effect,
                format!(
                    "{} `{}` is SECURITY DEFINER without a fixed search_path",
                    effect.object.kind, effect.object.name
                ),
                "add `set search_path = ''` and schema-qualify every name in the body",
            );
        }
    }
}
