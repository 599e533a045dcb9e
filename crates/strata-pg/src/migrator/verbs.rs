//! The history writes, as named verbs: each returns the SQL that records one
//! step (a claim, progress, the end of a section, a withdrawn claim, a stop,
//! an event), for the runner to send with the migration's own SQL. All of it
//! runs as the connecting user, whatever role a migration switched to.
//!
//! Between the statements of a section that runs statement by statement,
//! the writes go in a transaction of strata's own ([`Migrator::bookkeeping`]),
//! sent only where no transaction block of the section's own is open, with
//! the role and search path reset for that transaction alone: the section
//! gets its role and settings back at its `COMMIT`.
//!
//! In a Supabase project ([`Settings::supabase_history`]) the verbs that
//! make a migration applied or not applied also write the Supabase CLI's
//! history, in the same SQL, so both histories commit together or not at all.

use strata_core::plan::Direction;
use strata_core::{Migration, Section, Version};

use super::runner::SectionRun;
use super::*;
use crate::history::SUPABASE_TABLE;
use crate::sql::{literal, literal_opt};

impl Migrator {
    /// The history row of `m`; a `failed` row is a claim by this backend on its up.
    pub(super) fn history_insert(&self, m: &Migration, status: &str) -> String {
        let down = m.down.as_ref();
        let claim = if status == "failed" {
            format!("'up', {}", self.session.claiming_backend())
        } else {
            "NULL, NULL".to_owned()
        };
        format!(
            "INSERT INTO {}.migrations (version, name, checksum, down_checksum, down_sql, down_no_transaction, no_transaction, status, failed_direction, backend_pid, os_user, tool_version, duration_ms)
VALUES ({}, {}, {}, {}, {}, {}, {}, '{status}', {claim}, {}, {}, (extract(epoch FROM clock_timestamp() - now()) * 1000)::bigint);\n",
            self.schema(),
            literal(m.version.as_str()),
            literal(&m.name),
            literal(&m.up.checksum.to_string()),
            literal_opt(down.map(|d| d.checksum.to_string()).as_deref()),
            literal_opt(down.map(|d| d.text.as_str())),
            down.is_some_and(Section::no_transaction),
            m.up.no_transaction(),
            literal_opt(self.settings.os_user.as_deref()),
            literal(&self.settings.tool_version),
        )
    }

    pub(super) fn event_insert(
        &self,
        kind: &str,
        version: &Version,
        name: &str,
        outcome: &str,
        detail: Option<&str>,
    ) -> String {
        format!(
            "INSERT INTO {}.events (kind, version, name, outcome, detail, os_user, tool_version) VALUES ({}, {}, {}, {}, {}, {}, {});\n",
            self.schema(),
            literal(kind),
            literal(version.as_str()),
            literal(name),
            literal(outcome),
            literal_opt(detail),
            literal_opt(self.settings.os_user.as_deref()),
            literal(&self.settings.tool_version),
        )
    }

    /// Records a failed attempt (best effort: the original error matters more).
    pub(super) async fn record_failure(&self, direction: Direction, m: &Migration, detail: &str) {
        let kind = match direction {
            Direction::Up => "apply",
            Direction::Down => "rollback",
        };
        let sql =
            self.bookkeeping(&self.event_insert(kind, &m.version, &m.name, "failed", Some(detail)));
        let _ = self.client.simple_query(&sql).await;
        let _ = self.client.simple_query("ROLLBACK").await;
    }

    /// Where other migrators can act between this one's transactions, the
    /// guard that skips a migration another one did meanwhile (SR001 already
    /// applied, SR003 already rolled back), and waits while another one is in
    /// the middle of a no-transaction section (SR002).
    pub(super) fn done_by_another_guard(&self, version: &Version, direction: Direction) -> String {
        if !self.lock.others_can_interleave() {
            return String::new();
        }
        let s = self.schema();
        let v = literal(version.as_str());
        let done = match direction {
            Direction::Up => format!(
                "IF EXISTS (SELECT 1 FROM {s}.migrations WHERE version = {v} AND status = 'applied') THEN RAISE EXCEPTION 'strata: already applied' USING ERRCODE = 'SR001'; END IF;"
            ),
            Direction::Down => format!(
                "IF NOT EXISTS (SELECT 1 FROM {s}.migrations WHERE version = {v} AND status = 'applied') THEN RAISE EXCEPTION 'strata: already rolled back' USING ERRCODE = 'SR003'; END IF;"
            ),
        };
        format!(
            "DO $strata$ BEGIN {done} \
IF EXISTS (SELECT 1 FROM {s}.migrations WHERE status = 'failed') THEN RAISE EXCEPTION 'strata: a no-transaction migration is running in another migrator, or failed part-way' USING ERRCODE = 'SR002'; END IF; \
END $strata$;\n"
        )
    }

