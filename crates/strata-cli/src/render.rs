//! Rendering results for people (text, coloured on a terminal) and machines (JSON).

use std::io::Write as _;

use anstyle::{AnsiColor, Style};
use strata_core::{Problem, Severity};

const RED: Style = AnsiColor::Red.on_default().bold();
const YELLOW: Style = AnsiColor::Yellow.on_default().bold();
const BLUE: Style = AnsiColor::Blue.on_default().bold();
const GREEN: Style = AnsiColor::Green.on_default().bold();
const BOLD: Style = Style::new().bold();

/// Prints a top-level error and its causes to stderr.
pub fn error(error: &anyhow::Error) {
    let mut err = anstream::stderr().lock();
    let _ = write!(err, "{RED}error{RED:#}: {error}");
    for cause in error.chain().skip(1) {
        let _ = write!(err, ": {cause}");
    }
    let _ = writeln!(err);
}

/// Prints a success line (`✓`-free, plain words) to stdout.
pub fn success(message: &str) {
    let mut out = anstream::stdout().lock();
    let _ = writeln!(out, "{GREEN}{message}{GREEN:#}");
}

/// Prints a problem like a compiler diagnostic, with the source line when known.
pub fn problem(out: &mut impl std::io::Write, problem: &Problem) -> std::io::Result<()> {
    lint_problem(out, problem, problem.code.as_str(), 1)
}

/// Like [`problem`], labelled with `code` (a lint rule's name, say).
pub fn lint_problem(
    out: &mut impl std::io::Write,
    problem: &Problem,
    code: &str,
    span_chars: usize,
) -> std::io::Result<()> {
    let (label, style) = match problem.severity {
        Severity::Error => ("error", RED),
        Severity::Warning => ("warning", YELLOW),
    };
    writeln!(
        out,
        "{style}{label}[{code}]{style:#}{BOLD}: {}{BOLD:#}",
        problem.message
    )?;
    let mut location = problem.file.display().to_string();
    if let Some(line) = problem.line {
        location.push_str(&format!(":{line}"));
        if let Some(column) = problem.column {
            location.push_str(&format!(":{column}"));
        }
    }
    writeln!(out, "  {BLUE}-->{BLUE:#} {location}")?;
    if let Some(line) = problem.line
        && let Some(source) = source_line(&problem.file, line)
    {
        let number = line.to_string();
        let pad = " ".repeat(number.len());
        writeln!(out, "  {pad} {BLUE}|{BLUE:#}")?;
        writeln!(out, "  {BLUE}{number} |{BLUE:#} {source}")?;
        if let Some(column) = problem.column {
            let indent: String = source
                .chars()
                .take(usize::try_from(column.saturating_sub(1)).unwrap_or(0))
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            // Underline the span, up to the end of this line.
            let rest = source
                .chars()
                .skip(usize::try_from(column.saturating_sub(1)).unwrap_or(0))
                .collect::<String>();
            let width = span_chars.clamp(1, rest.trim_end().chars().count().max(1));
            let marks = "^".repeat(width);
            writeln!(
                out,
                "  {pad} {BLUE}|{BLUE:#} {indent}{style}{marks}{style:#}"
            )?;
        } else {
            writeln!(out, "  {pad} {BLUE}|{BLUE:#}")?;
        }
    }
    if let Some(help) = &problem.help {
        writeln!(out, "  {BLUE}= help:{BLUE:#} {help}")?;
    }
    writeln!(out)
}

/// The text of one line of a file, if it can be read.
fn source_line(path: &std::path::Path, line: u32) -> Option<String> {
    let bytes = std::fs::read(path).ok()?;
    let text = String::from_utf8_lossy(&bytes);
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let content = text
        .lines()
        .nth(usize::try_from(line).ok()?.checked_sub(1)?)?;
    Some(content.trim_end_matches('\r').to_owned())
}

/// Prints a value as pretty JSON to stdout.
pub fn json(value: &impl serde::Serialize) -> anyhow::Result<()> {
    // Buffered: standard output flushes at every newline, and pretty JSON
    // has one per field.
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    serde_json::to_writer_pretty(&mut out, value)?;
    writeln!(out)?;
    out.flush()?;
    Ok(())
}

/// `1 error`, `2 errors`.
pub fn plural(count: usize, word: &str) -> String {
    if count == 1 {
        format!("{count} {word}")
    } else {
        format!("{count} {word}s")
    }
}

