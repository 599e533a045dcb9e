//! One fuzz input is a migrations directory: the loader, the splitter, the
//! validator and every lint rule must take it without a panic, a hang or
//! runaway memory (libFuzzer's `-timeout` and `-rss_limit_mb` catch those).
//!
//! The input is cut into files at each `0xFF` byte (which UTF-8 never holds,
//! so the text of each file is untouched by the cut); each file's first byte
//! picks its name among the layouts the loader knows, the rest is its
//! content.

#![no_main]

use std::path::Path;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use strata_core::{MemorySource, load};
use strata_lint::{LintConfig, Rule};

/// File names in every layout, and some the loader must refuse.
const NAMES: &[&str] = &[
    "0001_a.sql",
    "0002_b.up.sql",
    "0002_b.down.sql",
    "0003_c_up.sql",
    "0003_c_down.sql",
    "V4__d.sql",
    "V5.E.up.sql",
    "20240101120000_f.sql",
    "2024-01-02_1200_g.sql",
    "up/0006_h.sql",
    "down/0006_h.sql",
    "0001_a_again.sql",
    "notes.txt",
    "no_version.sql",
];

/// Every rule on, the opt-in ones too.
fn every_rule() -> &'static LintConfig {
    static CONFIG: OnceLock<LintConfig> = OnceLock::new();
    CONFIG.get_or_init(|| {
        let rules: toml::Table = Rule::ALL
            .iter()
            .map(|rule| (rule.name().to_owned(), toml::Value::from("warning")))
            .collect();
        let mut table = toml::Table::new();
        table.insert("rules".to_owned(), toml::Value::Table(rules));
        LintConfig::from_table(Some(&table)).unwrap_or_default()
    })
}

fuzz_target!(|data: &[u8]| {
    let source = data
        .split(|&byte| byte == 0xFF)
        .take(NAMES.len())
        .enumerate()
        .fold(MemorySource::new(), |source, (index, file)| {
            let (pick, content) = file
                .split_first()
                .map_or((index, file), |(&b, rest)| (usize::from(b), rest));
            source.with(NAMES[pick % NAMES.len()], content.to_vec())
        });
    let set = load(&source, Path::new("migrations"));
    for migration in &set.migrations {
        for section in std::iter::once(&migration.up).chain(migration.down.as_ref()) {
            if let Ok(statements) = strata_sql::split(&section.text) {
                for statement in statements {
                    assert!(section.text.get(statement.span.clone()).is_some());
                }
            }
        }
    }
    let set = strata_sql::ParsedSet::new(set);
    let _ = strata_sql::check::validate(&set);
    let _ = strata_lint::lint_with_risk(&set, every_rule());
});
