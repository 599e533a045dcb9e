//! Rendering results for people (text, coloured on a terminal) and machines (JSON).

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anstyle::{AnsiColor, Style};
use strata::report::RunError;
use strata_core::{Diagnostic, Quote, Severity};

const RED: Style = AnsiColor::Red.on_default().bold();
const YELLOW: Style = AnsiColor::Yellow.on_default().bold();
const BLUE: Style = AnsiColor::Blue.on_default().bold();
const GREEN: Style = AnsiColor::Green.on_default().bold();
const BOLD: Style = Style::new().bold();

/// Prints a top-level error and its causes to stderr.
pub fn error(error: &anyhow::Error) {
    let mut err = anstream::stderr().lock();
    let _ = writeln!(err, "{RED}error{RED:#}: {}", chain(error));
}

/// An error and its causes, on one line.
pub fn chain(error: &anyhow::Error) -> String {
    error
        .chain()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(": ")
}

/// Prints a report as JSON in the current contract (`"version"` first).
pub fn report(report: &impl serde::Serialize) -> anyhow::Result<()> {
    json(&strata::report::Json::new(report))
}

/// Prints a warning to stderr.
pub fn warning(message: &str) {
    let mut err = anstream::stderr().lock();
    let _ = writeln!(err, "{YELLOW}warning{YELLOW:#}: {message}");
}

/// Prints a success line (`✓`-free, plain words) to stdout.
pub fn success(message: &str) {
    let mut out = anstream::stdout().lock();
    let _ = writeln!(out, "{GREEN}{message}{GREEN:#}");
}

/// Where rule documentation is published.
pub const DOCS: &str = "https://github.com/strata-migrations/strata/blob/main";

/// Prints diagnostics like a compiler's, with their source lines.
pub fn problems<'a>(
    out: &mut impl std::io::Write,
    diagnostics: impl IntoIterator<Item = &'a Diagnostic>,
) -> std::io::Result<()> {
    let mut printer = Diagnostics::default();
    for diagnostic in diagnostics {
        printer.print(out, diagnostic)?;
    }
    Ok(())
}

/// Prints diagnostics, reading each file once for the source lines it shows
/// (diagnostics come sorted by file, so the last file read is kept).
#[derive(Default)]
pub struct Diagnostics {
    file: Option<(PathBuf, Option<Lines>)>,
}

impl Diagnostics {
    /// Prints one diagnostic, with the source line when known.
    pub fn print(&mut self, out: &mut impl std::io::Write, d: &Diagnostic) -> std::io::Result<()> {
        let (label, style) = match d.severity {
            Severity::Error => ("error", RED),
            Severity::Warning => ("warning", YELLOW),
        };
        writeln!(
            out,
            "{style}{label}[{}]{style:#}{BOLD}: {}{BOLD:#}",
            d.code,
            printable(&d.message)
        )?;
        let mut location = d.file.display().to_string();
        if let Some(line) = d.line() {
            location.push_str(&format!(":{line}"));
            if let Some(column) = d.column() {
                location.push_str(&format!(":{column}"));
            }
        }
        writeln!(out, "  {BLUE}-->{BLUE:#} {location}")?;
        if let Some(line) = d.line()
            && let Some(source) = self.quoted_line(d, line)
        {
            let number = line.to_string();
            let pad = " ".repeat(number.len());
            writeln!(out, "  {pad} {BLUE}|{BLUE:#}")?;
            writeln!(out, "  {BLUE}{number} |{BLUE:#} {source}")?;
            if let Some(column) = d.column() {
                let before = usize::try_from(column.saturating_sub(1)).unwrap_or(0);
                let indent: String = source
                    .chars()
                    .take(before)
                    .map(|c| if c == '\t' { '\t' } else { ' ' })
                    .collect();
                // Underline the span, up to the end of this line.
                let rest = source.chars().skip(before).collect::<String>();
                // Up to the end of this line when the span goes on.
                let rest_width = rest.trim_end().chars().count().max(1);
                let width = d
                    .span
                    .and_then(|s| s.width_on_first_line())
                    .unwrap_or(rest_width)
                    .clamp(1, rest_width);
                let marks = "^".repeat(width);
                writeln!(
                    out,
                    "  {pad} {BLUE}|{BLUE:#} {indent}{style}{marks}{style:#}"
                )?;
            } else {
                writeln!(out, "  {pad} {BLUE}|{BLUE:#}")?;
            }
        }
        if let Some(help) = &d.help {
            writeln!(out, "  {BLUE}= help:{BLUE:#} {help}")?;
        }
        if let Some(rule) = strata_lint::Rule::from_name(d.code.as_str()) {
            writeln!(out, "    see {DOCS}/{}", rule.doc_path())?;
        }
        writeln!(out)
    }

