//! Setting a database up before migrations run (the Supabase stand-in, say).

use tokio_postgres::Client;

use crate::error::{PgError, ServerError};
use crate::history::exec;
use crate::sql::literal;

/// Runs `sql` (a script such as the Supabase stand-in) unless the relation
/// `marker` already exists, so the setup happens once per database. Returns
/// whether it ran.
pub async fn install_once(
    client: &Client,
    marker: &str,
    sql: &str,
    what: &str,
) -> Result<bool, PgError> {
    let rows = exec(
        client,
        &format!("SELECT to_regclass({})::text", literal(marker)),
        "cannot look for an installed setup",
    )
    .await?;
    if rows.first().and_then(|r| r.get(0)).is_some() {
        return Ok(false);
    }
    client
        .batch_execute(sql)
        .await
        .map_err(|e| PgError::Server {
            context: format!("cannot install {what}"),
            error: Box::new(ServerError::from_driver(&e)),
        })?;
    Ok(true)
}
