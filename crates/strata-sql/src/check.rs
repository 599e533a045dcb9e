//! Validation of a loaded migration set: file problems plus SQL problems.
//!
//! Every section is split with PostgreSQL's parser: syntax errors become
//! problems with file, line and column; statements that cannot run in a
//! transaction block are refused in a transactional section, with the fix;
//! transaction control that would break a migration's atomicity is refused;
//! in a no-transaction section, statements that only work inside a
//! transaction block (LOCK TABLE, SET LOCAL...) are pointed out. A `COPY` to
//! or from the client is refused at the statement, and the inline data psql
//! would send to a `COPY ... FROM STDIN` is not reported as SQL.

use std::cell::OnceCell;

use strata_core::position::PositionIndex;
use strata_core::{Diagnostic, Migration, ProblemCode, Section, Severity};

use crate::parsed::{ParsedMigration, ParsedSection, ParsedSet};
use crate::{
    ClientCopy, InlineData, NeedsTransaction, NonTransactional, Statement, SyntaxError,
    TransactionControl,
};

/// Every problem of `set`: those found while loading it and those in its SQL,
/// sorted by file, line and column.
pub fn validate(set: &ParsedSet) -> Vec<Diagnostic> {
    let mut problems = set.problems.clone();
    for (migration, parsed) in set.iter() {
        problems.extend(check_migration(migration, parsed));
    }
    problems.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    problems
}

/// The SQL problems of one migration (up and down), split as `parsed`.
pub fn check_migration(migration: &Migration, parsed: &ParsedMigration) -> Vec<Diagnostic> {
    let mut problems = check_section(&migration.up, &parsed.up, "up");
    if let (Some(down), Some(parsed)) = (&migration.down, &parsed.down) {
        problems.extend(check_section(down, parsed, "down"));
    }
    problems
}

/// The SQL problems of one section, split as `parsed`; `which` is `up` or
/// `down`.
pub fn check_section(section: &Section, parsed: &ParsedSection, which: &str) -> Vec<Diagnostic> {
    let check = SectionCheck::new(section, which);
    let mut problems = check.client_copies(parsed);
    match parsed.parsed() {
        Err(error) => problems.push(check.syntax_error(error)),
        Ok(statements) => problems.extend(check.statements(statements)),
    }
    problems
}

/// One section under check: the problems it finds name the section as
/// `which` (`up` or `down`) and are placed at file lines and columns.
struct SectionCheck<'a> {
    section: &'a Section,
    which: &'a str,
    /// Built at the first problem: a section with many has them placed by
    /// binary search instead of a scan from its start each.
    positions: OnceCell<PositionIndex<'a>>,
}

impl<'a> SectionCheck<'a> {
    fn new(section: &'a Section, which: &'a str) -> Self {
        Self {
            section,
            which,
            positions: OnceCell::new(),
        }
    }

