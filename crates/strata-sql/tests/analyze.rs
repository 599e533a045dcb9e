//! Snapshot of what [`strata_sql::analyze::analyze`] says about every
//! statement of each `tests/data/analyze/*.sql` fixture: one line per
//! effect (action, object, lock, rewrite and scan), then its details as JSON.

use std::fmt::Write as _;
use std::path::PathBuf;

use strata_sql::analyze::{Effect, analyze};
use strata_sql::{LineIndex, split};

fn render_effect(effect: &Effect) -> String {
    let mut line = format!("{:?} {}", effect.action, effect.object);
    if let Some(lock) = effect.lock {
        let _ = write!(line, " | {lock}");
    }
    if effect.rewrites {
        line.push_str(" | rewrites");
    }
    if effect.scans {
        line.push_str(" | scans");
    }
    let details = serde_json::to_string(&effect.details).expect("details serialize");
    let _ = write!(line, "\n        {details}");
    line
}

fn render(sql: &str) -> String {
    let lines = LineIndex::new(sql);
    let mut out = String::new();
    for statement in split(sql).expect("fixture splits") {
        let text = statement.text(sql);
        let _ = writeln!(
            out,
            "{} {}",
            lines.line_col(statement.span.start),
            statement.tag
        );
        let analysis = analyze(text).expect("a split statement analyzes");
        if analysis.effects.is_empty() {
            out.push_str("    (no effects)\n");
        }
        for effect in &analysis.effects {
            let _ = writeln!(out, "    {}", render_effect(effect));
        }
    }
    out
}

#[test]
fn analyze_fixtures() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/analyze");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|error| panic!("reading {}: {error}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.extension().is_some_and(|extension| extension == "sql"))
        .collect();
    paths.sort();
    assert!(!paths.is_empty(), "no fixtures in {}", dir.display());
    for path in paths {
        let stem = path
            .file_stem()
            .and_then(|stem| stem.to_str())
            .expect("UTF-8 file name")
            .to_owned();
        let sql = std::fs::read_to_string(&path).expect("fixture reads");
        insta::assert_snapshot!(format!("analyze__{stem}"), render(&sql));
    }
}
