//! ## What it flags
//!
//! `ALTER TABLE ... ALTER COLUMN ... TYPE` on a table that existed before this migration, to a
//! type with a limit that may be smaller than the column's current one: `smallint`,
//! `integer`, `real`, `varchar(n)`, `char(n)`, `bit(n)`, `varbit(n)` or `numeric(p, s)`.
//! strata does not know the column's current type, so this is a best effort: a change from
//! `integer` to `bigint` or to `text` is not flagged, one from `smallint` to `integer` is.
//!
//! ## Why it is dangerous
//!
//! Values that do not fit the new type make the statement fail (`value too long`, `integer
//! out of range`, `numeric field overflow`) after a rewrite under an ACCESS EXCLUSIVE lock;
//! with a `USING` clause that truncates or rounds, they are silently cut and the lost part
//! cannot be recovered.
//!
//! ## Example
//!
//! ```sql
//! alter table accounts alter column name type varchar(50);
//! ```
//!
//! ## Instead
//!
//! Check the data first (`select max(length(name)) from accounts`), keep the wider type and
//! enforce the limit with a `NOT VALID` check constraint validated later, or, when the change
//! is known to widen, silence the rule with `-- strata:allow narrowing-column-type -- reason`.

use strata_sql::analyze::{Action, ColumnChange, EffectDetails, ObjectKind, TypeRef};

use crate::lint::{Finding, StatementContext};

pub(crate) fn check(context: &StatementContext<'_>, out: &mut Vec<Finding>) {
    let Some(analysis) = context.analysis else {
        return;
    };
    if context.is_down {
        return;
    }
    for effect in &analysis.effects {
        let (
            Action::Alter,
            ObjectKind::Column,
            EffectDetails::ColumnChange(ColumnChange::Type { type_name, .. }),
            Some(table),
        ) = (
            effect.action,
            effect.object.kind,
            &effect.details,
            &effect.object.parent,
        )
        else {
            continue;
        };
        if !may_narrow(type_name) || !context.is_existing_table(table) {
            continue;
        }
        out.push(Finding {
            span: context.statement().span.clone(),
            message: format!(
                "changing `{table}.{}` to `{type_name}` may narrow it: values that do not fit fail the migration or are cut",
                effect.object.name.name
            ),
            help: "check the data fits first, or keep the wider type and add a NOT VALID check constraint for the limit".to_owned(),
        });
    }
}

/// Whether the type has a limit smaller than a common wider type's.
fn may_narrow(type_name: &TypeRef) -> bool {
    if type_name.schema.is_some() || type_name.array_dimensions > 0 {
        return false;
    }
    match type_name.name.as_str() {
        "int2" | "int4" | "float4" => true,
        "varchar" | "bpchar" | "bit" | "varbit" | "numeric" => !type_name.modifiers.is_empty(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use crate::Rule;
    use crate::rules::test_support::{violations, violations_in};

    const RULE: Rule = Rule::NarrowingColumnType;

    #[test]
    fn flags_limited_target_types_on_an_existing_table() {
        let found = violations_in(
            RULE,
            &[
                ("0001_a.sql", "create table a (n bigint, s text);\n"),
                ("0002_b.sql", "alter table a alter column n type int;\n"),
            ],
        );
        assert_eq!(found.len(), 1);
        assert_eq!(
            violations(RULE, "alter table a alter column s type varchar(50);\n").len(),
            1
        );
        assert_eq!(
            violations(RULE, "alter table a alter column p type numeric(10, 2);\n").len(),
            1
        );
    }

    #[test]
    fn accepts_unlimited_types_and_new_tables() {
        assert!(violations(RULE, "alter table a alter column n type bigint;\n").is_empty());
        assert!(violations(RULE, "alter table a alter column s type text;\n").is_empty());
        assert!(violations(RULE, "alter table a alter column s type varchar;\n").is_empty());
        assert!(
            violations(
                RULE,
                "create table a (n bigint);\nalter table a alter column n type int;\n"
            )
            .is_empty()
        );
    }
}
