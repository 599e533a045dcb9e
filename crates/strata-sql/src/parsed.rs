//! A migration set split once, for every stage that reads it.
//!
//! Validation, lint and the runner all need each section's statements. A
//! [`ParsedSet`] holds a loaded [`MigrationSet`] with every section split
//! (in parallel, once); each stage takes the statements from it instead of
//! splitting the SQL again. A section that is not part of the set (a down
//! read back from history) is split when asked for, through the same type.
//!
//! The one rule about a section's own `BEGIN`/`COMMIT` inside strata's
//! transaction (a plain `BEGIN` first and a plain `COMMIT` last are absorbed)
//! is applied here: [`ParsedSection::runnable`] and
//! [`ParsedSection::transaction_body`]. So is what follows when a section's
//! transaction control cannot be absorbed (several `BEGIN` ... `COMMIT`
//! blocks, a `COMMIT` in the middle): the section manages its own
//! transactions ([`ParsedSection::manages_own_transactions`]) and runs
//! statement by statement as psql runs a file, where
//! [`ParsedSection::open_after`] says where a block of its own is open.

use std::borrow::Cow;
use std::ops::Deref;

use strata_core::plan::Direction;
use strata_core::{Migration, MigrationSet};

use crate::{
    CopySplit, InlineData, Statement, SyntaxError, TransactionControl, split_with_inline_data,
};

/// One section's SQL, split with PostgreSQL's parser (inline `COPY` data
/// stepped over).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParsedSection {
    split: CopySplit,
}

impl ParsedSection {
    /// Splits `sql`.
    #[must_use]
    pub fn of(sql: &str) -> Self {
        Self {
            split: split_with_inline_data(sql),
        }
    }

    /// The statements in order; when the SQL does not parse, those before the
    /// error.
    #[must_use]
    pub fn statements(&self) -> &[Statement] {
        &self.split.statements
    }

    /// The statements, or the error where the parser stopped.
    pub fn parsed(&self) -> Result<&[Statement], &SyntaxError> {
        match &self.split.error {
            Some(error) => Err(error),
            None => Ok(&self.split.statements),
        }
    }

    /// Where the parser stopped, if it did.
    #[must_use]
    pub fn error(&self) -> Option<&SyntaxError> {
        self.split.error.as_ref()
    }

    /// The inline data after `COPY ... FROM STDIN` statements.
    #[must_use]
    pub fn inline_data(&self) -> &[InlineData] {
        &self.split.inline_data
    }

    /// Whether statement `index` is a `BEGIN` or `COMMIT` that strata's own
    /// transaction absorbs: a plain `BEGIN` first, a plain `COMMIT` last.
    #[must_use]
    pub fn is_absorbed(&self, index: usize) -> bool {
        let statements = self.statements();
        statements.get(index).is_some_and(|s| {
            s.transaction_control()
                .is_some_and(|c| c.is_absorbed_at(index, statements.len()))
        })
    }

    /// The statements that run inside strata's transaction: all but the
    /// absorbed ones.
    pub fn runnable(&self) -> impl Iterator<Item = &Statement> {
        self.statements()
            .iter()
            .enumerate()
            .filter(|(i, _)| !self.is_absorbed(*i))
            .map(|(_, s)| s)
    }

