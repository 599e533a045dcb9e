//! ## What it flags
//!
//! `GRANT` of `INSERT`, `UPDATE`, `DELETE`, `TRUNCATE` or `ALL` to the `anon` role, on
//! objects, on all tables of a schema, or as default privileges, in a project that exposes
//! schemas to API clients.
//!
//! ## Why it is dangerous
//!
//! `anon` is the role of every request made with Supabase's public API key, which ships in
//! every client. A write privilege granted to it lets anyone on the internet change data,
//! held back only by row-level security; `TRUNCATE` is not even subject to row-level
//! security.
//!
//! ## Example
//!
//! ```sql
//! grant insert, update on public.comments to anon;
//! ```
//!
//! ## Instead
//!
//! Grant writes to `authenticated` (signed-in users) and restrict them with policies; give
//! `anon` `SELECT` at most:
//!
//! ```sql
//! grant select on public.comments to anon;
//! grant insert, update on public.comments to authenticated;
//! ```

use strata_sql::analyze::{Action, EffectDetails, GrantTarget};

use crate::context::{StatementContext, StatementReport};

const WRITES: &[&str] = &["insert", "update", "delete", "truncate", "all"];

pub(crate) fn check(context: &StatementContext<'_>, report: &mut StatementReport<'_>) {
    for effect in context.effects() {
        let EffectDetails::Grant(grant) = &effect.details else {
            continue;
        };
        if effect.action != Action::Grant
            || grant.target == GrantTarget::RoleMembership
            || !grant.grantees.iter().any(|g| g == "anon")
        {
            continue;
        }
        let writes: Vec<&str> = grant
            .privileges
            .iter()
            .map(String::as_str)
            .filter(|p| WRITES.contains(p))
            .collect();
        if writes.is_empty() {
            continue;
        }
        report.on(
            effect,
            format!(
                "grants {} on {} to `anon`, the role of every request with the public API key",
                writes.join(", ").to_uppercase(),
                effect.object
            ),
            "grant writes to `authenticated` and restrict them with policies; give `anon` SELECT at most",
        );
        // One finding per statement is enough.
        return;
    }
}