    fn positions(&self) -> &PositionIndex<'a> {
        self.positions.get_or_init(|| self.section.position_index())
    }

    /// `problem` placed at byte `offset` of the section's text.
    fn at(&self, offset: usize, problem: Diagnostic) -> Diagnostic {
        let (line, column) = self.positions().position(offset);
        problem.at(line, Some(column))
    }

    /// A problem at every `COPY` to or from the client.
    fn client_copies(&self, parsed: &ParsedSection) -> Vec<Diagnostic> {
        let mut problems = Vec::new();
        for statement in parsed.statements() {
            if let Some(copy) = ClientCopy::of(statement.text(&self.section.text)) {
                let data = parsed
                    .inline_data()
                    .iter()
                    .find(|data| data.copy == statement.span.start);
                problems.push(self.at(
                    statement.span.start,
                    client_copy(self.section, self.positions(), self.which, copy, data),
                ));
            }
        }
        problems
    }

    /// The problem of SQL PostgreSQL's parser refuses.
    fn syntax_error(&self, error: &SyntaxError) -> Diagnostic {
        let which = self.which;
        let problem = Diagnostic::error(
            ProblemCode::SyntaxError,
            &self.section.file,
            format!("{} (in the {which} section)", error.message),
        )
        .help("fix the SQL: this is PostgreSQL's own parser speaking");
        match error.offset {
            Some(offset) => self.at(offset, problem),
            None => problem.at(self.section.first_line, None),
        }
    }

    /// The problems of the statements of a section that parsed: statements
    /// that need a transaction block or cannot run in one, and transaction
    /// control.
    fn statements(&self, statements: &[Statement]) -> Vec<Diagnostic> {
        let mut problems = Vec::new();
        let no_transaction = self.section.no_transaction();
        // In a no-transaction section each statement runs on its own, unless the
        // section opens a block of its own with BEGIN.
        let mut in_block = false;
        for (i, statement) in statements.iter().enumerate() {
            let start = statement.span.start;
            if no_transaction
                && !in_block
                && let Some(needs) = statement.needs_transaction()
            {
                problems.push(self.at(start, self.needs_transaction_block(needs)));
            }
            if let Some(reason) = statement.no_transaction_reason()
                && !no_transaction
            {
                problems.push(self.at(start, self.non_transactional(reason)));
            }
            let Some(control) = statement.transaction_control() else {
                continue;
            };
            if no_transaction {
                in_block = match control {
                    TransactionControl::Begin | TransactionControl::BeginWithModes => true,
                    TransactionControl::Commit
                    | TransactionControl::Rollback
                    | TransactionControl::PrepareTransaction => false,
                    _ => in_block,
                };
                problems.push(self.at(start, self.control_on_its_own(control)));
                continue;
            }
            if !control.fits_wrapping_transaction(i, statements.len()) {
                problems.push(self.at(start, self.control_breaking_atomicity(control)));
            }
        }
        problems
    }

    /// A statement that needs a transaction block, outside one in a
    /// no-transaction section: an error when it fails there, a warning when
    /// it only does nothing.
    fn needs_transaction_block(&self, needs: NeedsTransaction) -> Diagnostic {
        let which = self.which;
        let consequence = if needs.fails() {
            "fails outside a transaction block"
        } else {
            "does nothing outside a transaction block"
        };
        let help = match needs {
            NeedsTransaction::SetLocal | NeedsTransaction::SetTransaction => {
                "for timeouts use `-- strata:lock-timeout` / `-- strata:statement-timeout`, which strata applies to every statement of a no-transaction section; otherwise a plain SET (and RESET after)"
            }
            _ => {
                "move it to a migration that runs in a transaction (without `-- strata:no-transaction`), or put it in a BEGIN ... COMMIT block with the statements it serves"
            }
        };
        let mut problem = Diagnostic::error(
            ProblemCode::NeedsTransactionBlock,
            &self.section.file,
            format!(
                "{needs} {consequence}, and this no-transaction {which} section runs each statement on its own"
            ),
        )
        .help(help);
        if !needs.fails() {
            problem.severity = Severity::Warning;
        }
        problem
    }

    /// A statement that cannot run inside a transaction block, in a section
    /// that runs in one.
    fn non_transactional(&self, reason: NonTransactional) -> Diagnostic {
        let which = self.which;
        Diagnostic::error(
            ProblemCode::NonTransactionalStatement,
            &self.section.file,
            format!("{reason} cannot run inside a transaction block, and this {which} section runs in one"),
        )
        .help("add `-- strata:no-transaction` above the statement's section (each statement then runs on its own, so keep such a migration small, ideally this one statement)")
    }

    /// Transaction control in a no-transaction section, where each statement
    /// runs on its own.
    fn control_on_its_own(&self, control: TransactionControl) -> Diagnostic {
        let which = self.which;
        Diagnostic::warning(
            ProblemCode::TransactionControl,
            &self.section.file,
            format!("{control} in a no-transaction {which} section"),
        )
        .help("strata runs each statement of a no-transaction section on its own; if a failure midway leaves a half-applied block, `strata repair` is needed")
    }

    /// Transaction control that the transaction wrapping the section cannot
    /// absorb.
    fn control_breaking_atomicity(&self, control: TransactionControl) -> Diagnostic {
        let which = self.which;
        Diagnostic::error(
            ProblemCode::TransactionControl,
            &self.section.file,
            format!("{control} here would break the {which} section's atomicity"),
        )
        .help("strata wraps each migration in one transaction (a BEGIN first and a COMMIT last are absorbed); split the work into separate migrations instead")
    }
}