    /// `sql` (the text this was split from) with the absorbed `BEGIN` and
    /// `COMMIT` blanked out, same length, so byte offsets hold: a file written
    /// with its own transaction stays atomic inside strata's. Unchanged when
    /// the SQL does not parse.
    #[must_use]
    pub fn transaction_body<'a>(&self, sql: &'a str) -> Cow<'a, str> {
        if self.error().is_some() {
            return Cow::Borrowed(sql);
        }
        let absorbed: Vec<&Statement> = self
            .statements()
            .iter()
            .enumerate()
            .filter(|&(i, s)| {
                self.is_absorbed(i) && sql.get(s.span.clone()).is_some_and(str::is_ascii)
            })
            .map(|(_, s)| s)
            .collect();
        if absorbed.is_empty() {
            return Cow::Borrowed(sql);
        }
        let mut bytes = sql.as_bytes().to_vec();
        for statement in absorbed {
            for b in &mut bytes[statement.span.clone()] {
                if *b != b'\n' {
                    *b = b' ';
                }
            }
        }
        // Only ASCII bytes were replaced by spaces: still UTF-8.
        String::from_utf8(bytes).map_or(Cow::Borrowed(sql), Cow::Owned)
    }

    /// The first transaction control statement (by index) that a
    /// transaction wrapping the whole section cannot absorb: a `COMMIT` or
    /// `ROLLBACK` before the end, a second `BEGIN`, a `BEGIN` with
    /// transaction modes... `None` when there is none, or when the SQL does
    /// not parse.
    #[must_use]
    pub fn own_transaction_control(&self) -> Option<(usize, &Statement)> {
        let statements = self.parsed().ok()?;
        statements.iter().enumerate().find(|(i, s)| {
            s.transaction_control()
                .is_some_and(|c| !c.fits_wrapping_transaction(*i, statements.len()))
        })
    }

    /// Whether the section manages its own transactions: it holds
    /// transaction control that strata's one transaction cannot absorb (see
    /// [`ParsedSection::own_transaction_control`]). Such a file was written
    /// for a runner that executes it as psql does, so it runs statement by
    /// statement, its own blocks honoured, and cannot be applied atomically.
    #[must_use]
    pub fn manages_own_transactions(&self) -> bool {
        self.own_transaction_control().is_some()
    }

    /// For each statement, whether a transaction block of the section's own
    /// is open once it has run, when the statements run one at a time from
    /// outside any block, as psql runs a file: a `BEGIN` opens one; `COMMIT`,
    /// `ROLLBACK` and `PREPARE TRANSACTION` close it; `AND CHAIN` and
    /// savepoints leave it as it was. Where this is false, nothing of the
    /// section is pending: what ran so far is committed (or rolled back by
    /// its own `ROLLBACK`), and a runner may record its progress.
    #[must_use]
    pub fn open_after(&self) -> Vec<bool> {
        let mut open = false;
        self.statements()
            .iter()
            .map(|statement| {
                open = match statement.transaction_control() {
                    Some(TransactionControl::Begin | TransactionControl::BeginWithModes) => true,
                    Some(
                        TransactionControl::Commit
                        | TransactionControl::Rollback
                        | TransactionControl::PrepareTransaction,
                    ) => false,
                    _ => open,
                };
                open
            })
            .collect()
    }

    /// The `BEGIN` (by index) whose block is still open after the last
    /// statement: nothing closes it before the section ends.
    #[must_use]
    pub fn unclosed_block(&self) -> Option<(usize, &Statement)> {
        let open = self.open_after();
        if open.last() != Some(&true) {
            return None;
        }
        let first_open = open.iter().rposition(|o| !o).map_or(0, |i| i + 1);
        self.statements().get(first_open).map(|s| (first_open, s))
    }
}

/// A migration's sections, split.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParsedMigration {
    /// The up section.
    pub up: ParsedSection,
    /// The down section, when the migration has one.
    pub down: Option<ParsedSection>,
}

impl ParsedMigration {
    /// Splits both sections of `migration`.
    #[must_use]
    pub fn of(migration: &Migration) -> Self {
        Self {
            up: ParsedSection::of(&migration.up.text),
            down: migration.down.as_ref().map(|d| ParsedSection::of(&d.text)),
        }
    }

    /// The section of `direction`.
    #[must_use]
    pub fn section(&self, direction: Direction) -> Option<&ParsedSection> {
        match direction {
            Direction::Up => Some(&self.up),
            Direction::Down => self.down.as_ref(),
        }
    }
}

/// A loaded migration set with every section split once. Reads as the set
/// it holds (`Deref`).
#[derive(Debug, Clone, Default)]
pub struct ParsedSet {
    set: MigrationSet,
    /// Aligned with `set.migrations`.
    parsed: Vec<ParsedMigration>,
}

impl ParsedSet {
    /// Splits every section of `set`, on all cores for large sets.
    #[must_use]
    pub fn new(set: MigrationSet) -> Self {
        let threads = std::thread::available_parallelism().map_or(1, usize::from);
        let chunk = set.migrations.len().div_ceil(threads).max(64);
        let parsed = std::thread::scope(|scope| {
            let handles: Vec<_> = set
                .migrations
                .chunks(chunk)
                .map(|migrations| {
                    scope.spawn(move || {
                        migrations
                            .iter()
                            .map(ParsedMigration::of)
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles
                .into_iter()
                .zip(set.migrations.chunks(chunk))
                .flat_map(|(handle, migrations)| {
                    // A panic in the parser's thread: split again here, so
                    // the alignment with the set holds whatever happens.
                    handle
                        .join()
                        .unwrap_or_else(|_| migrations.iter().map(ParsedMigration::of).collect())
                })
                .collect()
        });
        Self { set, parsed }
    }

    /// The set.
    #[must_use]
    pub fn set(&self) -> &MigrationSet {
        &self.set
    }

    /// The set, giving the split statements up.
    #[must_use]
    pub fn into_set(self) -> MigrationSet {
        self.set
    }

    /// Every migration of the set with its split sections, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&Migration, &ParsedMigration)> {
        self.set.migrations.iter().zip(&self.parsed)
    }

    /// The split sections of `migration` when it is one of this set's own
    /// (the same value, not only the same version).
    #[must_use]
    pub fn of(&self, migration: &Migration) -> Option<&ParsedMigration> {
        let index = self
            .set
            .migrations
            .binary_search_by(|m| m.version.cmp(&migration.version))
            .ok()?;
        std::ptr::eq(&self.set.migrations[index], migration).then(|| &self.parsed[index])
    }

    /// The split section of `direction` of `migration`: this set's own when
    /// the migration is one of its own, else split now (a migration built
    /// elsewhere, such as a rollback step with a down read from history).
    /// Empty when the migration has no down.
    #[must_use]
    pub fn section<'a>(
        &'a self,
        migration: &Migration,
        direction: Direction,
    ) -> Cow<'a, ParsedSection> {
        if let Some(parsed) = self.of(migration).and_then(|p| p.section(direction)) {
            return Cow::Borrowed(parsed);
        }
        let section = match direction {
            Direction::Up => Some(&migration.up),
            Direction::Down => migration.down.as_ref(),
        };
        Cow::Owned(section.map_or_else(ParsedSection::default, |s| ParsedSection::of(&s.text)))
    }
}

impl Deref for ParsedSet {
    type Target = MigrationSet;

