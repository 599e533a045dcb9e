//! Validation of a loaded migration set: file problems plus SQL problems.
//!
//! Every section is split with PostgreSQL's parser: syntax errors become
//! problems with file, line and column; statements that cannot run in a
//! transaction block are refused where they would run in one, with the fix.
//! A section whose transaction control strata's one transaction cannot absorb
//! manages its own transactions and runs statement by statement, as does a
//! no-transaction section: one warning says so and what a failure part-way
//! leaves; statements that only work inside a transaction block (LOCK TABLE,
//! SET LOCAL, SAVEPOINT...) outside one, and a block never closed, are
//! pointed out. A `COPY` to or from the client is refused at the statement,
//! and the inline data psql would send to a `COPY ... FROM STDIN` is not
//! reported as SQL.

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
        Ok(statements) => problems.extend(check.statements(parsed, statements)),
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
    fn statements(&self, parsed: &ParsedSection, statements: &[Statement]) -> Vec<Diagnostic> {
        let mode = if self.section.no_transaction() {
            Mode::NoTransaction
        } else if parsed.manages_own_transactions() {
            Mode::OwnTransactions
        } else {
            Mode::Wrapped
        };
        if mode == Mode::Wrapped {
            // Inside strata's one transaction: whatever transaction control
            // there is, strata absorbs or it works there (savepoints).
            return statements
                .iter()
                .filter_map(|statement| {
                    let reason = statement.no_transaction_reason()?;
                    Some(self.at(statement.span.start, self.non_transactional(reason)))
                })
                .collect();
        }
        // One statement at a time, as psql runs a file: each on its own,
        // unless inside a block the section opened with BEGIN.
        let mut problems = Vec::new();
        let open_after = parsed.open_after();
        let mut block_start = None;
        for (i, statement) in statements.iter().enumerate() {
            let start = statement.span.start;
            let open_before = i > 0 && open_after.get(i - 1) == Some(&true);
            if !open_before {
                block_start = None;
            }
            if !open_before && let Some(needs) = statement.needs_transaction() {
                problems.push(self.at(start, self.needs_transaction_block(needs, mode)));
            }
            if let (Some(reason), Some(begin)) = (statement.no_transaction_reason(), block_start) {
                problems.push(self.at(start, self.non_transactional_in_block(reason, begin)));
            }
            let Some(control) = statement.transaction_control() else {
                continue;
            };
            if !open_before && fails_outside_block(control) {
                problems.push(self.at(start, self.control_outside_block(control, mode)));
            }
            if open_after.get(i) == Some(&true) && block_start.is_none() {
                block_start = Some(start);
            }
        }
        // One warning: at what makes the section manage its own transactions,
        // or at a no-transaction section's first transaction control.
        let said = match mode {
            Mode::OwnTransactions => parsed.own_transaction_control(),
            Mode::NoTransaction | Mode::Wrapped => statements
                .iter()
                .enumerate()
                .find(|(_, s)| s.transaction_control().is_some()),
        };
        if let Some((_, statement)) = said
            && let Some(control) = statement.transaction_control()
        {
            problems.push(self.at(statement.span.start, self.runs_as_psql(control, mode)));
        }
        if let Some((_, begin)) = parsed.unclosed_block() {
            problems.push(self.at(begin.span.start, self.unclosed_block(mode)));
        }
        problems
    }

    /// A statement that needs a transaction block, outside one in a
    /// no-transaction section: an error when it fails there, a warning when
    /// it only does nothing.
    fn needs_transaction_block(&self, needs: NeedsTransaction, mode: Mode) -> Diagnostic {
        let which = self.which;
        let runs = mode.runs(which);
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
            format!("{needs} {consequence}, and {runs} each statement on its own"),
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

    /// A statement that cannot run inside a transaction block, inside a
    /// block the section opened itself at byte `begin`.
    fn non_transactional_in_block(&self, reason: NonTransactional, begin: usize) -> Diagnostic {
        let (line, _) = self.positions().position(begin);
        Diagnostic::error(
            ProblemCode::NonTransactionalStatement,
            &self.section.file,
            format!(
                "{reason} cannot run inside a transaction block, and here it runs in the one opened by the BEGIN on line {line}"
            ),
        )
        .help("move it out of the block: after its COMMIT, or before its BEGIN")
    }

    /// A savepoint command or `AND CHAIN`, which fail outside a transaction
    /// block, outside one.
    fn control_outside_block(&self, control: TransactionControl, mode: Mode) -> Diagnostic {
        let which = self.which;
        let runs = mode.runs(which);
        Diagnostic::error(
            ProblemCode::NeedsTransactionBlock,
            &self.section.file,
            format!(
                "{control} fails outside a transaction block, and {runs} each statement on its own, outside any block here"
            ),
        )
        .help("put it inside a BEGIN ... COMMIT block, after the BEGIN")
    }

    /// The one warning of a section that runs statement by statement with
    /// transaction control of its own: how it runs, and what a failure
    /// part-way leaves.
    fn runs_as_psql(&self, control: TransactionControl, mode: Mode) -> Diagnostic {
        let which = self.which;
        let consequence = "strata runs it one statement at a time, as psql runs a file, honouring its BEGIN ... COMMIT blocks, so it cannot be applied atomically: if a statement fails, the block it is in is rolled back, what ran before stays (committed blocks and statements outside blocks), and the migration is recorded as failed with how far it got";
        let (message, help) = match mode {
            Mode::OwnTransactions => (
                format!(
                    "this {which} section manages its own transactions (strata's one transaction absorbs only a BEGIN first and a COMMIT last, not this {control}): {consequence}"
                ),
                "to have it applied atomically, remove the transaction control inside it (a BEGIN first and a COMMIT last are absorbed) or split it into migrations; if it is meant to run this way, say so with `-- strata:no-transaction`",
            ),
            Mode::NoTransaction | Mode::Wrapped => (
                format!("{control} in a no-transaction {which} section: {consequence}"),
                "keep the statements that must succeed or fail together in one block; `strata repair` says what to do after a failure part-way",
            ),
        };
        Diagnostic::warning(ProblemCode::TransactionControl, &self.section.file, message).help(help)
    }

    /// A block the section opens and never closes.
    fn unclosed_block(&self, mode: Mode) -> Diagnostic {
        let which = self.which;
        let runs = mode.runs(which);
        Diagnostic::error(
            ProblemCode::TransactionControl,
            &self.section.file,
            format!(
                "this BEGIN opens a transaction block that nothing closes before the end of the {which} section: {runs} statement by statement, and psql would roll such a block back when it exits, so strata refuses to run it"
            ),
        )
        .help("end the block with COMMIT (or ROLLBACK, to undo it)")
    }
}