/// The problem with a `COPY` to or from the client, in the `which` section;
/// `data` is the inline data after a `COPY ... FROM STDIN`, when it has some.
fn client_copy(
    section: &Section,
    positions: &PositionIndex<'_>,
    which: &str,
    copy: ClientCopy,
    data: Option<&InlineData>,
) -> Diagnostic {
    let (message, help) = match (copy, data) {
        (ClientCopy::ToClient, _) => (
            format!(
                "{copy} in the {which} section: it sends rows to the client, and strata's connection cannot receive them"
            ),
            "a migration changes the database, so an export usually does not belong in one: run it outside migrations (psql's `\\copy ... to 'file'`); to have the server write a file instead, `COPY ... TO '/path/on/the/server'` needs superuser or the pg_write_server_files role",
        ),
        (ClientCopy::FromClient, Some(data)) => {
            let (first, _) = positions.position(data.span.start);
            // The last data line: the one holding the last byte.
            let (last, _) = positions.position(data.span.end.saturating_sub(1));
            let lines = if first == last {
                format!("line {first}")
            } else {
                format!("lines {first}-{last}")
            };
            let end = if data.terminated {
                "up to `\\.`"
            } else {
                "with no `\\.` line, to the end of the section"
            };
            (
                format!(
                    "{copy} with inline data ({lines}, {end}) in the {which} section: inline COPY data is psql's format, and strata's connection cannot send the rows"
                ),
                "turn the data into INSERT statements (`pg_dump --data-only --inserts` or `--column-inserts` writes them), or load seed data outside migrations (e.g. `psql -f seed.sql`)",
            )
        }
        (ClientCopy::FromClient, None) => (
            format!(
                "{copy} in the {which} section: it waits for rows from the client, and strata's connection cannot send them"
            ),
            "write the rows as INSERT statements (`pg_dump --data-only --inserts` or `--column-inserts` writes them), or load data outside migrations (e.g. psql's `\\copy ... from 'file'`); to have the server read a file instead, `COPY ... FROM '/path/on/the/server'` needs superuser or the pg_read_server_files role",
        ),
    };
    Diagnostic::error(ProblemCode::ClientCopy, &section.file, message).help(help)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use strata_core::{MemorySource, ProblemCode, Severity};

    fn problems(sql: &str) -> Vec<(u32, Severity)> {
        let source = MemorySource::new().with("0001_x.sql", sql);
        let set = strata_core::load(&source, Path::new("m"));
        super::validate(&crate::ParsedSet::new(set))
            .into_iter()
            .filter(|p| p.code == ProblemCode::NeedsTransactionBlock)
            .map(|p| (p.line().unwrap_or(0), p.severity))
            .collect()
    }

    #[test]
    fn statements_needing_a_block_are_refused_outside_one_in_a_no_transaction_section() {
        let sql = "-- strata:no-transaction\nlock table a;\nset local lock_timeout = '1s';\ndeclare c cursor with hold for select 1;\nbegin;\nlock table a;\nset local x.y = 1;\ncommit;\nlock table b;\n";
        assert_eq!(
            problems(sql),
            [
                (2, Severity::Error),
                (3, Severity::Warning),
                (9, Severity::Error)
            ]
        );
    }

    #[test]
    fn a_transactional_section_needs_no_such_care() {
        assert!(problems("lock table a;\nset local lock_timeout = '1s';\n").is_empty());
    }

    /// Every problem of a one-file migration set, as `line:column code`.
    fn located(sql: &str) -> Vec<String> {
        let source = MemorySource::new().with("0001_x.sql", sql);
        let set = strata_core::load(&source, Path::new("m"));
        super::validate(&crate::ParsedSet::new(set))
            .into_iter()
            .map(|p| {
                format!(
                    "{}:{} {}",
                    p.line().unwrap_or(0),
                    p.column().unwrap_or(0),
                    p.code
                )
            })
            .collect()
    }

    #[test]
    fn copy_from_stdin_with_inline_data_is_refused_at_the_copy_not_at_its_data() {
        let sql = "create table t (a int, b text);\n  COPY t (a, b) FROM stdin;\n1\tO'Brien\n2\t\\N\n\\.\ninsert into t values (3, 'c');\n";
        assert_eq!(located(sql), ["2:3 client-copy"]);
        let source = MemorySource::new().with("0001_x.sql", sql);
        let problems = super::validate(&crate::ParsedSet::new(strata_core::load(
            &source,
            Path::new("m"),
        )));
        assert!(
            problems[0].message.contains("lines 3-5"),
            "{}",
            problems[0].message
        );
        assert!(problems[0].message.contains("psql's format"));
    }

    #[test]
    fn copy_to_stdout_is_refused_in_every_spelling() {
        let sql = "copy t to stdout;\nCOPY (select 1) TO STDOUT WITH (FORMAT csv);\nCopy t To StdOut Csv Header;\ncopy t to '/tmp/t';\n";
        assert_eq!(
            located(sql),
            ["1:1 client-copy", "2:1 client-copy", "3:1 client-copy"]
        );
    }

    #[test]
    fn copies_in_no_transaction_down_and_rollback_sections_are_refused_too() {
        let no_transaction = "-- strata:no-transaction\ncreate index concurrently i on t (a);\ncopy t from stdin;\n1\n\\.\n";
        assert_eq!(located(no_transaction), ["3:1 client-copy"]);
        let down = "-- strata:up\ndelete from t;\n-- strata:down\ncopy t from stdin;\n1\n\\.\n";
        assert_eq!(located(down), ["4:1 client-copy"]);
        let rollback = "delete from t;\n-- ROLLBACK:\n-- copy t from stdin;\n-- 1\n-- \\.\n";
        assert_eq!(located(rollback), ["3:4 client-copy"]);
    }

    #[test]
    fn a_syntax_error_after_inline_data_is_still_reported() {
        let sql = "copy t from stdin;\n1\n\\.\nselec 2;\n";
        assert_eq!(located(sql), ["1:1 client-copy", "4:1 syntax-error"]);
    }
}
