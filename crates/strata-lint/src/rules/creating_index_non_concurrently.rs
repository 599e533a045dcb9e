//! ## What it flags
//!
//! `CREATE INDEX` without `CONCURRENTLY` on a table that existed before this migration.
//!
//! ## Why it is dangerous
//!
//! A plain `CREATE INDEX` takes a SHARE lock on the table for the whole build: reads go on,
//! but every `INSERT`, `UPDATE` and `DELETE` waits until the index is built, which on a large
//! table takes minutes.
//!
//! ## Example
//!
//! ```sql
//! create index accounts_email_idx on accounts (email);
//! ```
//!
//! ## Instead
//!
//! Build it concurrently (SHARE UPDATE EXCLUSIVE, which blocks neither reads nor writes), in
//! a migration of its own that runs outside a transaction:
//!
//! ```sql
//! -- strata:no-transaction
//! create index concurrently if not exists accounts_email_idx on accounts (email);
//! ```

use strata_sql::analyze::{Action, EffectDetails, ObjectKind};

use crate::lint::{Finding, StatementContext};

pub(crate) fn check(context: &StatementContext<'_>, out: &mut Vec<Finding>) {
    let Some(analysis) = context.analysis else {
        return;
    };
    if context.is_down {
        return;
    }
    for effect in &analysis.effects {
        let (Action::Create, ObjectKind::Index, EffectDetails::Index(index), Some(table)) = (
            effect.action,
            effect.object.kind,
            &effect.details,
            &effect.object.parent,
        ) else {
            continue;
        };
        if index.concurrently || !context.is_existing_table(table) {
            continue;
        }
        out.push(Finding {
            span: context.statement().span.clone(),
            message: format!(
                "creating an index on existing table `{table}` without CONCURRENTLY takes a SHARE lock that blocks writes during the build"
            ),
            help: "use `CREATE INDEX CONCURRENTLY` in a migration of its own with `-- strata:no-transaction`".to_owned(),
        });
    }
}

#[cfg(test)]
mod tests {
    use crate::Rule;
    use crate::rules::test_support::{violations, violations_in};

    const RULE: Rule = Rule::CreatingIndexNonConcurrently;

    #[test]
    fn flags_a_plain_index_on_an_existing_table() {
        let found = violations_in(
            RULE,
            &[
                ("0001_a.sql", "create table a (id int, email text);\n"),
                ("0002_b.sql", "create index a_email_idx on a (email);\n"),
            ],
        );
        assert_eq!(found.len(), 1);
        // A table made outside the migrations counts as existing.
        assert_eq!(
            violations(RULE, "create unique index b_idx on b (id);\n").len(),
            1
        );
    }

    #[test]
    fn accepts_concurrent_indexes_and_new_tables() {
        assert!(
            violations(
                RULE,
                "-- strata:no-transaction\ncreate index concurrently a_idx on a (id);\n"
            )
            .is_empty()
        );
        assert!(
            violations(
                RULE,
                "create table a (id int);\ncreate index a_idx on a (id);\n"
            )
            .is_empty()
        );
    }
}