/// Whether PostgreSQL refuses `control` outside a transaction block
/// (`... can only be used in transaction blocks`), rather than warning.
fn fails_outside_block(control: TransactionControl) -> bool {
    matches!(
        control,
        TransactionControl::Savepoint
            | TransactionControl::Release
            | TransactionControl::RollbackToSavepoint
            | TransactionControl::CommitAndChain
            | TransactionControl::RollbackAndChain
    )
}

/// How a section runs, as validation judges it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// In strata's one transaction.
    Wrapped,
    /// `-- strata:no-transaction`: statement by statement.
    NoTransaction,
    /// Statement by statement, because of transaction control of its own.
    OwnTransactions,
}

impl Mode {
    /// How the section of `which` runs, as the subject of a sentence.
    fn runs(self, which: &str) -> String {
        match self {
            Self::NoTransaction => format!("this no-transaction {which} section runs"),
            Self::OwnTransactions | Self::Wrapped => {
                format!("this {which} section, which manages its own transactions, runs")
            }
        }
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

    /// Every problem of a one-file migration set, as `line code severity`.
    fn judged(sql: &str) -> Vec<String> {
        let source = MemorySource::new().with("0001_x.sql", sql);
        let set = strata_core::load(&source, Path::new("m"));
        super::validate(&crate::ParsedSet::new(set))
            .into_iter()
            .map(|p| format!("{} {} {:?}", p.line().unwrap_or(0), p.code, p.severity))
            .collect()
    }

    #[test]
    fn a_file_with_two_blocks_of_its_own_is_one_warning_not_an_error() {
        let sql = "begin;\ncreate table a (id int);\ncommit;\nbegin;\ncreate table b (id int);\ncommit;\n";
        assert_eq!(judged(sql), ["3 transaction-control Warning"]);
        let source = MemorySource::new().with("0001_x.sql", sql);
        let problems = super::validate(&crate::ParsedSet::new(strata_core::load(
            &source,
            Path::new("m"),
        )));
        let message = &problems[0].message;
        assert!(
            message.contains("manages its own transactions"),
            "{message}"
        );
        assert!(
            message.contains("cannot be applied atomically"),
            "{message}"
        );
        assert!(
            message.contains("the block it is in is rolled back"),
            "{message}"
        );
        // A COMMIT in the middle, a ROLLBACK at the end: the same.
        assert_eq!(
            judged("create table a (id int);\ncommit;\ncreate table b (id int);\n"),
            ["2 transaction-control Warning"]
        );
        assert_eq!(
            judged("create table a (id int);\nrollback;\n"),
            ["2 transaction-control Warning"]
        );
    }

    #[test]
    fn a_block_that_is_never_closed_is_refused_at_its_begin() {
        assert_eq!(
            judged("begin;\ncreate table a (id int);\ncommit;\nbegin;\ncreate table b (id int);\n"),
            [
                "3 transaction-control Warning",
                "4 transaction-control Error"
            ]
        );
        assert_eq!(
            judged(
                "-- strata:no-transaction\ncreate index concurrently i on t (a);\nbegin;\ninsert into t values (1);\n"
            ),
            [
                "3 transaction-control Warning",
                "3 transaction-control Error"
            ]
        );
    }

    #[test]
    fn a_file_running_statement_by_statement_is_judged_block_by_block() {
        // Outside its blocks a concurrent index builds; inside one it cannot,
        // and a LOCK or a SAVEPOINT needs one.
        let sql = "create table t (a int);\ncommit;\ncreate index concurrently i on t (a);\nlock table t;\nsavepoint s;\nbegin;\nlock table t;\nsavepoint s;\ncreate index concurrently j on t (a);\ncommit;\n";
        assert_eq!(
            judged(sql),
            [
                "2 transaction-control Warning",
                "4 needs-transaction-block Error",
                "5 needs-transaction-block Error",
                "9 non-transactional-statement Error",
            ]
        );
        // A plain BEGIN first and COMMIT last are absorbed: nothing to say.
        assert!(judged("begin;\ncreate table a (id int);\ncommit;\n").is_empty());
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
