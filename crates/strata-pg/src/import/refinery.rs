//! refinery: `refinery_schema_history (version int4, name varchar(255),
//! applied_on varchar(255), checksum varchar(255))`, a row per applied
//! migration (`V1__name.sql` is version 1). Its checksum is a hash of the
//! migration's name, version and SQL through Rust's `Hash`, whose output
//! the standard library does not promise to keep, so strata does not
//! compare it.

use tokio_postgres::Client;

use super::{Entry, Ran};
use crate::error::PgError;
use crate::history::{exec, text};

/// The columns refinery's table has.
pub(super) const COLUMNS: &[&str] = &["version", "name", "applied_on", "checksum"];

/// The entries of refinery's table `table`.
pub(super) async fn read(
    client: &Client,
    table: &str,
    context: &str,
) -> Result<Result<Vec<Entry>, String>, PgError> {
    let rows = exec(
        client,
        &format!("SELECT version::text, name FROM {table}"),
        context,
    )
    .await?;
    Ok(Ok(rows
        .iter()
        .map(|r| {
            Entry::Ran(Ran {
                name: r.get(1).map(str::to_owned),
                ..Ran::applied(text(r, 0))
            })
        })
        .collect()))
}
