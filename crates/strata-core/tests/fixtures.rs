//! Loads the shared fixture directories under `tests/data/` at the workspace root.
//!
//! `ok/*` must load without problems; every `err/<code>` directory named after
//! a problem code that strata-core detects must produce that problem.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use strata_core::{FsSource, MigrationSet, ProblemCode, Severity, load};

fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data")
}

fn load_fixture(rel: &str) -> MigrationSet {
    let dir = data().join(rel);
    load(&FsSource::new(&dir), Path::new(rel))
}

fn summary(set: &MigrationSet) -> String {
    let mut out = String::new();
    for m in &set.migrations {
        let _ = writeln!(
            out,
            "{} {:?} {:?} {:?} up={}:{} no_tx={} down={}",
            m.version,
            m.name,
            m.scheme,
            m.layout,
            m.up.file.display(),
            m.up.first_line,
            m.up.no_transaction(),
            m.down.as_ref().map_or("none".to_owned(), |d| format!(
                "{}:{} no_tx={}",
                d.file.display(),
                d.first_line,
                d.no_transaction()
            )),
        );
    }
    out
}

#[test]
fn every_layout_in_one_directory() {
    let set = load_fixture("ok/layouts");
    assert_eq!(set.problems, vec![], "{:#?}", set.problems);
    insta::assert_snapshot!(summary(&set));
    let directives = &set.migrations[11].up.directives;
    assert_eq!(
        directives.lock_timeout,
        Some(std::time::Duration::from_secs(2))
    );
    assert_eq!(
        directives.statement_timeout,
        Some(std::time::Duration::from_secs(60))
    );
    assert_eq!(directives.allows[0].rules, ["adding-not-null-column"]);
    assert_eq!(
        directives.allows[0].reason,
        "the table is empty at this point"
    );
}

#[test]
fn every_naming_scheme_in_one_directory() {
    let set = load_fixture("ok/names");
    assert_eq!(set.problems, vec![], "{:#?}", set.problems);
    insta::assert_snapshot!(summary(&set));
}

#[test]
fn bom_and_crlf_do_not_change_the_checksum() {
    let set = load_fixture("ok/layouts");
    let windows = set
        .migrations
        .iter()
        .find(|m| m.name == "windows_file")
        .unwrap_or_else(|| panic!("fixture missing"));
    assert_eq!(
        windows.up.checksum,
        strata_core::Checksum::of("create table windows (id int);\n")
    );
}

#[test]
fn each_error_fixture_reports_its_problem() {
    let core_codes = [
        ProblemCode::DuplicateVersion,
        ProblemCode::UnparseableName,
        ProblemCode::UnsupportedRepeatable,
        ProblemCode::DownWithoutUp,
        ProblemCode::MixedLayouts,
        ProblemCode::PairNameMismatch,
        ProblemCode::EmptyUp,
        ProblemCode::UnfilledTemplate,
        ProblemCode::NotUtf8,
        ProblemCode::NulByte,
        ProblemCode::UnknownDirective,
        ProblemCode::InvalidDirective,
        ProblemCode::DuplicateSectionMarker,
        ProblemCode::ConflictingMarkers,
        ProblemCode::SqlOutsideSection,
        ProblemCode::UnbalancedStatementBlock,
        ProblemCode::IgnoredFile,
    ];
    let mut report = String::new();
    for code in core_codes {
        let set = load_fixture(&format!("err/{code}"));
        assert!(
            set.problems.iter().any(|p| p.code == code),
            "err/{code}: {:#?}",
            set.problems
        );
        for p in &set.problems {
            let _ = writeln!(report, "{p} [{}]", p.code);
        }
    }
    insta::assert_snapshot!(report);
}

#[test]
fn every_problem_is_reported_at_once() {
    let set = load_fixture("err/many");
    let codes: Vec<strata_core::Code> = set.problems.iter().map(|p| p.code).collect();
    assert!(
        codes.contains(&ProblemCode::DuplicateVersion.into()),
        "{codes:?}"
    );
    assert!(
        codes.contains(&ProblemCode::UnknownDirective.into()),
        "{codes:?}"
    );
    assert!(codes.contains(&ProblemCode::NotUtf8.into()), "{codes:?}");
    assert!(set.problems.iter().all(|p| p.severity == Severity::Error));
    // The healthy migrations are still there.
    assert!(set.migrations.iter().any(|m| m.name == "fine"));
}

#[test]
fn a_missing_directory_is_one_clear_problem() {
    let set = load_fixture("does/not/exist");
    assert_eq!(set.problems.len(), 1);
    assert_eq!(set.problems[0].code, ProblemCode::Io);
    assert!(
        set.problems[0]
            .help
            .as_deref()
            .unwrap_or("")
            .contains("strata init")
    );
}

#[test]
fn symlinked_migrations_and_directories_are_followed() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let real = tmp.path().join("real");
    std::fs::create_dir_all(real.join("up")).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(real.join("0001_a.sql"), "select 1;\n").unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(real.join("up/0002_b.sql"), "select 2;\n").unwrap_or_else(|e| panic!("{e}"));
    let dir = tmp.path().join("migrations");
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    std::os::unix::fs::symlink(real.join("0001_a.sql"), dir.join("0001_a.sql"))
        .unwrap_or_else(|e| panic!("{e}"));
    std::os::unix::fs::symlink(real.join("up"), dir.join("up")).unwrap_or_else(|e| panic!("{e}"));
    let set = load(&FsSource::new(&dir), Path::new("migrations"));
    assert_eq!(set.problems, vec![]);
    let versions: Vec<String> = set
        .migrations
        .iter()
        .map(|m| m.version.to_string())
        .collect();
    assert_eq!(versions, ["0001", "0002"]);
}
