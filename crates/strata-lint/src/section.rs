//! What the other statements of a section tell the rules about this one.
//!
//! A few rules depend on the rest of their section: the first exclusive lock
//! without a lock timeout, a use of an enum value added earlier in the same
//! transaction, a table commented on later. Rather than let each rule scan
//! the section at every statement (quadratic in statements per file), the
//! linter keeps these facts as it walks the statements in order, and learns
//! the one fact about later statements (table comments) in a single pass
//! beforehand. Rules see only their own statement and these facts, so no rule
//! can make lint quadratic again.

use std::collections::HashMap;
use std::ops::Range;

use strata_sql::Statement;
use strata_sql::analyze::{Action, Analysis, EffectDetails, ObjectKind};

use crate::context::StatementContext;
use crate::model::key;

/// PostgreSQL refuses enum labels longer than this (`NAMEDATALEN - 1` bytes),
/// so longer ones are never added and need not be looked for.
const MAX_ENUM_LABEL: usize = 63;

/// The facts about a section that its statements' rules may ask, as of the
/// statement being judged.
#[derive(Debug, Default)]
pub(crate) struct SectionFacts {
    /// Whether an earlier statement set `lock_timeout`.
    pub lock_timeout_set: bool,
    /// Whether an earlier statement took an ACCESS EXCLUSIVE lock on a table
    /// that existed before the migration (as the schema stood then).
    pub exclusive_lock_taken: bool,
    /// Enum values added by earlier statements, as SQL literals (`'paid'`),
    /// with the order in which they were first added.
    enum_values: HashMap<String, usize>,
    /// The longest literal in `enum_values`, in bytes.
    longest_enum_literal: usize,
    /// For each table (by model key) given a comment in this section, the
    /// index of the last statement that does.
    table_comments: HashMap<String, usize>,
}

impl SectionFacts {
    /// The facts before the first statement. With `comments`, the table
    /// comments of the whole section are read first (analysing only its
    /// `COMMENT` statements); without, no table counts as commented.
    pub(crate) fn new(section_text: &str, statements: &[Statement], comments: bool) -> Self {
        let mut facts = Self::default();
        if !comments {
            return facts;
        }
        for (index, statement) in statements.iter().enumerate() {
            if statement.tag != "COMMENT" {
                continue;
            }
            let Some(text) = section_text.get(statement.span.clone()) else {
                continue;
            };
            let Ok(analysis) = strata_sql::analyze::analyze(text) else {
                continue;
            };
            for effect in &analysis.effects {
                if effect.action == Action::Comment
                    && effect.object.kind == ObjectKind::Table
                    && matches!(&effect.details, EffectDetails::Comment(Some(_)))
                {
                    facts.table_comments.insert(key(&effect.object.name), index);
                }
            }
        }
        facts
    }

    /// What the statement just judged adds to the facts, read before the
    /// schema model applies it.
    pub(crate) fn learned(context: &StatementContext<'_>) -> Learned {
        Learned {
            sets_lock_timeout: sets_lock_timeout(context.text()),
            exclusive_lock: context.exclusive_lock_on_existing_table().is_some(),
        }
    }

    /// Takes in the statement just judged: what [`SectionFacts::learned`]
    /// read of it, and its analysis.
    pub(crate) fn record(&mut self, learned: Learned, analysis: Option<&Analysis>) {
        self.lock_timeout_set |= learned.sets_lock_timeout;
        self.exclusive_lock_taken |= learned.exclusive_lock;
        let Some(analysis) = analysis else {
            return;
        };
        for effect in &analysis.effects {
            if effect.action != Action::Create || effect.object.kind != ObjectKind::EnumValue {
                continue;
            }
            let value = &effect.object.name.name;
            if value.len() > MAX_ENUM_LABEL {
                continue;
            }
            let literal = format!("'{}'", value.replace('\'', "''"));
            self.longest_enum_literal = self.longest_enum_literal.max(literal.len());
            let order = self.enum_values.len();
            self.enum_values.entry(literal).or_insert(order);
        }
    }

