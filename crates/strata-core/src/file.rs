//! Reading one migration file's text into up and down sections.
//!
//! Layouts inside one file:
//! - sections marked by `-- strata:up`/`-- strata:down`, dbmate's
//!   `-- migrate:up`/`-- migrate:down` or goose's `-- +goose Up`/`-- +goose Down`;
//! - SQL followed by a `-- ROLLBACK:` block whose commented lines are the down,
//!   optionally after an up marker (`-- strata:up`, then the SQL, then the
//!   block instead of a down marker): the shape for directories that another
//!   tool runs verbatim, such as the Supabase CLI's `supabase/migrations`;
//! - plain SQL: up only.
//!
//! Directives before the first marker apply to the whole file; directives
//! inside a section apply to that section only.

use crate::diagnostic::ProblemCode;
use crate::directive::{CommentLine, Directive, Directives, MarkerStyle, classify};

/// How the sections of a file are marked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FileStyle {
    Sections(MarkerStyle),
    Rollback,
    Plain,
}

/// A section's text before it becomes a [`crate::Section`].
#[derive(Clone, Debug, Default)]
pub(crate) struct RawSection {
    pub text: String,
    /// The file line of the first line of `text`.
    pub first_line: u32,
    /// Per line of `text`, what was cut from the start of the file's line
    /// (uncommented `-- ROLLBACK:` blocks: `-- `, or a whole directive line);
    /// empty when nothing was.
    pub line_prefixes: Vec<String>,
    pub directives: Directives,
}

/// A problem found while reading the text: code, line, column, message, help.
pub(crate) type TextProblem = (ProblemCode, u32, Option<u32>, String, Option<String>);

#[derive(Debug)]
pub(crate) struct ParsedText {
    pub style: FileStyle,
    /// The index of the `-- ROLLBACK:` line when a block is the down.
    pub rollback_line: Option<usize>,
    pub file_directives: Directives,
    pub up: RawSection,
    pub down: Option<RawSection>,
    pub problems: Vec<TextProblem>,
}

struct Line<'a> {
    number: u32,
    start: usize,
    text: &'a str,
}

fn lines(text: &str) -> Vec<Line<'_>> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, chunk) in text.split_inclusive('\n').enumerate() {
        out.push(Line {
            number: u32::try_from(i + 1).unwrap_or(u32::MAX),
            start,
            text: chunk.strip_suffix('\n').unwrap_or(chunk),
        });
        start += chunk.len();
    }
    out
}

/// Whether `sql` holds nothing but whitespace and comments.
pub fn is_blank_sql(sql: &str) -> bool {
    let b = sql.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            c if c.is_ascii_whitespace() => i += 1,
            b'-' if b.get(i + 1) == Some(&b'-') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                // Block comments nest in PostgreSQL.
                let mut depth = 0usize;
                while i < b.len() {
                    if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
                        depth += 1;
                        i += 2;
                    } else if b[i] == b'*' && b.get(i + 1) == Some(&b'/') {
                        depth -= 1;
                        i += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        i += 1;
                    }
                }
            }
            _ => return false,
        }
    }
    true
}

/// An up or down section marker.
#[derive(Clone, Copy)]
struct SectionMark {
    /// The index of its line.
    line: usize,
    /// Whether it starts the up (else the down).
    is_up: bool,
    style: MarkerStyle,
    /// Whether the marker itself asks for no transaction (dbmate's option).
    no_transaction: bool,
}

/// Splits normalised file text into sections, collecting every problem.
pub(crate) fn parse_text(text: &str) -> ParsedText {
    let lines = lines(text);
    let mut problems = Vec::new();
    let marks = comment_marks(&lines, &mut problems);
    let section_marks = section_marks(&marks);
    let mut parsed = split_sections(text, &lines, &marks, &section_marks, &mut problems);
    assign_directives(&mut parsed, &lines, &marks, &section_marks, &mut problems);
    check_statement_blocks(&lines, &marks, &section_marks, &mut problems);
    problems.append(&mut parsed.problems);
    problems.sort_by_key(|p| (p.1, p.2));
    parsed.problems = problems;
    parsed
}

