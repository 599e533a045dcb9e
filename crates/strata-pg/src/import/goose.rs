//! goose: `goose_db_version (id serial, version_id bigint, is_applied
//! boolean, tstamp timestamp)`, a log: goose adds a row when it applies a
//! migration and, in its older versions, another with `is_applied` false
//! when it rolls one back (newer ones delete the rows instead). The latest
//! row of a version (highest `id`) says whether it is applied. The row of
//! version 0 is goose's own, written when it creates the table.

use tokio_postgres::Client;

use super::{Entry, Ran};
use crate::error::PgError;
use crate::history::{exec, text};

/// The columns goose's table has.
pub(super) const COLUMNS: &[&str] = &["id", "version_id", "is_applied"];

/// The entries of goose's table `table`.
pub(super) async fn read(
    client: &Client,
    table: &str,
    context: &str,
) -> Result<Result<Vec<Entry>, String>, PgError> {
    let rows = exec(
        client,
        &format!("SELECT version_id::text, is_applied::text FROM {table} ORDER BY id"),
        context,
    )
    .await?;
    let rows: Vec<(String, bool)> = rows
        .iter()
        .map(|r| (text(r, 0), matches!(r.get(1), Some("t" | "true"))))
        .collect();
    Ok(Ok(entries(&rows)))
}

/// goose's log, `(version_id, is_applied)` oldest first, as the migrations
/// it leaves applied.
fn entries(rows: &[(String, bool)]) -> Vec<Entry> {
    let mut latest: Vec<(&str, bool)> = Vec::new();
    for (version, applied) in rows {
        match latest.iter_mut().find(|(v, _)| v == version) {
            Some(slot) => slot.1 = *applied,
            None => latest.push((version, *applied)),
        }
    }
    latest
        .into_iter()
        .filter(|(version, applied)| *applied && *version != "0")
        .map(|(version, _)| Entry::Ran(Ran::applied(version)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_latest_row_of_a_version_decides() {
        let rows: Vec<(String, bool)> = [
            ("0", true),
            ("1", true),
            ("2", true),
            ("2", false),
            ("3", true),
            ("3", false),
            ("3", true),
        ]
        .iter()
        .map(|(v, a)| ((*v).to_owned(), *a))
        .collect();
        assert_eq!(
            entries(&rows),
            [Entry::Ran(Ran::applied("1")), Entry::Ran(Ran::applied("3"))]
        );
    }
}