    /// What the diagnostic may show of its line: all of it, the part
    /// before its column, or nothing (then the file is not even opened).
    fn quoted_line(&mut self, d: &Diagnostic, line: u32) -> Option<String> {
        let source = match d.code.quote() {
            Quote::Line => self.source_line(&d.file, line)?,
            Quote::UpToColumn => {
                let before = usize::try_from(d.column()?.checked_sub(1)?).ok()?;
                let source = self.source_line(&d.file, line)?;
                source.chars().take(before).collect()
            }
            _ => return None,
        };
        Some(printable(&source))
    }

    /// The text of one line of a file, if it can be read. The file is read
    /// as migrations are (a regular file of sane size), though it was read
    /// moments ago: it may have been swapped since.
    fn source_line(&mut self, path: &Path, line: u32) -> Option<String> {
        if self.file.as_ref().is_none_or(|(read, _)| read != path) {
            let text = strata_core::read_file(path, None).ok().map(|bytes| {
                let text = String::from_utf8_lossy(&bytes);
                let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
                Lines::new(text.to_owned())
            });
            self.file = Some((path.to_owned(), text));
        }
        let lines = self.file.as_ref()?.1.as_ref()?;
        let content = lines.get(usize::try_from(line).ok()?.checked_sub(1)?)?;
        Some(content.trim_end_matches('\r').to_owned())
    }
}

/// A file's text with where each line starts, so that showing many
/// diagnostics of one file costs one pass over it, not one per diagnostic.
#[derive(Debug)]
struct Lines {
    text: String,
    starts: Vec<usize>,
}

impl Lines {
    fn new(text: String) -> Self {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .filter(|&start| start < text.len())
            .collect();
        Self { text, starts }
    }

