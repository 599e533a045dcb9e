//! What strata may do with the server session behind its connection, apart
//! from the lock. A session of strata's own runs every statement on one
//! backend and keeps a setting until strata changes it, so it is reset
//! between migrations; a session lent one transaction at a time by a
//! transaction pooler does neither, and gets no session setting at all.

use strata_core::config::Pooler;

use super::*;
use crate::error::PgError;

/// The server session as strata may use it, chosen with the lock when the
/// migrator is built.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Session {
    /// strata's own for the run: a direct connection, or a session pooler.
    Own,
    /// Lent one transaction at a time by a transaction pooler: the next
    /// transaction may run on another backend, and a setting left on one
    /// stays there for the pooler's other clients.
    Lent,
}

impl Session {
    pub(super) fn new(pooler: Pooler) -> Self {
        match pooler {
            Pooler::Session => Self::Own,
            Pooler::Transaction => Self::Lent,
        }
    }

    /// A plain `SET` or `RESET ALL` outside a transaction reaches the backend
    /// that runs strata's next statements, and no one else: session timeouts
    /// for a no-transaction section, a reset between migrations.
    pub(super) fn keeps_settings(self) -> bool {
        matches!(self, Self::Own)
    }

    /// What a claim records as the backend running the section, so that a
    /// later command can ask whether it still runs it: this session's pid
    /// when one backend runs all of it, else nothing.
    pub(super) fn claiming_backend(self) -> &'static str {
        match self {
            Self::Own => "pg_backend_pid()",
            Self::Lent => "NULL",
        }
    }
}

impl Migrator {
    /// Sends [`Migrator::session_reset`] on its own, where settings are strata's to reset.
    pub(super) async fn reset_session(&self) -> Result<(), PgError> {
        if !self.session.keeps_settings() {
            return Ok(());
        }
        self.exec(&self.session_reset(), "cannot reset session settings")
            .await
            .map(|_| ())
    }

    /// `RESET ALL` on a session of strata's own, so a plain `SET` in one
    /// migration (say of `search_path`) does not leak into the next one of the
    /// same run: each migration sees the same session whether applied alone or
    /// in a batch. `RESET ALL` leaves the role and the session authorization
    /// alone, so those are reset by name. Once the session lock was taken,
    /// also checks that this is still the session that took it. On a lent
    /// session, settings are the pooler's business: nothing.
    pub(super) fn session_reset(&self) -> String {
        if !self.session.keeps_settings() {
            return String::new();
        }
        let mut sql = String::new();
        let backend = self.lock.backend();
        if let Some(backend) = backend {
            sql.push_str(&format!(
                "DO $strata$ BEGIN IF pg_backend_pid() <> {} THEN RAISE EXCEPTION 'strata: the server session changed' USING ERRCODE = 'SR005'; END IF; END $strata$;\n",
                backend.pid
            ));
        }
        sql.push_str(&format!("RESET ALL;\n{RESET_ROLE}"));
        if let Some(interval) = self.settings.client_check_interval
            && backend.is_some_and(|b| b.check_interval_supported)
        {
            // With the server's own keepalives and tcp_user_timeout on this
            // session, a strata that vanished without closing its socket (a
            // network cut, a host gone) is noticed in about a minute, not the
            // system's two hours, and its backend stops and lets go of the lock.
            sql.push_str(&format!(
                "SET client_connection_check_interval = {};\nSET tcp_keepalives_idle = 30;\nSET tcp_keepalives_interval = 10;\nSET tcp_keepalives_count = 3;\nSET tcp_user_timeout = 60000;\n",
                interval.as_millis()
            ));
        }
        sql
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lent_session_takes_no_settings_and_names_no_backend() {
        assert!(Session::new(Pooler::Session).keeps_settings());
        assert_eq!(
            Session::new(Pooler::Session).claiming_backend(),
            "pg_backend_pid()"
        );
        assert!(!Session::new(Pooler::Transaction).keeps_settings());
        assert_eq!(Session::new(Pooler::Transaction).claiming_backend(), "NULL");
    }
}
