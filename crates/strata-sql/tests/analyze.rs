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

/// The text each effect's location slices out of `sql`, by object name.
fn located(sql: &str) -> Vec<(String, Option<&str>)> {
    analyze(sql)
        .expect("analyzes")
        .effects
        .iter()
        .map(|effect| {
            let text = effect.location.clone().map(|range| &sql[range]);
            (effect.object.to_string(), text)
        })
        .collect()
}

#[test]
fn locations_slice_out_the_object_names() {
    let sql = r#"ALTER TABLE app."Order Lines" ADD COLUMN "Qty" int NOT NULL DEFAULT 1, ADD CONSTRAINT lines_order_fk FOREIGN KEY (order_id) REFERENCES app . orders NOT VALID, ALTER COLUMN note SET NOT NULL, ENABLE ROW LEVEL SECURITY"#;
    assert_eq!(
        located(sql),
        [
            ("column Qty on app.Order Lines".into(), Some(r#""Qty""#)),
            (
                "constraint lines_order_fk on app.Order Lines".into(),
                Some("lines_order_fk")
            ),
            ("table app.orders".into(), Some("app . orders")),
            ("column note on app.Order Lines".into(), None),
            ("table app.Order Lines".into(), Some(r#"app."Order Lines""#)),
        ]
    );
    let sql = "create table s.t (id int primary key, parent int references t, check (id > 0)) inherits (base)";
    assert_eq!(
        located(sql),
        [
            ("table s.t".into(), Some("s.t")),
            ("table base".into(), Some("base")),
            ("table t".into(), Some("t")),
        ]
    );
    let sql = "alter table t add column c int references u check (c > 0), add unique (c)";
    assert_eq!(
        located(sql),
        [
            ("column c on t".into(), Some("c")),
            ("constraint  on t".into(), Some("references")),
            ("table u".into(), Some("u")),
            ("constraint  on t".into(), Some("check")),
            ("constraint  on t".into(), Some("unique")),
        ]
    );
    let sql = "DROP TABLE a; DROP TYPE app.mood; UPDATE x.y SET a = 1 FROM \"Z\" WHERE true";
    assert_eq!(
        located(sql),
        [
            ("table a".into(), None),
            ("type app.mood".into(), Some("app.mood")),
            ("table x.y".into(), Some("x.y")),
            ("table Z".into(), Some("\"Z\"")),
        ]
    );
}
