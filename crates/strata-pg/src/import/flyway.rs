//! Flyway: `flyway_schema_history (installed_rank, version, description,
//! type, script, checksum, installed_by, installed_on, execution_time,
//! success)`, a log in `installed_rank` order, in the first schema of
//! Flyway's `schemas` (`table` names another). A row of type `SQL` (or
//! `JDBC`, `SCRIPT`...) is a migration run, `success` false where it failed;
//! `BASELINE` says every version up to its own counts as applied; `UNDO_*`
//! and `DELETE` rows take a version back out; `SCHEMA` is Flyway's own.
//! Repeatable migrations (`R__`, no version) have no place in strata and are
//! left out. `checksum` is the CRC-32 of a SQL file's lines.

use tokio_postgres::Client;

use super::{Entry, Ran, Recorded};
use crate::error::PgError;
use crate::history::{exec, text};

/// The columns Flyway's table has.
pub(super) const COLUMNS: &[&str] = &[
    "installed_rank",
    "version",
    "description",
    "type",
    "script",
    "checksum",
    "success",
];

/// One row: `(version, description, type, checksum, success)`.
type Row = (Option<String>, String, String, Option<String>, bool);

/// The entries of Flyway's table `table`.
pub(super) async fn read(
    client: &Client,
    table: &str,
    context: &str,
) -> Result<Result<Vec<Entry>, String>, PgError> {
    let rows = exec(
        client,
        &format!(
            "SELECT version, description, type, checksum::text, success::text FROM {table} ORDER BY installed_rank"
        ),
        context,
    )
    .await?;
    let rows: Vec<Row> = rows
        .iter()
        .map(|r| {
            (
                r.get(0).map(str::to_owned),
                text(r, 1),
                text(r, 2),
                r.get(3).map(str::to_owned),
                matches!(r.get(4), Some("t" | "true")),
            )
        })
        .collect();
    Ok(entries(&rows))
}

/// Flyway's log as entries: a baseline as it comes, then the last state of
/// each version.
fn entries(rows: &[Row]) -> Result<Vec<Entry>, String> {
    let mut baselines = Vec::new();
    let mut latest: Vec<(String, Option<Ran>)> = Vec::new();
    for (version, description, kind, checksum, success) in rows {
        let Some(version) = version else {
            // A repeatable migration: strata has none.
            continue;
        };
        let state = match kind.as_str() {
            "SCHEMA" => continue,
            "BASELINE" => {
                baselines.push(Entry::Through {
                    version: version.clone(),
                    inclusive: true,
                });
                continue;
            }
            "DELETE" => None,
            k if k.starts_with("UNDO_") => None,
            _ => {
                let checksum = match (kind.as_str(), checksum) {
                    ("SQL" | "SQL_BASELINE", Some(c)) => {
                        Some(Recorded::Crc32(c.parse().map_err(|_| {
                            format!("version {version} has checksum {c:?}")
                        })?))
                    }
                    _ => None,
                };
                Some(Ran {
                    version: version.clone(),
                    name: Some(description.clone()),
                    failed: (!success).then(|| {
                        "Flyway recorded it as failed: whether its changes are in the database is unknown".to_owned()
                    }),
                    checksum,
                })
            }
        };
        match latest.iter_mut().find(|(v, _)| v == version) {
            Some(slot) => slot.1 = state,
            None => latest.push((version.clone(), state)),
        }
    }
    Ok(baselines
        .into_iter()
        .chain(
            latest
                .into_iter()
                .filter_map(|(_, ran)| ran.map(Entry::Ran)),
        )
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(version: Option<&str>, kind: &str, checksum: Option<&str>, success: bool) -> Row {
        (
            version.map(str::to_owned),
            "d".to_owned(),
            kind.to_owned(),
            checksum.map(str::to_owned),
            success,
        )
    }

    #[test]
    fn the_log_leaves_the_last_state_of_each_version() {
        let rows = [
            row(Some("0"), "SCHEMA", None, true),
            row(Some("1"), "BASELINE", None, true),
            row(Some("2"), "SQL", Some("-5"), true),
            row(Some("3"), "SQL", Some("7"), true),
            row(Some("3"), "UNDO_SQL", Some("8"), true),
            row(None, "SQL", Some("9"), true),
            row(Some("4"), "JDBC", None, false),
        ];
        let got = entries(&rows).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(got.len(), 3, "{got:?}");
        assert_eq!(
            got[0],
            Entry::Through {
                version: "1".into(),
                inclusive: true
            }
        );
        assert!(
            matches!(&got[1], Entry::Ran(r) if r.version == "2" && r.checksum == Some(Recorded::Crc32(-5)))
        );
        assert!(
            matches!(&got[2], Entry::Ran(r) if r.version == "4" && r.failed.is_some() && r.checksum.is_none())
        );
    }
}
