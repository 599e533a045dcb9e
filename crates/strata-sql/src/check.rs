//! Validation of a loaded migration set: file problems plus SQL problems.
//!
//! Every section is split with PostgreSQL's parser: syntax errors become
//! problems with file, line and column; statements that cannot run in a
//! transaction block are refused in a transactional section, with the fix;
//! transaction control that would break a migration's atomicity is refused;
//! in a no-transaction section, statements that only work inside a
//! transaction block (LOCK TABLE, SET LOCAL...) are pointed out.

use strata_core::{Migration, MigrationSet, Problem, ProblemCode, Section, Severity};

use crate::{NeedsTransaction, TransactionControl, split};

/// Every problem of `set`: those found while loading it and those in its SQL,
/// sorted by file, line and column.
pub fn validate(set: &MigrationSet) -> Vec<Problem> {
    let mut problems = set.problems.clone();
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let chunk = set.migrations.len().div_ceil(threads).max(64);
    let found: Vec<Vec<Problem>> = std::thread::scope(|scope| {
        let handles: Vec<_> = set
            .migrations
            .chunks(chunk)
            .map(|migrations| {
                scope.spawn(move || migrations.iter().flat_map(check_migration).collect())
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_default())
            .collect()
    });
    problems.extend(found.into_iter().flatten());
    problems.sort_by(|a, b| (&a.file, a.line, a.column).cmp(&(&b.file, b.line, b.column)));
    problems
}

/// The SQL problems of one migration (up and down).
pub fn check_migration(migration: &Migration) -> Vec<Problem> {
    let mut problems = check_section(&migration.up, "up");
    if let Some(down) = &migration.down {
        problems.extend(check_section(down, "down"));
    }
    problems
}

/// The SQL problems of one section; `which` is `up` or `down`.
pub fn check_section(section: &Section, which: &str) -> Vec<Problem> {
    let mut problems = Vec::new();
    let at = |offset: usize, problem: Problem| {
        let (line, column) = section.position(offset);
        problem.at(line, Some(column))
    };
    let statements = match split(&section.text) {
        Ok(statements) => statements,
        Err(error) => {
            let problem = Problem::error(
                ProblemCode::SyntaxError,
                &section.file,
                format!("{} (in the {which} section)", error.message),
            )
            .help("fix the SQL: this is PostgreSQL's own parser speaking");
            problems.push(match error.offset {
                Some(offset) => at(offset, problem),
                None => problem.at(section.first_line, None),
            });
            return problems;
        }
    };
    // In a no-transaction section each statement runs on its own, unless the
    // section opens a block of its own with BEGIN.
    let mut in_block = false;
    for (i, statement) in statements.iter().enumerate() {
        let start = statement.span.start;
        if section.no_transaction()
            && !in_block
            && let Some(needs) = statement.needs_transaction()
        {
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
            let mut problem = Problem::error(
                ProblemCode::NeedsTransactionBlock,
                &section.file,
                format!(
                    "{needs} {consequence}, and this no-transaction {which} section runs each statement on its own"
                ),
            )
            .help(help);
            if !needs.fails() {
                problem.severity = Severity::Warning;
            }
            problems.push(at(start, problem));
        }
        if let Some(reason) = statement.no_transaction_reason()
            && !section.no_transaction()
        {
            problems.push(at(
                start,
                Problem::error(
                    ProblemCode::NonTransactionalStatement,
                    &section.file,
                    format!("{reason} cannot run inside a transaction block, and this {which} section runs in one"),
                )
                .help("add `-- strata:no-transaction` above the statement's section (each statement then runs on its own, so keep such a migration small, ideally this one statement)"),
            ));
        }
        let Some(control) = statement.transaction_control() else {
            continue;
        };
        if section.no_transaction() {
            in_block = match control {
                TransactionControl::Begin | TransactionControl::BeginWithModes => true,
                TransactionControl::Commit
                | TransactionControl::Rollback
                | TransactionControl::PrepareTransaction => false,
                _ => in_block,
            };
            problems.push(at(
                start,
                Problem::warning(
                    ProblemCode::TransactionControl,
                    &section.file,
                    format!("{control} in a no-transaction {which} section"),
                )
                .help("strata runs each statement of a no-transaction section on its own; if a failure midway leaves a half-applied block, `strata repair` is needed"),
            ));
            continue;
        }
        if !control.fits_wrapping_transaction(i, statements.len()) {
            problems.push(at(
                start,
                Problem::error(
                    ProblemCode::TransactionControl,
                    &section.file,
                    format!("{control} here would break the {which} section's atomicity"),
                )
                .help("strata wraps each migration in one transaction (a BEGIN first and a COMMIT last are absorbed); split the work into separate migrations instead"),
            ));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use strata_core::{MemorySource, ProblemCode, Severity};

    fn problems(sql: &str) -> Vec<(u32, Severity)> {
        let source = MemorySource::new().with("0001_x.sql", sql);
        let set = strata_core::load(&source, Path::new("m"));
        super::validate(&set)
            .into_iter()
            .filter(|p| p.code == ProblemCode::NeedsTransactionBlock)
            .map(|p| (p.line.unwrap_or(0), p.severity))
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
}
