//! Every rule against its fixtures: `tests/fixtures/<rule-name>/` is a
//! migrations directory, linted with that rule alone enabled (at its default
//! severity, `warning` for an opt-in rule), and the diagnostics are rendered
//! and snapshotted, one snapshot per rule. The files of a fixture say in
//! their names and comments what the rule should flag and what it should
//! accept; the snapshot shows what it does.
//!
//! `INSTA_UPDATE=always cargo test -p strata-lint --test rules` rewrites the
//! snapshots; read every changed one before committing it.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use strata_core::config::Compat;
use strata_core::{Diagnostic, FsSource, Severity, load};
use strata_lint::{Family, LintConfig, Rule, lint};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// The directory a fixture is loaded as, the prefix of its file paths: as
/// in a project, so the snapshots name no path of the machine.
const MIGRATIONS: &str = "migrations";

/// A configuration with every rule off but `rule`; for a rule about API
/// exposure, with `public` exposed (as in a Supabase project).
fn only(rule: Rule) -> LintConfig {
    let families = Family::ALL
        .iter()
        .map(|family| format!("\"{}\" = \"off\"", family.name()))
        .collect::<Vec<_>>()
        .join(", ");
    let severity = match rule.default_severity() {
        Some(Severity::Error) => "error",
        _ => "warning",
    };
    let exposed = if rule.judges_api_exposure() {
        "exposed_schemas = [\"public\"]\n"
    } else {
        ""
    };
    let text = format!(
        "{exposed}families = {{ {families} }}\nrules = {{ \"{}\" = \"{severity}\" }}",
        rule.name()
    );
    let table: toml::Table = text.parse().unwrap_or_else(|e| panic!("{text}: {e}"));
    LintConfig::from_table(Some(&table)).unwrap_or_else(|e| panic!("{e}"))
}

/// `severity[code] file:line:col-end_line:end_col message`, the lines of the
/// span with the span underlined, and the help.
fn render_diagnostic(out: &mut String, diagnostic: &Diagnostic, name: &str, lines: &[&str]) {
    let severity = match diagnostic.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    let _ = write!(out, "{severity}[{}] {name}", diagnostic.code);
    let Some(span) = diagnostic.span else {
        let _ = writeln!(out, " {}", diagnostic.message);
        return;
    };
    let _ = write!(out, ":{}", span.line);
    if let (Some(column), Some(end_column)) = (span.column, span.end_column) {
        let _ = write!(out, ":{column}-{}:{end_column}", span.end_line);
    }
    let _ = writeln!(out, " {}", diagnostic.message);
    let width = span.end_line.to_string().len();
    for number in span.line..=span.end_line {
        let text = number
            .checked_sub(1)
            .and_then(|index| lines.get(usize::try_from(index).ok()?))
            .copied()
            .unwrap_or_default();
        let _ = writeln!(out, "  {number:>width$} | {text}");
        let length = text.chars().count();
        // Columns are 1-based characters, the end exclusive; a span without
        // columns is about its whole lines.
        let first = match span.column {
            Some(column) if number == span.line => usize::try_from(column).unwrap_or(1) - 1,
            _ => text.chars().take_while(|c| c.is_whitespace()).count(),
        };
        let end = match span.end_column {
            Some(column) if number == span.end_line => usize::try_from(column).unwrap_or(1) - 1,
            _ => length,
        };
        if end > first {
            let _ = writeln!(
                out,
                "  {:width$} | {}{}",
                "",
                " ".repeat(first),
                "^".repeat(end - first)
            );
        }
    }
    if let Some(help) = &diagnostic.help {
        let _ = writeln!(out, "  help: {help}");
    }
}

