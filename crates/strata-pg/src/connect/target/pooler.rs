//! Whether a target goes through a transaction pooler: as configured for the environment,
//! else as the connection string tells (Supabase's port 6543, `pgbouncer=true`). The
//! migrator chooses its lock and what it does with the server session from this.

use std::collections::BTreeMap;

use strata_core::config::Pooler;

/// The port of Supabase's transaction pooler (Supavisor), which other poolers copy.
const TRANSACTION_POOLER_PORT: u16 = 6543;

/// Takes the `pgbouncer` flag (Prisma's, which Supabase's connection strings for Prisma
/// carry) out of `values`.
pub(super) fn take_pgbouncer_flag(values: &mut BTreeMap<String, String>) -> Result<bool, String> {
    match values.remove("pgbouncer").as_deref() {
        None | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(_) => Err("pgbouncer must be true or false".to_owned()),
    }
}

/// The pooler mode: the configured one; without it, transaction pooling when one of the
/// ports is 6543 or the `pgbouncer` flag is set, else a direct or session-pooled connection.
pub(super) fn pooler_mode(configured: Option<Pooler>, ports: &[u16], pgbouncer: bool) -> Pooler {
    configured.unwrap_or(if ports.contains(&TRANSACTION_POOLER_PORT) || pgbouncer {
        Pooler::Transaction
    } else {
        Pooler::Session
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connect::target::tests::target;
    use crate::connect::{Source, Target};

    #[test]
    fn poolers_are_detected() {
        assert_eq!(
            target("postgres://u@h:6543/db").pooler(),
            Pooler::Transaction
        );
        assert_eq!(
            target("postgres://u@a:5432,b:6543/db").pooler(),
            Pooler::Transaction
        );
        assert_eq!(
            target("postgres://u@h/db?pgbouncer=true").pooler(),
            Pooler::Transaction
        );
        assert_eq!(
            target("postgres://u@h/db?pgbouncer=false").pooler(),
            Pooler::Session
        );
        assert_eq!(target("postgres://u@h:5432/db").pooler(), Pooler::Session);
        let forced = Target::parse(
            "postgres://u@h:6543/db",
            Source::DatabaseUrl,
            Some(Pooler::Session),
            &|_| None,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(forced.pooler(), Pooler::Session);
    }
}