    /// History verb: the section completed (inside the transaction that ran it,
    /// for a transactional section).
    pub(super) fn record_done(&self, run: &SectionRun<'_>) -> String {
        let m = run.m;
        match run.direction {
            Direction::Up => {
                let mut sql = self.history_insert(m, "applied");
                sql.push_str(&self.supabase_record(&m.version, &m.name, run.statement_texts()));
                sql.push_str(&self.event_insert("apply", &m.version, &m.name, "ok", None));
                sql
            }
            Direction::Down => self.forget(m),
        }
    }

    /// History verb: remove the row of a rolled-back migration, with its event.
    pub(super) fn forget(&self, m: &Migration) -> String {
        format!(
            "DELETE FROM {}.migrations WHERE version = {};\n{}{}",
            self.schema(),
            literal(m.version.as_str()),
            self.supabase_forget(&m.version),
            self.event_insert("rollback", &m.version, &m.name, "ok", None)
        )
    }

    /// History verb, in a Supabase project: the Supabase CLI's row of an
    /// applied migration, as `supabase db push` writes it (version, name, the
    /// statements that ran). A row the CLI wrote for this version is
    /// replaced: removed and inserted again rather than `ON CONFLICT`, which
    /// would fail on a table whose primary key someone dropped. Nothing
    /// elsewhere.
    pub(super) fn supabase_record<'s>(
        &self,
        version: &Version,
        name: &str,
        statements: impl IntoIterator<Item = &'s str>,
    ) -> String {
        if !self.settings.supabase_history {
            return String::new();
        }
        let statements: Vec<String> = statements.into_iter().map(literal).collect();
        format!(
            "{}INSERT INTO {SUPABASE_TABLE} (version, name, statements) VALUES ({}, {}, ARRAY[{}]::text[]);\n",
            self.supabase_forget(version),
            literal(version.as_str()),
            literal(name),
            statements.join(", ")
        )
    }

    /// History verb, in a Supabase project: remove the Supabase CLI's row of
    /// a migration that is not applied any more. Nothing elsewhere.
    pub(super) fn supabase_forget(&self, version: &Version) -> String {
        if !self.settings.supabase_history {
            return String::new();
        }
        format!(
            "DELETE FROM {SUPABASE_TABLE} WHERE version = {};\n",
            literal(version.as_str())
        )
    }

    /// History verb: claim a no-transaction section before its first statement:
    /// the row says `failed` with 0 statements done, by this backend, until the
    /// section completes. Also lists the INVALID indexes that exist before it
    /// runs, so that those it leaves behind can be told apart.
    pub(super) fn claim(&self, m: &Migration, direction: Direction) -> String {
        let bookkeeping = match direction {
            // Claimed, the up runs statement by statement: its row says so
            // also when the file manages its own transactions without the
            // directive.
            Direction::Up => format!(
                "{}UPDATE {}.migrations SET no_transaction = true WHERE version = {};\n",
                self.history_insert(m, "failed"),
                self.schema(),
                literal(m.version.as_str())
            ),
            Direction::Down => format!(
                "UPDATE {}.migrations SET status = 'failed', failed_direction = 'down', statements_done = 0, backend_pid = {}, failure = NULL WHERE version = {};\n",
                self.schema(),
                self.session.claiming_backend(),
                literal(m.version.as_str())
            ),
        };
        self.bookkeeping(&format!(
            "{}{}{bookkeeping}{INVALID_INDEX_OIDS};\n",
            self.lock.transaction_prefix(),
            self.done_by_another_guard(&m.version, direction),
        ))
    }

    /// History verb: `done` statements of a claimed section completed.
    pub(super) fn progress(&self, m: &Migration, done: usize) -> String {
        self.bookkeeping(&format!(
            "UPDATE {}.migrations SET statements_done = {done} WHERE version = {};\n",
            self.schema(),
            literal(m.version.as_str())
        ))
    }

    /// History verb: a no-transaction section completed.
    pub(super) fn finish(&self, run: &SectionRun<'_>) -> String {
        let m = run.m;
        let bookkeeping = match run.direction {
            Direction::Up => format!(
                "UPDATE {}.migrations SET status = 'applied', failed_direction = NULL, backend_pid = NULL, applied_at = now(), duration_ms = (extract(epoch FROM clock_timestamp() - applied_at) * 1000)::bigint WHERE version = {};\n{}{}",
                self.schema(),
                literal(m.version.as_str()),
                self.supabase_record(&m.version, &m.name, run.statement_texts()),
                self.event_insert("apply", &m.version, &m.name, "ok", None)
            ),
            Direction::Down => self.forget(m),
        };
        self.bookkeeping(&bookkeeping)
    }

    /// History verb: a no-transaction section stopped at its first statement
    /// and left nothing behind, so the claim is withdrawn: an up is not
    /// recorded (fixing the file is enough), a down leaves the migration applied.
    pub(super) fn withdraw_claim(&self, m: &Migration, direction: Direction) -> String {
        let s = self.schema();
        let v = literal(m.version.as_str());
        let sql = match direction {
            Direction::Up => {
                format!("DELETE FROM {s}.migrations WHERE version = {v} AND statements_done = 0;\n")
            }
            Direction::Down => format!(
                "UPDATE {s}.migrations SET status = 'applied', failed_direction = NULL, backend_pid = NULL WHERE version = {v} AND statements_done = 0;\n"
            ),
        };
        self.bookkeeping(&sql)
    }

    /// History verb: what is known about a section that stopped part-way.
    pub(super) fn record_stop(&self, m: &Migration, failure: &str) -> String {
        self.bookkeeping(&format!(
            "UPDATE {}.migrations SET backend_pid = NULL, failure = {} WHERE version = {};\n",
            self.schema(),
            literal(failure),
            literal(m.version.as_str())
        ))
    }
}