    /// The first-added of the enum values added by earlier statements whose
    /// literal (`'paid'`) appears in `text`, if any, with the byte range of
    /// its first appearance.
    ///
    /// Every literal starts and ends with a quote, so only the stretches
    /// between two quotes at most the longest literal apart are looked up:
    /// linear in `text`, however many values were added.
    pub(crate) fn enum_value_used_in<'s>(&'s self, text: &str) -> Option<(&'s str, Range<usize>)> {
        if self.enum_values.is_empty() {
            return None;
        }
        let bytes = text.as_bytes();
        let mut first: Option<(&str, usize, Range<usize>)> = None;
        for (start, _) in bytes.iter().enumerate().filter(|&(_, &b)| b == b'\'') {
            let window = bytes
                .get(start + 1..)
                .unwrap_or_default()
                .iter()
                .take(self.longest_enum_literal.saturating_sub(1));
            for (end, _) in window
                .enumerate()
                .filter(|&(_, &b)| b == b'\'')
                .map(|(at, b)| (start + 1 + at, b))
            {
                // Both ends are ASCII quotes, so both are char boundaries.
                let Some(candidate) = text.get(start..=end) else {
                    continue;
                };
                if let Some((literal, &order)) = self.enum_values.get_key_value(candidate)
                    && first.as_ref().is_none_or(|&(_, best, _)| order < best)
                {
                    first = Some((literal.as_str(), order, start..end + 1));
                }
            }
        }
        first.map(|(literal, _, range)| (literal, range))
    }

    /// Whether a statement after the one at `index` gives `table` (a model
    /// key) a comment. Always false unless the facts were made with comments.
    pub(crate) fn commented_after(&self, table: &str, index: usize) -> bool {
        self.table_comments
            .get(table)
            .is_some_and(|&last| last > index)
    }
}

/// What one statement adds to the facts, beside its enum values.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Learned {
    sets_lock_timeout: bool,
    exclusive_lock: bool,
}

/// Whether the statement sets `lock_timeout` (`SET lock_timeout = ...`,
/// `SET LOCAL lock_timeout ...`).
pub(crate) fn sets_lock_timeout(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    lower.contains("lock_timeout") && lower.trim_start().starts_with("set")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_values(values: &[&str]) -> SectionFacts {
        let mut facts = SectionFacts::default();
        for value in values {
            let literal = format!("'{}'", value.replace('\'', "''"));
            facts.longest_enum_literal = facts.longest_enum_literal.max(literal.len());
            let order = facts.enum_values.len();
            facts.enum_values.entry(literal).or_insert(order);
        }
        facts
    }

    /// The literal [`SectionFacts::enum_value_used_in`] finds, without where.
    fn used<'s>(facts: &'s SectionFacts, text: &str) -> Option<&'s str> {
        facts.enum_value_used_in(text).map(|(literal, _)| literal)
    }

    #[test]
    fn enum_values_are_found_as_literals_and_the_first_added_wins() {
        let facts = with_values(&["paid", "refunded", "it's"]);
        assert_eq!(
            facts.enum_value_used_in("update o set s = 'paid'"),
            Some(("'paid'", 17..23))
        );
        assert_eq!(
            facts.enum_value_used_in("select 'refunded', 'paid', 'paid'"),
            Some(("'paid'", 19..25)),
            "the first added, where it first appears"
        );
        assert_eq!(used(&facts, "select 'it''s'"), Some("'it''s'"));
        assert_eq!(used(&facts, "select 'unpaid', paid"), None);
        assert_eq!(used(&facts, "'''''"), None);
        assert_eq!(facts.enum_value_used_in("é'paid'é"), Some(("'paid'", 2..8)));
        assert_eq!(used(&SectionFacts::default(), "'paid'"), None);
    }

    #[test]
    fn enum_value_lookup_agrees_with_a_plain_search() {
        let values = ["a", "ab", "b'c", "", "ü"];
        let facts = with_values(&values);
        let texts = [
            "'a'", "'ab'", "'b''c'", "''", "'ü'", "x'a''b'y", "'''a'''", "'a", "a'", "'ü''a'",
            "'ab''a'",
        ];
        for text in texts {
            let expected = values
                .iter()
                .map(|value| format!("'{}'", value.replace('\'', "''")))
                .find(|literal| text.contains(literal.as_str()));
            assert_eq!(used(&facts, text).map(str::to_owned), expected, "{text}");
        }
    }

    #[test]
    fn lock_timeout_settings_are_recognised() {
        assert!(sets_lock_timeout("SET lock_timeout = '2s'"));
        assert!(sets_lock_timeout("  set local lock_timeout to 1000"));
        assert!(!sets_lock_timeout("select 'lock_timeout'"));
        assert!(!sets_lock_timeout("set statement_timeout = 0"));
    }
}