/// The comment lines that mean something to strata (markers and directives),
/// by line index; an invalid directive becomes a problem instead.
fn comment_marks<'a>(
    lines: &[Line<'a>],
    problems: &mut Vec<TextProblem>,
) -> Vec<(usize, CommentLine<'a>)> {
    let mut marks = Vec::new();
    for (idx, line) in lines.iter().enumerate() {
        match classify(line.text, line.number) {
            CommentLine::Other => {}
            CommentLine::Invalid {
                unknown,
                message,
                help,
            } => {
                let code = if unknown {
                    ProblemCode::UnknownDirective
                } else {
                    ProblemCode::InvalidDirective
                };
                problems.push((code, line.number, None, message, help));
            }
            other => marks.push((idx, other)),
        }
    }
    marks
}

/// The up and down markers among `marks`, in file order.
fn section_marks(marks: &[(usize, CommentLine<'_>)]) -> Vec<SectionMark> {
    marks
        .iter()
        .filter_map(|(idx, mark)| match mark {
            CommentLine::Up {
                style,
                no_transaction,
            } => Some(SectionMark {
                line: *idx,
                is_up: true,
                style: *style,
                no_transaction: *no_transaction,
            }),
            CommentLine::Down {
                style,
                no_transaction,
            } => Some(SectionMark {
                line: *idx,
                is_up: false,
                style: *style,
                no_transaction: *no_transaction,
            }),
            _ => None,
        })
        .collect()
}

/// Cuts the text by its layout: section markers first, else a `-- ROLLBACK:`
/// block, else the whole text is the up.
fn split_sections(
    text: &str,
    lines: &[Line<'_>],
    marks: &[(usize, CommentLine<'_>)],
    section_marks: &[SectionMark],
    problems: &mut Vec<TextProblem>,
) -> ParsedText {
    let rollback = marks.iter().find_map(|(idx, m)| match m {
        CommentLine::Rollback { inline } => Some((*idx, *inline)),
        _ => None,
    });
    if let ([up], Some((idx, inline))) = (section_marks, rollback)
        && up.is_up
        && up.line < idx
    {
        return up_then_rollback_block(text, lines, *up, idx, inline, problems);
    }
    if let Some(first_style) = section_marks.first().map(|m| m.style) {
        if let Some(&SectionMark {
            line: idx,
            style: other,
            ..
        }) = section_marks.iter().find(|m| m.style != first_style)
        {
            problems.push((
                ProblemCode::ConflictingMarkers,
                lines[idx].number,
                None,
                format!("{other} section marker in a file that uses {first_style} markers"),
                Some(format!(
                    "use one style per file: `{}` and `{}`",
                    first_style.markers().0,
                    first_style.markers().1
                )),
            ));
        }
        sections(text, lines, section_marks, first_style, problems)
    } else if let Some((idx, inline)) = rollback {
        rollback_block(text, lines, idx, inline, problems)
    } else {
        ParsedText {
            style: FileStyle::Plain,
            rollback_line: None,
            file_directives: Directives::default(),
            up: RawSection {
                text: text.to_owned(),
                first_line: 1,
                ..RawSection::default()
            },
            down: None,
            problems: Vec::new(),
        }
    }
}

/// Puts each directive where it applies: file-wide before the first
/// section, else the section's own. A timeout given twice in one scope is a
/// problem.
fn assign_directives(
    parsed: &mut ParsedText,
    lines: &[Line<'_>],
    marks: &[(usize, CommentLine<'_>)],
    section_marks: &[SectionMark],
    problems: &mut Vec<TextProblem>,
) {
    // An up marker before a rollback block starts the up as in a sectioned file.
    let first_section_line = match parsed.style {
        FileStyle::Sections(_) | FileStyle::Rollback => section_marks.first().map(|m| m.line),
        FileStyle::Plain => None,
    };
    let down_mark = section_marks.iter().find(|m| !m.is_up).map(|m| m.line);
    let up_mark = section_marks.iter().find(|m| m.is_up).map(|m| m.line);
    let rollback_mark = parsed.rollback_line;
    let mut seen: Vec<(&'static str, usize)> = Vec::new();
    for (idx, mark) in marks {
        let CommentLine::Directive(directive) = mark else {
            continue;
        };
        let in_down = match (rollback_mark, down_mark, up_mark) {
            (Some(r), _, _) => *idx > r,
            (None, Some(d), Some(u)) => *idx > d && (d > u || *idx < u),
            (None, Some(d), None) => *idx > d,
            _ => false,
        };
        // goose's `-- +goose NO TRANSACTION` covers both directions wherever it
        // stands, as goose reads it: a directive of the whole file.
        let goose_annotation = lines[*idx]
            .text
            .trim_start()
            .strip_prefix("--")
            .is_some_and(|rest| rest.trim_start().starts_with("+goose"));
        let in_header = goose_annotation
            || match (parsed.style, first_section_line) {
                (FileStyle::Sections(_) | FileStyle::Rollback, Some(first)) => *idx < first,
                (FileStyle::Rollback, None) => rollback_mark.is_some_and(|r| *idx < r),
                (FileStyle::Sections(_), None) => false,
                (FileStyle::Plain, _) => true,
            };
        let target = if in_header {
            &mut parsed.file_directives
        } else if in_down {
            match parsed.down.as_mut() {
                Some(down) => &mut down.directives,
                None => continue,
            }
        } else {
            &mut parsed.up.directives
        };
        let scope = if in_header {
            0
        } else if in_down {
            2
        } else {
            1
        };
        let line = lines[*idx].number;
        let twice = |name: &'static str, seen: &mut Vec<(&'static str, usize)>| {
            let again = seen.contains(&(name, scope));
            seen.push((name, scope));
            again
        };
        let duplicate = match directive {
            Directive::NoTransaction => {
                target.no_transaction = true;
                false
            }
            Directive::LockTimeout(d) => {
                target.lock_timeout = Some(*d);
                twice("lock-timeout", &mut seen)
            }
            Directive::StatementTimeout(d) => {
                target.statement_timeout = Some(*d);
                twice("statement-timeout", &mut seen)
            }
            Directive::Allow(allow) => {
                target.allows.push(allow.clone());
                false
            }
        };
        if duplicate {
            problems.push((
                ProblemCode::InvalidDirective,
                line,
                None,
                "directive given twice for the same section; the last one wins".to_owned(),
                Some("remove one of them".to_owned()),
            ));
        }
    }
}

fn sections(
    text: &str,
    lines: &[Line<'_>],
    marks: &[SectionMark],
    style: MarkerStyle,
    problems: &mut Vec<TextProblem>,
) -> ParsedText {
    let (up_marker, down_marker) = style.markers();
    let mut up: Option<RawSection> = None;
    let mut down: Option<RawSection> = None;
    for (k, mark) in marks.iter().enumerate() {
        let SectionMark {
            line: idx,
            is_up,
            no_transaction,
            ..
        } = *mark;
        let end = marks
            .get(k + 1)
            .map_or(text.len(), |next| lines[next.line].start);
        let section = marked_section(text, lines, idx, no_transaction, end);
        let (slot, marker) = if is_up {
            (&mut up, up_marker)
        } else {
            (&mut down, down_marker)
        };
        if slot.is_some() {
            problems.push((
                ProblemCode::DuplicateSectionMarker,
                lines[idx].number,
                None,
                format!("`{marker}` appears a second time"),
                Some(format!(
                    "a file has one `{up_marker}` and at most one `{down_marker}`"
                )),
            ));
        } else {
            *slot = Some(section);
        }
    }

    let first = marks[0].line;
    let header = &text[..lines[first].start];
    if up.is_some() {
        refuse_sql_before(header, lines, first, up_marker, problems);
    }
    let up = up.unwrap_or_else(|| RawSection {
        // Only a down marker: what precedes it is the up.
        text: header.to_owned(),
        first_line: 1,
        ..RawSection::default()
    });
    ParsedText {
        style: FileStyle::Sections(style),
        rollback_line: None,
        file_directives: Directives::default(),
        up,
        down,
        problems: Vec::new(),
    }
}

/// An up marker, the up's SQL, then a `-- ROLLBACK:` block as the down: the
/// up is what lies between the marker and the block, as in a sectioned file,
/// so a file rewritten from `-- strata:down` into a block keeps its up
/// section (and checksum).
fn up_then_rollback_block(
    text: &str,
    lines: &[Line<'_>],
    up_mark: SectionMark,
    marker: usize,
    inline: &str,
    problems: &mut Vec<TextProblem>,
) -> ParsedText {
    let header = &text[..lines[up_mark.line].start];
    refuse_sql_before(
        header,
        lines,
        up_mark.line,
        up_mark.style.markers().0,
        problems,
    );
    let mut parsed = rollback_block(text, lines, marker, inline, problems);
    parsed.up = marked_section(
        text,
        lines,
        up_mark.line,
        up_mark.no_transaction,
        lines[marker].start,
    );
    parsed
}

/// The section that a marker on line index `mark` starts, up to byte `end`.
fn marked_section(
    text: &str,
    lines: &[Line<'_>],
    mark: usize,
    no_transaction: bool,
    end: usize,
) -> RawSection {
    let start = lines.get(mark + 1).map_or(text.len(), |l| l.start);
    RawSection {
        text: text[start..end].to_owned(),
        first_line: lines[mark].number + 1,
        line_prefixes: Vec::new(),
        directives: Directives {
            no_transaction,
            ..Directives::default()
        },
    }
}

/// A problem when `header`, the text before the first section marker (on
/// line index `first`), holds SQL: it would belong to no section.
fn refuse_sql_before(
    header: &str,
    lines: &[Line<'_>],
    first: usize,
    up_marker: &str,
    problems: &mut Vec<TextProblem>,
) {
    if is_blank_sql(header) {
        return;
    }
    let line = lines[..first]
        .iter()
        .find(|l| !is_blank_sql(l.text))
        .map_or(1, |l| l.number);
    problems.push((
        ProblemCode::SqlOutsideSection,
        line,
        None,
        format!(
            "SQL before the first section marker `{}`",
            lines[first].text.trim()
        ),
        Some(format!("move it below `{up_marker}`")),
    ));
}

fn rollback_block(
    text: &str,
    lines: &[Line<'_>],
    marker: usize,
    inline: &str,
    problems: &mut Vec<TextProblem>,
) -> ParsedText {
    let up = RawSection {
        text: text[..lines[marker].start].to_owned(),
        first_line: 1,
        ..RawSection::default()
    };
    let mut down = RawSection {
        first_line: lines[marker].number,
        ..RawSection::default()
    };
    // The marker line itself may carry SQL after the colon.
    let marker_text = lines[marker].text;
    let shift = marker_text.len() - inline.len();
    down.text.push_str(inline);
    down.text.push('\n');
    down.line_prefixes.push(marker_text[..shift].to_owned());
    for line in &lines[marker + 1..] {
        let trimmed = line.text.trim_start();
        if let Some(body) = trimmed.strip_prefix("--") {
            if matches!(classify(line.text, line.number), CommentLine::Other) {
                let body = body.strip_prefix(' ').unwrap_or(body);
                let removed = line.text.len() - body.len();
                down.text.push_str(body);
                down.line_prefixes.push(line.text[..removed].to_owned());
            } else {
                // A directive line inside the block: keep the line count.
                down.line_prefixes.push(line.text.to_owned());
            }
        } else {
            if !trimmed.is_empty() {
                problems.push((
                    ProblemCode::SqlOutsideSection,
                    line.number,
                    None,
                    "SQL after the `-- ROLLBACK:` block is not commented".to_owned(),
                    Some(
                        "comment out every line of the rollback block, or use `-- strata:up` and `-- strata:down` sections"
                            .to_owned(),
                    ),
                ));
            }
            down.line_prefixes.push(line.text.to_owned());
        }
        down.text.push('\n');
    }
    ParsedText {
        style: FileStyle::Rollback,
        rollback_line: Some(marker),
        file_directives: Directives::default(),
        up,
        down: Some(down),
        problems: Vec::new(),
    }
}

fn check_statement_blocks(
    lines: &[Line<'_>],
    marks: &[(usize, CommentLine<'_>)],
    section_marks: &[SectionMark],
    problems: &mut Vec<TextProblem>,
) {
    let mut open: Option<usize> = None;
    let mut boundaries = section_marks.iter().map(|m| m.line).peekable();
    let unclosed = |idx: usize, problems: &mut Vec<TextProblem>| {
        problems.push((
            ProblemCode::UnbalancedStatementBlock,
            lines[idx].number,
            None,
            "`-- +goose StatementBegin` is never closed".to_owned(),
            Some("add `-- +goose StatementEnd` after the statement".to_owned()),
        ));
    };
    for (idx, mark) in marks {
        while boundaries.next_if(|b| b < idx).is_some() {
            if let Some(o) = open.take() {
                unclosed(o, problems);
            }
        }
        match mark {
            CommentLine::StatementBegin => {
                if let Some(o) = open.replace(*idx) {
                    unclosed(o, problems);
                }
            }
            CommentLine::StatementEnd if open.take().is_none() => {
                problems.push((
                    ProblemCode::UnbalancedStatementBlock,
                    lines[*idx].number,
                    None,
                    "`-- +goose StatementEnd` without a `StatementBegin`".to_owned(),
                    None,
                ));
            }
            _ => {}
        }
    }
    if let Some(o) = open {
        unclosed(o, problems);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_sql() {
        assert!(is_blank_sql(""));
        assert!(is_blank_sql("  -- hi\n/* a /* nested */ comment */\n"));
        assert!(!is_blank_sql("-- hi\nselect 1"));
        assert!(!is_blank_sql("/* x */ select 1"));
    }

    #[test]
    fn strata_sections_and_scoped_directives() {
        let text = "-- header\n-- strata:lock-timeout 1s\n-- strata:up\ncreate table t ();\n-- strata:down\n-- strata:no-transaction\ndrop table t;\n";
        let p = parse_text(text);
        assert_eq!(p.style, FileStyle::Sections(MarkerStyle::Strata));
        assert!(p.problems.is_empty(), "{:?}", p.problems);
        assert_eq!(p.up.text, "create table t ();\n");
        assert_eq!(p.up.first_line, 4);
        let down = p.down.unwrap_or_default();
        assert_eq!(down.text, "-- strata:no-transaction\ndrop table t;\n");
        assert_eq!(down.first_line, 6);
        assert!(down.directives.no_transaction);
        assert!(!p.up.directives.no_transaction);
        assert_eq!(
            p.file_directives.lock_timeout,
            Some(std::time::Duration::from_secs(1))
        );
    }

    #[test]
    fn rollback_block_is_uncommented() {
        let text = "create table t ();\n-- ROLLBACK:\n-- drop table t;\n--   -- a comment\n";
        let p = parse_text(text);
        assert_eq!(p.style, FileStyle::Rollback);
        assert_eq!(p.up.text, "create table t ();\n");
        let down = p.down.unwrap_or_default();
        assert_eq!(down.text, "\ndrop table t;\n  -- a comment\n");
        assert_eq!(down.first_line, 2);
        assert_eq!(down.line_prefixes, ["-- ROLLBACK:", "-- ", "-- "]);
    }

    #[test]
    fn an_up_marker_then_a_rollback_block_keeps_the_up_of_the_sectioned_form() {
        let sectioned = "-- Migration: t\n-- strata:no-transaction\n-- strata:up\n-- strata:lock-timeout 2s\ncreate table t ();\n\n-- strata:down\n-- strata:statement-timeout 5s\ndrop table t;\n";
        let blocked = "-- Migration: t\n-- strata:no-transaction\n-- strata:up\n-- strata:lock-timeout 2s\ncreate table t ();\n\n-- ROLLBACK:\n-- strata:statement-timeout 5s\n-- drop table t;\n";
        let (a, b) = (parse_text(sectioned), parse_text(blocked));
        assert!(b.problems.is_empty(), "{:?}", b.problems);
        assert_eq!(b.style, FileStyle::Rollback);
        assert_eq!(b.up.text, a.up.text);
        assert_eq!(b.up.first_line, a.up.first_line);
        assert_eq!(b.file_directives, a.file_directives);
        assert_eq!(b.up.directives, a.up.directives);
        let (da, db) = (a.down.unwrap_or_default(), b.down.unwrap_or_default());
        assert_eq!(db.directives, da.directives);
        // The block keeps a directive line's place but not its text.
        assert_eq!(db.text.trim(), "drop table t;");
        assert_eq!(
            da.text.trim(),
            "-- strata:statement-timeout 5s\ndrop table t;"
        );
        // SQL above the up marker is refused as in a sectioned file.
        let p = parse_text("select 0;\n-- strata:up\nselect 1;\n-- ROLLBACK:\n-- select 2;\n");
        assert_eq!(p.problems.len(), 1, "{:?}", p.problems);
        assert_eq!(p.problems[0].0, ProblemCode::SqlOutsideSection);
    }

    #[test]
    fn sql_after_rollback_block() {
        let p = parse_text("select 1;\n-- ROLLBACK:\n-- select 2;\nselect 3;\n");
        assert_eq!(p.problems.len(), 1);
        assert_eq!(p.problems[0].0, ProblemCode::SqlOutsideSection);
        assert_eq!(p.problems[0].1, 4);
    }

    #[test]
    fn sql_before_the_first_marker() {
        let p = parse_text("select 0;\n-- strata:up\nselect 1;\n");
        assert_eq!(p.problems[0].0, ProblemCode::SqlOutsideSection);
        assert_eq!(p.problems[0].1, 1);
    }

    #[test]
    fn only_a_down_marker_makes_the_text_above_it_the_up() {
        let p = parse_text("select 1;\n-- migrate:down\nselect 2;\n");
        assert!(p.problems.is_empty());
        assert_eq!(p.up.text, "select 1;\n");
        assert_eq!(p.down.map(|d| d.text), Some("select 2;\n".to_owned()));
    }

    #[test]
    fn duplicate_and_conflicting_markers() {
        let p = parse_text("-- strata:up\nselect 1;\n-- strata:up\nselect 2;\n");
        assert_eq!(p.problems[0].0, ProblemCode::DuplicateSectionMarker);
        assert_eq!(p.problems[0].1, 3);
        let p = parse_text("-- strata:up\nselect 1;\n-- migrate:down\nselect 2;\n");
        assert_eq!(p.problems[0].0, ProblemCode::ConflictingMarkers);
    }

    #[test]
    fn goose_no_transaction_covers_both_directions_wherever_it_stands() {
        for text in [
            "-- +goose NO TRANSACTION\n-- +goose Up\ncreate index concurrently i on t (a);\n-- +goose Down\ndrop index concurrently i;\n",
            "-- +goose Up\n-- +goose NO TRANSACTION\ncreate index concurrently i on t (a);\n-- +goose Down\ndrop index concurrently i;\n",
            "-- +goose Up\ncreate index concurrently i on t (a);\n-- +goose Down\n-- +goose NO TRANSACTION\ndrop index concurrently i;\n",
        ] {
            let parsed = parse_text(text);
            assert!(parsed.problems.is_empty(), "{text}: {:?}", parsed.problems);
            assert!(parsed.file_directives.no_transaction, "{text}");
        }
    }

    #[test]
    fn goose_blocks_must_balance() {
        let ok = "-- +goose Up\n-- +goose StatementBegin\ncreate function f() returns int as $$ select 1; $$ language sql;\n-- +goose StatementEnd\n-- +goose Down\ndrop function f;\n";
        assert!(parse_text(ok).problems.is_empty());
        let open = "-- +goose Up\n-- +goose StatementBegin\nselect 1;\n-- +goose Down\nselect 2;\n";
        let p = parse_text(open);
        assert_eq!(p.problems.len(), 1);
        assert_eq!(p.problems[0].0, ProblemCode::UnbalancedStatementBlock);
        assert_eq!(p.problems[0].1, 2);
        let stray = "-- +goose Up\nselect 1;\n-- +goose StatementEnd\n";
        assert_eq!(
            parse_text(stray).problems[0].0,
            ProblemCode::UnbalancedStatementBlock
        );
    }

    #[test]
    fn dbmate_transaction_option_is_per_section() {
        let p =
            parse_text("-- migrate:up transaction:false\nselect 1;\n-- migrate:down\nselect 2;\n");
        assert!(p.up.directives.no_transaction);
        assert!(!p.down.unwrap_or_default().directives.no_transaction);
    }

    #[test]
    fn directive_twice_in_one_scope() {
        let p = parse_text("-- strata:lock-timeout 1s\n-- strata:lock-timeout 2s\nselect 1;\n");
        assert_eq!(p.problems[0].0, ProblemCode::InvalidDirective);
        assert_eq!(p.problems[0].1, 2);
    }
}
