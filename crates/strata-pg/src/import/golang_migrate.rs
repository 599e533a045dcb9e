//! golang-migrate: one row, `schema_migrations (version bigint, dirty
//! boolean)`, in the connection's current schema (`x-migrations-table`
//! names another). The version is the last migration run: every migration
//! up to it is applied, unless `dirty`, which says that migration stopped
//! part-way (golang-migrate sets it before running a file and clears it
//! after). A dirty `-1` is a failed down of the first migration.

use tokio_postgres::Client;

use super::{Entry, Ran};
use crate::error::PgError;
use crate::history::{exec, text};

/// The columns golang-migrate's table has.
pub(super) const COLUMNS: &[&str] = &["version", "dirty"];

/// The entries of golang-migrate's table `table`, or what is wrong with it.
pub(super) async fn read(
    client: &Client,
    table: &str,
    context: &str,
) -> Result<Result<Vec<Entry>, String>, PgError> {
    let rows = exec(
        client,
        &format!("SELECT version::text, dirty::text FROM {table}"),
        context,
    )
    .await?;
    let rows: Vec<(String, String)> = rows.iter().map(|r| (text(r, 0), text(r, 1))).collect();
    Ok(entries(&rows))
}

/// golang-migrate's rows, `(version, dirty)` as text, as entries.
fn entries(rows: &[(String, String)]) -> Result<Vec<Entry>, String> {
    let [(version, dirty)] = rows else {
        return if rows.is_empty() {
            Ok(Vec::new())
        } else {
            Err(format!(
                "it has {} rows, where golang-migrate keeps one (the version it reached)",
                rows.len()
            ))
        };
    };
    let dirty = dirty == "t" || dirty == "true";
    if version.starts_with('-') {
        return Err(format!(
            "version {version}{}: golang-migrate's rollback of the first migration failed part-way; look at the database, then set it right with golang-migrate (`migrate force`) or remove its row",
            if dirty { " is dirty" } else { "" }
        ));
    }
    Ok(vec![
        Entry::Through {
            version: version.clone(),
            inclusive: false,
        },
        Entry::Ran(Ran {
            failed: dirty.then(|| {
                "golang-migrate recorded it dirty: it stopped part-way, and whether its changes are in the database is unknown".to_owned()
            }),
            ..Ran::applied(version.clone())
        }),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(version: &str, dirty: &str) -> (String, String) {
        (version.to_owned(), dirty.to_owned())
    }

    #[test]
    fn one_row_covers_every_version_up_to_it() {
        let got = entries(&[row("20240102000000", "f")]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            got,
            [
                Entry::Through {
                    version: "20240102000000".into(),
                    inclusive: false
                },
                Entry::Ran(Ran::applied("20240102000000")),
            ]
        );
    }

    #[test]
    fn dirty_is_a_failure_of_that_version() {
        let got = entries(&[row("3", "t")]).unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(&got[1], Entry::Ran(r) if r.failed.is_some()));
    }

    #[test]
    fn rows_golang_migrate_never_leaves() {
        assert_eq!(entries(&[]), Ok(Vec::new()));
        assert!(entries(&[row("1", "f"), row("2", "f")]).is_err());
        assert!(entries(&[row("-1", "t")]).is_err());
    }
}