/// Prints why a database command stopped, with file, line, column and advice.
/// Everything passes through `redact` so no password is ever shown.
pub fn pg_error(error: &strata_pg::PgError, redact: &dyn Fn(&str) -> String, action: Action) {
    let mut err = anstream::stderr().lock();
    let _ = write_pg_error(&mut err, error, redact, action);
}

/// What the failed command was doing, for the wording of what did not happen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Applying (or planning to apply) migrations.
    Apply,
    /// Rolling migrations back.
    Rollback,
    /// Anything else (status, repair, baseline, log).
    Other,
}

fn write_pg_error(
    out: &mut impl std::io::Write,
    error: &strata_pg::PgError,
    redact: &dyn Fn(&str) -> String,
    action: Action,
) -> std::io::Result<()> {
    use strata_pg::PgError;
    match error {
        PgError::Migration(failure) => {
            writeln!(
                out,
                "{RED}error{RED:#}{BOLD}: migration {} ({}) failed in its {} section{BOLD:#}",
                failure.version, failure.name, failure.section
            )?;
            let mut location = failure.file.display().to_string();
            if let (Some(line), Some(column)) = (failure.line, failure.column) {
                location.push_str(&format!(":{line}:{column}"));
            }
            writeln!(out, "  {BLUE}-->{BLUE:#} {location}")?;
            if let (Some(line), Some(column), Some(source)) =
                (failure.line, failure.column, &failure.source_line)
            {
                let number = line.to_string();
                let pad = " ".repeat(number.len());
                let indent: String = source
                    .chars()
                    .take(usize::try_from(column.saturating_sub(1)).unwrap_or(0))
                    .map(|c| if c == '\t' { '\t' } else { ' ' })
                    .collect();
                writeln!(out, "  {pad} {BLUE}|{BLUE:#}")?;
                writeln!(out, "  {BLUE}{number} |{BLUE:#} {}", redact(source))?;
                writeln!(out, "  {pad} {BLUE}|{BLUE:#} {indent}{RED}^{RED:#}")?;
            }
            let e = &failure.error;
            writeln!(
                out,
                "  {BLUE}= postgres:{BLUE:#} {} (SQLSTATE {})",
                redact(&e.message),
                e.sqlstate
            )?;
            if let Some(detail) = &e.detail {
                writeln!(out, "  {BLUE}= detail:{BLUE:#} {}", redact(detail))?;
            }
            if let Some(hint) = &e.hint {
                writeln!(out, "  {BLUE}= hint:{BLUE:#} {}", redact(hint))?;
            }
            if let Some(advice) = &failure.advice {
                writeln!(out, "  {BLUE}= help:{BLUE:#} {advice}")?;
            }
            let v = &failure.version;
            if e.sqlstate == "08006" {
                writeln!(
                    out,
                    "  {BLUE}= note:{BLUE:#} the connection was lost, so whether migration {v} committed is unknown: run `strata status` before anything else"
                )?;
            } else if let Some((done, total)) = failure.statements_done {
                if done == 0 {
                    writeln!(
                        out,
                        "  {BLUE}= note:{BLUE:#} this migration runs without a transaction, and its first statement failed: nothing of it ran and it is not recorded; fix it and run migrate again"
                    )?;
                } else {
                    writeln!(
                        out,
                        "  {BLUE}= note:{BLUE:#} this migration runs without a transaction: {done} of {total} statement(s) completed and stay applied; it is recorded as failed.\n    Inspect the database, then either finish the work by hand and run `strata repair --mark-applied {v}`,\n    or undo what ran and run `strata repair --clear-failed {v}` so the next migrate runs it again."
                    )?;
                }
            } else if failure.section == "down" {
                writeln!(
                    out,
                    "  {BLUE}= note:{BLUE:#} the rollback's transaction was rolled back: migration {v} stays applied"
                )?;
            } else {
                writeln!(
                    out,
                    "  {BLUE}= note:{BLUE:#} the migration's transaction was rolled back: nothing of it was applied"
                )?;
            }
        }
        PgError::Blocked(blockers) => {
            let nothing = match action {
                Action::Rollback => "nothing was rolled back",
                Action::Apply => "nothing was applied",
                Action::Other => "nothing was changed",
            };
            writeln!(out, "{RED}error{RED:#}{BOLD}: {nothing}{BOLD:#}")?;
            for blocker in blockers {
                writeln!(out, "  - {}", redact(&blocker.to_string()))?;
                writeln!(out, "    {BLUE}help:{BLUE:#} {}", blocker.help())?;
            }
        }
        other => {
            writeln!(out, "{RED}error{RED:#}: {}", redact(&other.to_string()))?;
        }
    }
    Ok(())
}
