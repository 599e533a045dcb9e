//! ## What it flags
//!
//! `CREATE POLICY` or `ALTER POLICY` whose `USING` or `WITH CHECK` expression calls
//! `auth.uid()`, `auth.jwt()` or `auth.role()` directly rather than wrapped in a
//! sub-select, `(select auth.uid())`.
//!
//! ## Why it is dangerous
//!
//! PostgreSQL evaluates a policy's expression for every row the query touches, and a bare
//! function call in it is called again for each row. On a large table a simple
//! `select ... limit 10` with a filter the index cannot serve then calls `auth.uid()`
//! (which parses the request's JWT settings) millions of times, and queries that should
//! take milliseconds take seconds. Wrapped in a sub-select, the call becomes an initPlan
//! the planner runs once per statement and caches.
//!
//! ## Example
//!
//! ```sql
//! create policy "owners read" on public.notes
//!   for select using (auth.uid() = user_id);
//! ```
//!
//! ## Instead
//!
//! ```sql
//! create policy "owners read" on public.notes
//!   for select using ((select auth.uid()) = user_id);
//! ```

use strata_sql::analyze::EffectDetails;

use crate::context::{StatementContext, StatementReport};

const FUNCTIONS: &[&str] = &["auth.uid(", "auth.jwt(", "auth.role("];

pub(crate) fn check(context: &StatementContext<'_>, report: &mut StatementReport<'_>) {
    for effect in context.effects() {
        let EffectDetails::Policy(policy) = &effect.details else {
            continue;
        };
        let mut calls: Vec<&str> = Vec::new();
        for expression in [&policy.using, &policy.with_check].into_iter().flatten() {
            for call in bare_calls(&expression.sql) {
                if !calls.contains(&call) {
                    calls.push(call);
                }
            }
        }
        if calls.is_empty() {
            continue;
        }
        let listed: Vec<String> = calls.iter().map(|c| format!("`{c})`")).collect();
        let wrapped: Vec<String> = calls.iter().map(|c| format!("`(select {c}))`")).collect();
        report.on(
            effect,
            format!(
                "policy `{}` calls {} for every row",
                effect.object.name,
                listed.join(", ")
            ),
            format!(
                "wrap the call in a sub-select so it runs once per statement: {}",
                wrapped.join(", ")
            ),
        );
    }
}

/// The auth functions `sql` calls outside any `(SELECT ...)`, as `auth.uid(`.
fn bare_calls(sql: &str) -> Vec<&'static str> {
    let lower = sql.to_ascii_lowercase();
    let bytes = lower.as_bytes();
    let mut found = Vec::new();
    // For each open parenthesis: whether it opens a sub-select.
    let mut parens: Vec<bool> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            quote @ (b'\'' | b'"') => {
                // Skip a string literal or quoted identifier ('' and "" escape themselves).
                i += 1;
                while i < bytes.len() && bytes[i] != quote {
                    i += 1;
                }
            }
            b'(' => {
                let rest = lower[i + 1..].trim_start();
                let select = rest.starts_with("select")
                    && !rest[6..]
                        .bytes()
                        .next()
                        .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_');
                parens.push(select);
            }
            b')' => {
                parens.pop();
            }
            _ => {
                let boundary = i == 0 || {
                    let before = bytes[i - 1];
                    !(before.is_ascii_alphanumeric() || before == b'_' || before == b'.')
                };
                if boundary && !parens.contains(&true) {
                    for function in FUNCTIONS {
                        if lower[i..].starts_with(function) && !found.contains(function) {
                            found.push(*function);
                        }
                    }
                }
            }
        }
        i += 1;
    }
    found
}

#[cfg(test)]
mod tests {
    use super::bare_calls;

    #[test]
    fn scanner_ignores_strings_and_look_alikes() {
        assert!(bare_calls("note = 'auth.uid()'").is_empty());
        assert!(bare_calls("myauth.uid() = x").is_empty());
        assert_eq!(
            bare_calls("user_id IN (SELECT m.user_id FROM members m WHERE auth.role() = 'x')"),
            Vec::<&str>::new()
        );
        assert_eq!(bare_calls("(auth.uid() = a) AND b"), ["auth.uid("]);
    }
}
