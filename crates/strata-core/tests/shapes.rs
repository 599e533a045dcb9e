//! Migration directories shaped as other tools write them, under
//! `tests/data/shapes/<name>/`: each holds a `strata.toml` and the directory
//! it names. Each is loaded as a project would load it, and its versions, in
//! order, and the codes of its diagnostics checked; a snapshot per directory
//! keeps every detail (layouts, the files of each pair, transaction modes,
//! messages).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use strata_core::config::Config;
use strata_core::{FsSource, LoadOptions, MigrationSet, load_with};

fn shapes() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/shapes")
}

/// Loads the fixture `name` through its `strata.toml`.
fn load_shape(name: &str) -> MigrationSet {
    let root = shapes().join(name);
    let text = std::fs::read_to_string(root.join("strata.toml"))
        .unwrap_or_else(|e| panic!("{name}/strata.toml: {e}"));
    let config = Config::parse(&text, Path::new("strata.toml")).unwrap_or_else(|e| panic!("{e}"));
    let options = LoadOptions::from_config(&config).unwrap_or_else(|e| panic!("{e}"));
    let dir = &config.migrations.dir;
    load_with(&FsSource::new(root.join(dir)), dir, &options, None)
}

/// Every migration (version, name, layout, its files, transaction mode) and
/// every diagnostic.
fn summary(set: &MigrationSet) -> String {
    let mut out = format!("order: {}\n", set.order.as_str());
    for m in &set.migrations {
        let _ = writeln!(
            out,
            "{} {:?} {:?} up={}{} down={}",
            m.version,
            m.name,
            m.layout,
            m.up.file.display(),
            if m.up.no_transaction() {
                " (no-tx)"
            } else {
                ""
            },
            m.down.as_ref().map_or("none".to_owned(), |d| format!(
                "{}{}",
                d.file.display(),
                if d.no_transaction() { " (no-tx)" } else { "" }
            )),
        );
    }
    for p in &set.problems {
        let _ = writeln!(out, "{:?}[{}] {p}", p.severity, p.code);
    }
    out
}

/// Each fixture: the versions it must load, in the order strata applies
/// them, and the codes of its diagnostics, in file order.
const EXPECTED: &[(&str, &[&str], &[&str])] = &[
    (
        "whole-names",
        &[
            "0001_create_table_a",
            "0001_create_table_b",
            "0002_index_b",
            "0003",
        ],
        &[],
    ),
    (
        "ignore",
        &["20240301090000"],
        // notes.sql is not in `ignore`: a stray file, said so.
        &["ignored-file"],
    ),
    (
        "supabase-skips",
        // Text order, as the Supabase CLI: the 8-digit date after the
        // 14-digit timestamps it precedes as a number.
        &["20240101000001", "20240101000002", "20250103"],
        &[
            "skipped-by-supabase-cli", // 20200101000000_init.sql, first
            "skipped-by-supabase-cli", // 2024-01-01_1200_dated.sql
            "mixed-version-widths",    // 20240101000001_create_tags.sql
            "skipped-by-supabase-cli", // 20240102000000_upper.SQL
            "skipped-by-supabase-cli", // 3.sql
            "skipped-by-supabase-cli", // README.md
            "skipped-by-supabase-cli", // V1__flyway.sql
            "skipped-by-supabase-cli", // functions/
            "skipped-by-supabase-cli", // seed.sql
        ],
    ),
    (
        "date-beside-timestamps",
        &["20250103", "20240101000002", "20250104000000"],
        &["mixed-version-widths"],
    ),
    (
        "diesel",
        &[
            "00000000000000",
            "20240101120000",
            "20240102093000",
            "20240103080000",
        ],
        &[],
    ),
    (
        "diesel-bad-metadata",
        &["20240201000000"],
        &["invalid-metadata", "ignored-file", "ignored-file"],
    ),
    ("loose-names", &["0001", "0002", "0003"], &["ignored-file"]),
    ("golang-migrate", &["1", "2", "10"], &["pair-name-mismatch"]),
    (
        "impossible-times",
        &[
            "20240101120000",
            "20240101120060",
            "20240230120000",
            "20241301000000",
        ],
        &[
            "impossible-timestamp",
            "impossible-timestamp",
            "impossible-timestamp",
        ],
    ),
];

#[test]
fn every_shape_loads_as_its_tool_reads_it() {
    let mut found: Vec<String> = std::fs::read_dir(shapes())
        .unwrap_or_else(|e| panic!("{e}"))
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .collect();
    found.sort();
    let mut listed: Vec<String> = EXPECTED.iter().map(|(n, ..)| (*n).to_owned()).collect();
    listed.sort();
    assert_eq!(found, listed, "every fixture directory is checked");
    for (name, versions, codes) in EXPECTED {
        let set = load_shape(name);
        let got: Vec<&str> = set.migrations.iter().map(|m| m.version.as_str()).collect();
        assert_eq!(&got, versions, "{name}: {}", summary(&set));
        let got: Vec<&str> = set.problems.iter().map(|p| p.code.as_str()).collect();
        assert_eq!(&got, codes, "{name}: {}", summary(&set));
        assert!(
            !set.has_errors() || *name == "diesel-bad-metadata",
            "{name}: only warnings: {}",
            summary(&set)
        );
        insta::assert_snapshot!(*name, summary(&set));
    }
}

#[test]
fn diesel_metadata_says_no_transaction() {
    let set = load_shape("diesel");
    for m in &set.migrations {
        let concurrently = m.name == "index_email_concurrently";
        assert_eq!(m.up.no_transaction(), concurrently, "{}", m.name);
        let down = m
            .down
            .as_ref()
            .unwrap_or_else(|| panic!("{} has a down", m.name));
        assert_eq!(down.no_transaction(), concurrently, "{}", m.name);
    }
}

#[test]
fn whole_names_pair_each_up_with_its_own_down() {
    let set = load_shape("whole-names");
    for m in &set.migrations {
        let down = m
            .down
            .as_ref()
            .unwrap_or_else(|| panic!("{} has a down", m.version));
        let up_name = m.up.file.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let down_name = down.file.file_name().and_then(|n| n.to_str()).unwrap_or("");
        assert_eq!(
            up_name.strip_suffix(".up.sql"),
            down_name.strip_suffix(".down.sql")
        );
    }
    // Read by number, the same files clash.
    let numbered = strata_core::load(
        &FsSource::new(shapes().join("whole-names/migrations")),
        Path::new("migrations"),
    );
    assert!(
        numbered
            .problems
            .iter()
            .any(|p| p.code == strata_core::ProblemCode::DuplicateVersion)
    );
    assert_eq!(
        strata_core::detect_versions(
            &FsSource::new(shapes().join("whole-names/migrations")),
            Path::new("migrations"),
        ),
        strata_core::Versions::Name
    );
    assert_eq!(
        strata_core::detect_versions(
            &FsSource::new(shapes().join("golang-migrate/migrations")),
            Path::new("migrations"),
        ),
        strata_core::Versions::Number
    );
}
