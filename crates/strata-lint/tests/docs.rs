//! The rule documentation in `docs/rules/` is generated from each rule's module
//! documentation, and the rule index in the README from the registry. This test
//! fails when either is stale; `STRATA_UPDATE_DOCS=1 cargo test -p strata-lint
//! --test docs` rewrites them.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use strata_lint::{Rule, Severity};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn severity(rule: Rule) -> &'static str {
    match rule.default_severity() {
        Some(Severity::Error) => "error",
        Some(Severity::Warning) => "warning",
        None => "off (opt-in)",
    }
}

/// The Markdown page of one rule, from the `//!` lines of its module.
fn page(rule: Rule) -> String {
    let module = rule.name().replace('-', "_");
    let source_path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("src/rules")
        .join(format!("{module}.rs"));
    let source = std::fs::read_to_string(&source_path)
        .unwrap_or_else(|e| panic!("{}: {e}", source_path.display()));
    let body: Vec<&str> = source
        .lines()
        .take_while(|l| l.starts_with("//!"))
        .map(|l| {
            let text = l.trim_start_matches("//!");
            text.strip_prefix(' ').unwrap_or(text)
        })
        .collect();
    assert!(
        !body.is_empty(),
        "{} has no module documentation",
        source_path.display()
    );
    for heading in [
        "## What it flags",
        "## Why it is dangerous",
        "## Example",
        "## Instead",
    ] {
        assert!(
            body.contains(&heading),
            "{}: missing `{heading}`",
            source_path.display()
        );
    }
    let exposure = if rule.judges_api_exposure() {
        "\n\nRuns only where API clients reach the tables: in a Supabase project (`compat = \"supabase\"` \
         in `strata.toml`, which exposes `public`), or where `[lint] exposed_schemas` lists the schemas \
         they reach. A plain PostgreSQL project exposes none, and the rule finds nothing there."
    } else {
        ""
    };
    format!(
        "# {}\n\nFamily: {} · default severity: {}\n\n{}{exposure}\n\n{}\n\nSilence it where it is intended: `-- strata:allow {} -- reason`.\n",
        rule.name(),
        rule.family().name(),
        severity(rule),
        rule.summary(),
        body.join("\n").trim(),
        rule.name()
    )
}

fn index() -> String {
    let mut out =
        String::from("| rule | family | default | what it flags |\n| --- | --- | --- | --- |\n");
    for &rule in Rule::ALL {
        let _ = writeln!(
            out,
            "| [`{0}`](docs/rules/{0}.md) | {1} | {2} | {3} |",
            rule.name(),
            rule.family().name(),
            severity(rule),
            rule.summary()
        );
    }
    out
}

fn check_or_update(path: &Path, expected: &str, stale: &mut Vec<String>) {
    let actual = std::fs::read_to_string(path).unwrap_or_default();
    if actual == expected {
        return;
    }
    if std::env::var_os("STRATA_UPDATE_DOCS").is_some() {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap_or_else(|e| panic!("{e}"));
        }
        std::fs::write(path, expected).unwrap_or_else(|e| panic!("{e}"));
    } else {
        stale.push(path.display().to_string());
    }
}

#[test]
fn rule_docs_and_the_readme_index_are_up_to_date() {
    let mut stale = Vec::new();
    for &rule in Rule::ALL {
        let path = root().join(rule.doc_path());
        check_or_update(&path, &page(rule), &mut stale);
    }
    let readme_path = root().join("README.md");
    let readme = std::fs::read_to_string(&readme_path).unwrap_or_else(|e| panic!("{e}"));
    let (start, end) = ("<!-- rules:start -->\n", "<!-- rules:end -->");
    let (Some(a), Some(b)) = (readme.find(start), readme.find(end)) else {
        panic!("README.md lacks the {start} ... {end} markers");
    };
    let updated = format!("{}{start}{}{}", &readme[..a], index(), &readme[b..]);
    check_or_update(&readme_path, &updated, &mut stale);
    assert!(
        stale.is_empty(),
        "stale documentation: {stale:?}; run `STRATA_UPDATE_DOCS=1 cargo test -p strata-lint --test docs`"
    );
}