    fn deref(&self) -> &MigrationSet {
        &self.set
    }
}

impl From<MigrationSet> for ParsedSet {
    fn from(set: MigrationSet) -> Self {
        Self::new(set)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absorbs_only_a_leading_begin_and_a_trailing_commit() {
        let sql = "BEGIN;\ncreate table t (id int);\nCOMMIT;\n";
        let parsed = ParsedSection::of(sql);
        let body = parsed.transaction_body(sql);
        assert_eq!(body.len(), sql.len());
        assert_eq!(body, "     ;\ncreate table t (id int);\n      ;\n");
        assert_eq!(parsed.runnable().count(), 1);
        let middle = "create table a ();\ncommit;\ncreate table b ();\n";
        let parsed = ParsedSection::of(middle);
        assert_eq!(parsed.transaction_body(middle), middle);
        assert_eq!(parsed.runnable().count(), 3);
    }

    #[test]
    fn a_file_with_blocks_of_its_own_manages_its_own_transactions() {
        let two_blocks =
            "begin;\ncreate table a ();\ncommit;\nbegin;\ncreate table b ();\ncommit;\n";
        let parsed = ParsedSection::of(two_blocks);
        assert!(parsed.manages_own_transactions());
        assert_eq!(parsed.own_transaction_control().map(|(i, _)| i), Some(2));
        assert_eq!(parsed.open_after(), [true, true, false, true, true, false]);
        assert!(parsed.unclosed_block().is_none());

        let middle = "create table a ();\ncommit;\ncreate table b ();\n";
        let parsed = ParsedSection::of(middle);
        assert!(parsed.manages_own_transactions());
        assert_eq!(parsed.open_after(), [false, false, false]);

        // Absorbed, or savepoints: strata's own transaction holds them.
        for wrapped in [
            "BEGIN;\ncreate table t ();\nCOMMIT;\n",
            "begin;\ncreate table t ();\n",
            "create table t ();\nsavepoint s;\nrollback to savepoint s;\nrelease s;\n",
        ] {
            assert!(
                !ParsedSection::of(wrapped).manages_own_transactions(),
                "{wrapped}"
            );
        }
        // A syntax error decides nothing.
        assert!(!ParsedSection::of("commit;\nselec 1;\n").manages_own_transactions());
    }

    #[test]
    fn a_block_left_open_at_the_end_is_found_at_its_begin() {
        let sql = "begin;\ncreate table a ();\ncommit;\ncreate table b ();\nstart transaction;\nsavepoint s;\ncommit and chain;\ncreate table c ();\n";
        let parsed = ParsedSection::of(sql);
        assert_eq!(
            parsed.open_after(),
            [true, true, false, false, true, true, true, true]
        );
        let (index, begin) = parsed
            .unclosed_block()
            .unwrap_or_else(|| panic!("no unclosed block"));
        assert_eq!((index, begin.text(sql)), (4, "start transaction"));
        assert!(
            ParsedSection::of("create table a ();\n")
                .unclosed_block()
                .is_none()
        );
        assert!(ParsedSection::of("").unclosed_block().is_none());
    }

    #[test]
    fn a_set_hands_out_its_own_split_and_splits_what_is_not_its_own() {
        let source = strata_core::MemorySource::new()
            .with(
                "0001_a.sql",
                "-- strata:up\ncreate table a ();\n-- strata:down\ndrop table a;\n",
            )
            .with("0002_b.sql", "create table b ();\ncreate table c ();\n");
        let set = ParsedSet::new(strata_core::load(&source, std::path::Path::new("m")));
        let [a, b] = &set.migrations[..] else {
            panic!("two migrations expected: {:?}", set.migrations);
        };
        assert_eq!(set.iter().count(), 2);
        let own = set.section(b, Direction::Up);
        assert!(matches!(own, Cow::Borrowed(_)));
        assert_eq!(own.statements().len(), 2);
        assert!(a.down.is_some(), "0001 has a down");
        assert!(matches!(set.section(a, Direction::Down), Cow::Borrowed(_)));
        // A copy (a rollback step, a down read from history) is split anew.
        let copy = b.clone();
        assert!(set.of(&copy).is_none());
        let split = set.section(&copy, Direction::Up);
        assert!(matches!(split, Cow::Owned(_)));
        assert_eq!(*split, *own);
    }

    #[test]
    fn a_section_that_does_not_parse_is_left_as_written() {
        let sql = "BEGIN;\ncreate tabel t ();\nCOMMIT;\n";
        let parsed = ParsedSection::of(sql);
        assert!(parsed.parsed().is_err());
        assert_eq!(parsed.transaction_body(sql), sql);
    }
}