/// Resets what a migration may have switched (`SET ROLE`, `SET SESSION
/// AUTHORIZATION`, which `RESET ALL` leaves alone) to the connecting user.
pub(super) const RESET_ROLE: &str = "RESET SESSION AUTHORIZATION;\nRESET ROLE;\n";

/// For the rest of the current transaction only, strata's own settings for
/// its history writes: act as the connecting user, and find functions and
/// operators in `pg_catalog` alone (strata's tables are named with their
/// schema). A section may have switched role or search path for its own
/// statements; these must not apply to strata's writes, and must not end
/// that switch, which `SET LOCAL` gives back at `COMMIT`.
pub(super) const OWN_SETTINGS: &str = "SET LOCAL SESSION AUTHORIZATION DEFAULT;\nSET LOCAL role TO DEFAULT;\nSET LOCAL search_path = pg_catalog;\n";

/// Fails with SR006 when the transaction it runs in began in an earlier
/// message than this one's: then it is a transaction block the migration
/// opened, not strata's, and strata's writes must not join it (its `COMMIT`
/// would commit the migration's block half-way). A transaction begun in the
/// message that holds the check started when the message arrived, so
/// `now()` equals `statement_timestamp()`.
pub(super) const OWN_TRANSACTION_GUARD: &str = "DO $strata$ BEGIN IF now() <> statement_timestamp() THEN RAISE EXCEPTION 'strata: a transaction block of the migration is open where strata records its history' USING ERRCODE = 'SR006'; END IF; END $strata$;\n";

impl Migrator {
    /// `sql`, history writes, in a transaction of strata's own: never one
    /// the migration opened (checked by [`OWN_TRANSACTION_GUARD`]), read-write
    /// whatever the session's default, as the connecting user with strata's
    /// [`OWN_SETTINGS`], so that a section's `SET ROLE` or `SET search_path`
    /// neither stops nor misdirects them and lasts after them.
    pub(super) fn bookkeeping(&self, sql: &str) -> String {
        format!("BEGIN READ WRITE;\n{OWN_SETTINGS}{OWN_TRANSACTION_GUARD}{sql}COMMIT;")
    }
}
