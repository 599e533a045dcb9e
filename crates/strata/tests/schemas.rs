//! The JSON Schemas of `docs/json/` are generated from the report types
//! ([`strata::report::schemas`]). This test fails when a file is stale;
//! `STRATA_UPDATE_SCHEMAS=1 cargo test -p strata --test schemas` rewrites
//! them.

use std::path::{Path, PathBuf};

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/json")
}

/// A schema as the file holds it: pretty JSON and a final line end.
fn text(schema: &schemars::Schema) -> String {
    let mut text = serde_json::to_string_pretty(schema)
        .unwrap_or_else(|e| panic!("a schema does not serialise: {e}"));
    text.push('\n');
    text
}

#[test]
fn the_json_schemas_in_docs_are_up_to_date() {
    let update = std::env::var_os("STRATA_UPDATE_SCHEMAS").is_some();
    let mut stale = Vec::new();
    let mut names = Vec::new();
    for (name, schema) in strata::report::schemas() {
        let path = dir().join(format!("{name}.schema.json"));
        let expected = text(&schema);
        names.push(format!("{name}.schema.json"));
        if std::fs::read_to_string(&path).ok().as_deref() == Some(expected.as_str()) {
            continue;
        }
        if update {
            std::fs::create_dir_all(dir()).unwrap_or_else(|e| panic!("{e}"));
            std::fs::write(&path, expected)
                .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
        } else {
            stale.push(name);
        }
    }
    // A schema file no report generates any more (a renamed command) would
    // mislead whoever reads the directory.
    let mut orphans = Vec::new();
    for entry in std::fs::read_dir(dir()).unwrap_or_else(|e| panic!("docs/json: {e}")) {
        let file = entry
            .unwrap_or_else(|e| panic!("docs/json: {e}"))
            .file_name()
            .to_string_lossy()
            .into_owned();
        if file.ends_with(".schema.json") && !names.contains(&file) {
            orphans.push(file);
        }
    }
    assert!(
        stale.is_empty() && orphans.is_empty(),
        "stale schemas in docs/json: {stale:?}; no longer generated: {orphans:?}; \
         run `STRATA_UPDATE_SCHEMAS=1 cargo test -p strata --test schemas` \
         (and delete what is no longer generated)"
    );
}