/// The diagnostics of a fixture, file by file: every file is named, so the
/// snapshot shows the files that draw none too.
fn render(dir: &Path, diagnostics: &[Diagnostic]) -> String {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap_or_else(|e| panic!("{e}")).path())
        .collect();
    files.sort();
    let mut out = String::new();
    for path in &files {
        let name = path
            .file_name()
            .and_then(|name| name.to_str())
            .unwrap_or_else(|| panic!("{}: not a UTF-8 name", path.display()));
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{name}: {e}"));
        let lines: Vec<&str> = text.lines().collect();
        let file = Path::new(MIGRATIONS).join(name);
        let found: Vec<&Diagnostic> = diagnostics.iter().filter(|d| d.file == file).collect();
        if found.is_empty() {
            let _ = writeln!(out, "── {name}: no diagnostics");
            continue;
        }
        let _ = writeln!(out, "── {name}");
        for diagnostic in found {
            render_diagnostic(&mut out, diagnostic, name, &lines);
        }
    }
    let strays: Vec<&Diagnostic> = diagnostics
        .iter()
        .filter(|d| {
            !files
                .iter()
                .any(|path| path.file_name() == d.file.file_name())
        })
        .collect();
    assert!(
        strays.is_empty(),
        "diagnostics outside the fixture: {strays:#?}"
    );
    out
}

#[test]
fn every_rule_against_its_fixtures() {
    for &rule in Rule::ALL {
        let dir = fixtures().join(rule.name());
        assert!(
            dir.is_dir(),
            "{} has no fixtures in {}",
            rule,
            dir.display()
        );
        let set = strata_sql::ParsedSet::new(load(&FsSource::new(&dir), Path::new(MIGRATIONS)));
        assert!(
            set.problems.is_empty(),
            "{}: the fixture does not load cleanly: {:#?}",
            rule,
            set.problems
        );
        let diagnostics = lint(&set, &only(rule));
        assert!(
            diagnostics.iter().any(|d| d.code == rule),
            "{rule}: the fixture draws no finding"
        );
        insta::assert_snapshot!(rule.name(), render(&dir, &diagnostics));
    }
}

/// The migrations of `rule`'s fixture.
fn fixture(rule: Rule) -> strata_sql::ParsedSet {
    let dir = fixtures().join(rule.name());
    strata_sql::ParsedSet::new(load(&FsSource::new(&dir), Path::new(MIGRATIONS)))
}

#[test]
fn a_plain_project_draws_no_finding_of_the_api_exposure_rules() {
    // Plain PostgreSQL serves no table to API clients: a first `strata lint`
    // of such a project must not fail on row-level security.
    let plain = LintConfig::default();
    let supabase =
        LintConfig::for_project(None, Some(Compat::Supabase)).unwrap_or_else(|e| panic!("{e}"));
    let exposed: toml::Table = "exposed_schemas = [\"public\"]"
        .parse()
        .unwrap_or_else(|e| panic!("{e}"));
    let exposed = LintConfig::from_table(Some(&exposed)).unwrap_or_else(|e| panic!("{e}"));
    assert!(plain.exposed_schemas().is_empty());
    assert_eq!(supabase.exposed_schemas(), ["public"]);
    let exposure: Vec<Rule> = Rule::ALL
        .iter()
        .copied()
        .filter(|rule| rule.judges_api_exposure())
        .collect();
    assert_eq!(exposure.len(), 4, "{exposure:?}");
    for rule in exposure {
        let set = fixture(rule);
        let findings = |config: &LintConfig| -> Vec<Diagnostic> {
            lint(&set, config)
                .into_iter()
                .filter(|d| d.code == rule)
                .collect()
        };
        assert_eq!(plain.severity(rule), None, "{rule}");
        assert!(
            findings(&plain).is_empty(),
            "{rule}: {:#?}",
            findings(&plain)
        );
        // A Supabase project, or one naming its exposed schemas, gets them.
        let expected = findings(&only(rule));
        assert!(!expected.is_empty(), "{rule}");
        assert_eq!(findings(&supabase), expected, "{rule}");
        assert_eq!(findings(&exposed), expected, "{rule}");
    }
}

#[test]
fn every_fixture_is_a_rule() {
    for entry in std::fs::read_dir(fixtures()).unwrap_or_else(|e| panic!("{e}")) {
        let path = entry.unwrap_or_else(|e| panic!("{e}")).path();
        let name = path.file_name().and_then(|name| name.to_str());
        assert!(
            name.and_then(Rule::from_name).is_some(),
            "{}: names no rule",
            path.display()
        );
    }
}