    /// Line `index` (0-based), without its line end.
    fn get(&self, index: usize) -> Option<&str> {
        let start = *self.starts.get(index)?;
        let end = self
            .starts
            .get(index + 1)
            .map_or(self.text.len(), |&next| next - 1);
        Some(self.text[start..end].trim_end_matches(['\n', '\r']))
    }
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

/// Prints why a database command stopped, with file, line, column and
/// advice (already redacted by the workflow).
pub fn run_error(error: &RunError, action: Action) {
    let mut err = anstream::stderr().lock();
    let _ = write_run_error(&mut err, error, action);
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

fn write_run_error(
    out: &mut impl std::io::Write,
    error: &RunError,
    action: Action,
) -> std::io::Result<()> {
    match error {
        RunError::MigrationFailed(failure) => {
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
                writeln!(out, "  {BLUE}{number} |{BLUE:#} {}", printable(source))?;
                writeln!(out, "  {pad} {BLUE}|{BLUE:#} {indent}{RED}^{RED:#}")?;
            }
            let e = &failure.error;
            writeln!(
                out,
                "  {BLUE}= postgres:{BLUE:#} {} (SQLSTATE {})",
                printable(&e.message),
                e.sqlstate
            )?;
            if let Some(detail) = &e.detail {
                writeln!(out, "  {BLUE}= detail:{BLUE:#} {}", printable(detail))?;
            }
            if let Some(hint) = &e.hint {
                writeln!(out, "  {BLUE}= hint:{BLUE:#} {}", printable(hint))?;
            }
            if let Some(advice) = &failure.advice {
                writeln!(out, "  {BLUE}= help:{BLUE:#} {advice}")?;
            }
            for left in &failure.left_behind {
                writeln!(out, "  {BLUE}= left behind:{BLUE:#} {left}")?;
            }
            for holder in &failure.blocked_by {
                writeln!(
                    out,
                    "  {BLUE}= blocked by:{BLUE:#} {}",
                    printable(&holder.to_string())
                )?;
            }
            if !failure.note.is_empty() {
                writeln!(out, "  {BLUE}= note:{BLUE:#} {}", failure.note)?;
            }
        }
        RunError::Blocked { blockers } => {
            let nothing = match action {
                Action::Rollback => "nothing was rolled back",
                Action::Apply => "nothing was applied",
                Action::Other => "nothing was changed",
            };
            writeln!(out, "{RED}error{RED:#}{BOLD}: {nothing}{BOLD:#}")?;
            for blocker in blockers {
                writeln!(out, "  - {}", printable(&blocker.message))?;
                writeln!(out, "    {BLUE}help:{BLUE:#} {}", blocker.help)?;
            }
        }
        RunError::Error { message } => {
            writeln!(out, "{RED}error{RED:#}: {}", printable(message))?;
        }
    }
    Ok(())
}

/// Renders the report of `repair` or `baseline`: `done` says what was
/// recorded; a refusal or failure is printed as an error.
pub fn history_change(
    global: &crate::args::Global,
    report: &strata::report::HistoryChange,
    done: impl FnOnce(&strata::report::HistoryChange),
) -> anyhow::Result<crate::Outcome> {
    if global.json {
        self::report(report)?;
    } else if let Some(error) = &report.error {
        run_error(error, Action::Other);
    } else {
        done(report);
    }
    Ok(crate::Outcome::of(report.ok))
}

/// A line of a user's file as it may reach a terminal: control characters
/// (an escape sequence could rewrite the screen, hide text or set the window
/// title) become U+FFFD, one character for one, so columns stay put; tabs and
/// line ends stay.
pub fn printable(line: &str) -> String {
    line.chars()
        .map(|c| {
            if c.is_control() && c != '\t' && c != '\n' {
                '\u{fffd}'
            } else {
                c
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn lines_index_gives_what_str_lines_gives() {
        for text in ["a\r\nb\n\nc", "a\n", "", "\n\n", "only", "x\r\n"] {
            let lines = Lines::new(text.to_owned());
            let expected: Vec<&str> = text.lines().collect();
            let got: Vec<&str> = (0..=expected.len()).map_while(|i| lines.get(i)).collect();
            assert_eq!(got, expected, "{text:?}");
        }
    }

    use super::*;
    use strata_core::ProblemCode;

    #[test]
    fn diagnostics_show_the_line_of_their_own_file() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let a = dir.path().join("a.sql");
        let b = dir.path().join("b.sql");
        std::fs::write(&a, "select 1;\nselect a2;\n").unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(&b, "\u{feff}select b1;\r\nselect b2;\r\n")
            .unwrap_or_else(|e| panic!("{e}"));
        let at = |file: &Path, line: u32| {
            Diagnostic::error(ProblemCode::SyntaxError, file, "bad").at(line, Some(8))
        };
        let mut out = Vec::new();
        problems(
            &mut out,
            &[at(&a, 2), at(&a, 1), at(&b, 2), at(&b, 1), at(&a, 9)],
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let text = anstream::adapter::strip_str(&String::from_utf8_lossy(&out)).to_string();
        let shown: Vec<&str> = text
            .lines()
            .filter_map(|l| l.split_once(" | ").map(|(_, source)| source))
            .filter(|source| source.starts_with("select"))
            .collect();
        assert_eq!(
            shown,
            ["select a2;", "select 1;", "select b2;", "select b1;"],
            "{text}"
        );
        assert!(text.contains("       ^"), "{text}");
    }
}
