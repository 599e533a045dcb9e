//! ## What it flags
//!
//! `ALTER TABLE ... RENAME TO` of a table that existed before this migration.
//!
//! ## Why it is dangerous
//!
//! The rename itself is quick, though it takes an ACCESS EXCLUSIVE lock that blocks reads and
//! writes while it waits for running queries. The real harm is to the application: the code
//! that is running while the migration deploys still uses the old name, and every query it
//! sends fails until the new code is out.
//!
//! ## Example
//!
//! ```sql
//! alter table account rename to accounts;
//! ```
//!
//! ## Instead
//!
//! Rename, then create a view with the old name so running code keeps working, and drop the
//! view once no code uses the old name:
//!
//! ```sql
//! alter table account rename to accounts;
//! create view account as select * from accounts;
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
        let (Action::Rename, ObjectKind::Table, EffectDetails::Rename(new_name)) =
            (effect.action, effect.object.kind, &effect.details)
        else {
            continue;
        };
        let table = &effect.object.name;
        if !context.is_existing_table(table) {
            continue;
        }
        out.push(Finding {
            span: context.statement().span.clone(),
            message: format!(
                "renaming table `{table}` to `{new_name}` breaks running code that still uses the old name"
            ),
            help: "keep a view with the old name until no code uses it, or copy to a new table and switch over".to_owned(),
        });
    }
}

#[cfg(test)]
mod tests {
    use crate::Rule;
    use crate::rules::test_support::{violations, violations_in};

    const RULE: Rule = Rule::RenamingTable;

    #[test]
    fn flags_renaming_an_existing_table() {
        let found = violations_in(
            RULE,
            &[
                ("0001_a.sql", "create table a (id int);\n"),
                ("0002_b.sql", "alter table a rename to b;\n"),
            ],
        );
        assert_eq!(found.len(), 1);
    }

    #[test]
    fn accepts_renaming_a_new_table() {
        assert!(
            violations(
                RULE,
                "create table a (id int);\nalter table a rename to b;\n"
            )
            .is_empty()
        );
        assert!(violations(RULE, "alter table a rename column x to y;\n").is_empty());
    }
}
