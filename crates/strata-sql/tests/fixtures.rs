//! Data-driven tests: every `tests/data/ok/*.sql` splits and every
//! `tests/data/err/*.sql` is rejected; what comes out is snapshotted with
//! positions as people read them.

use std::fmt::Write as _;
use std::path::PathBuf;

use strata_sql::{LineIndex, Statement, SyntaxError, split};

/// The fixtures of one kind (`ok` or `err`), by file stem, in name order.
fn fixtures(kind: &str) -> Vec<(String, String)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(kind);
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|error| panic!("reading {}: {error}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.extension().is_some_and(|extension| extension == "sql"))
        .collect();
    paths.sort();
    assert!(!paths.is_empty(), "no fixtures in {}", dir.display());
    paths
        .into_iter()
        .map(|path| {
            let stem = path
                .file_stem()
                .and_then(|stem| stem.to_str())
                .expect("UTF-8 file name")
                .to_owned();
            let sql = std::fs::read_to_string(&path)
                .unwrap_or_else(|error| panic!("reading {}: {error}", path.display()));
            (stem, sql)
        })
        .collect()
}

fn render_statements(sql: &str, statements: &[Statement]) -> String {
    let lines = LineIndex::new(sql);
    let mut out = String::new();
    if statements.is_empty() {
        out.push_str("(no statements)\n");
    }
    for statement in statements {
        let start = lines.line_col(statement.span.start);
        let end = lines.line_col(statement.span.end);
        let _ = write!(out, "{start}-{end} {}", statement.tag);
        if let Some(reason) = statement.no_transaction_reason() {
            let _ = write!(out, " | no transaction: {reason}");
        }
        if let Some(control) = statement.transaction_control() {
            let _ = write!(out, " | transaction control: {control}");
        }
        out.push('\n');
        for line in statement.text(sql).lines() {
            let _ = writeln!(out, "    {}", line.trim_end_matches('\r'));
        }
    }
    out
}

fn render_error(sql: &str, error: &SyntaxError) -> String {
    let mut out = format!("error: {error}\n");
    let Some(offset) = error.offset else {
        out.push_str("(no position)\n");
        return out;
    };
    let position = LineIndex::new(sql).line_col(offset);
    let _ = writeln!(out, " --> {position} (byte {offset})");
    let line = sql
        .lines()
        .nth(position.line as usize - 1)
        .unwrap_or_default();
    let margin = position.line.to_string().len();
    let _ = writeln!(out, "{} |", " ".repeat(margin));
    let _ = writeln!(out, "{} | {line}", position.line);
    let caret_indent = " ".repeat(position.column as usize - 1);
    let _ = writeln!(out, "{} | {caret_indent}^", " ".repeat(margin));
    out
}

fn settings() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings
}

#[test]
fn ok_fixtures_split() {
    settings().bind(|| {
        for (name, sql) in fixtures("ok") {
            let statements = split(&sql).unwrap_or_else(|error| panic!("ok/{name}.sql: {error}"));
            for statement in &statements {
                let text = statement.text(&sql);
                assert_eq!(text.trim(), text, "ok/{name}.sql: span is trimmed");
                assert!(
                    !text.ends_with(';'),
                    "ok/{name}.sql: span excludes the semicolon"
                );
            }
            insta::assert_snapshot!(format!("ok__{name}"), render_statements(&sql, &statements));
        }
    });
}

#[test]
fn err_fixtures_are_rejected() {
    settings().bind(|| {
        for (name, sql) in fixtures("err") {
            let error = match split(&sql) {
                Ok(statements) => panic!("err/{name}.sql should not split: {statements:?}"),
                Err(error) => error,
            };
            insta::assert_snapshot!(format!("err__{name}"), render_error(&sql, &error));
        }
    });
}
