//! `strata repair`: history fixed by hand, each change recorded as an event;
//! a damaged or ambiguous row is handled, never guessed. In a Supabase
//! project the Supabase CLI's history changes with strata's, in the same
//! transaction.

use strata_core::plan::{AppliedRecord, Direction, RecordStatus};
use strata_core::{Migration, MigrationSet, Version};
use strata_sql::ParsedSection;

use super::runner::SectionRun;
use super::*;
use crate::error::PgError;
use crate::sql::{literal, literal_opt};

impl Migrator {
    /// `strata repair`: fixes history by hand, recording an event.
    pub async fn repair(&mut self, set: &MigrationSet, action: &Repair) -> Result<String, PgError> {
        self.lock(&mut Quiet).await?;
        let result = self.repair_inner(set, action).await;
        self.unlock().await?;
        result
    }

    pub(super) async fn repair_inner(
        &self,
        set: &MigrationSet,
        action: &Repair,
    ) -> Result<String, PgError> {
        self.ensure_history().await?;
        let records = self.history().await?;
        let schema = self.schema();
        // `5` and `0005` are one version; when the history holds both, the row
        // is the one written exactly as asked, and without such a row the
        // request is ambiguous.
        let matching = |v: &Version| -> Vec<&AppliedRecord> {
            records.iter().filter(|r| r.version == *v).collect()
        };
        let ambiguous = matching_ambiguity(&records, action.version());
        if let Some(refusal) = ambiguous {
            return Err(refusal.into());
        }
        let find = |v: &Version| {
            let rows = matching(v);
            rows.iter()
                .find(|r| r.version.as_str() == v.as_str())
                .or_else(|| rows.first())
                .copied()
        };
        let file = |v: &Version| {
            set.get(v)
                .ok_or_else(|| PgError::Refused(Refusal::NoFile { version: v.clone() }))
        };
        let (version, name, sql, done) = match action {
            Repair::MarkApplied(v) => self.mark_applied(set, find(v), v)?,
            Repair::MarkRolledBack(v) => {
                let r = find(v).ok_or_else(|| {
                    PgError::Refused(Refusal::NotInHistory { version: v.clone() })
                })?;
                (
                    v,
                    r.name.clone(),
                    format!(
                        "DELETE FROM {schema}.migrations WHERE version = {};\n{}",
                        literal(r.version.as_str()),
                        self.supabase_forget(&r.version)
                    ),
                    format!("removed migration {v} from the history without running its down"),
                )
            }
            Repair::AcceptChecksum(v) => {
                let r = find(v).ok_or_else(|| {
                    PgError::Refused(Refusal::NotInHistory { version: v.clone() })
                })?;
                let m = file(v)?;
                let down = m.down.as_ref();
                (
                    v,
                    r.name.clone(),
                    format!(
                        "UPDATE {schema}.migrations SET checksum = {}, down_checksum = {}, down_sql = {} WHERE version = {};\n",
                        literal(&m.up.checksum.to_string()),
                        literal_opt(down.map(|d| d.checksum.to_string()).as_deref()),
                        literal_opt(down.map(|d| d.text.as_str())),
                        literal(r.version.as_str())
                    ),
                    format!(
                        "accepted the current checksum of migration {v} ({} was recorded)",
                        r.checksum
                    ),
                )
            }
            Repair::ClearFailed(v) => self.clear_failed(find(v), v)?,
        };
        let batch = format!(
            "BEGIN;\n{}{sql}{}COMMIT;",
            self.lock.transaction_prefix(),
            self.event_insert("repair", version, &name, "ok", Some(&done))
        );
        // The row is addressed by its text: exactly one row changes.
        if let Err(e) = self.exec(&batch, "cannot repair the history").await {
            let _ = self.client.simple_query("ROLLBACK").await;
            return Err(e);
        }
        Ok(done)
    }

    /// `--mark-applied`: a failed or damaged row becomes applied (a damaged
    /// checksum rewritten from the file); without a row, one is recorded.
    fn mark_applied<'v>(
        &self,
        set: &MigrationSet,
        row: Option<&AppliedRecord>,
        v: &'v Version,
    ) -> Result<(&'v Version, String, String, String), PgError> {
        let schema = self.schema();
        match row {
            Some(r) if r.status == RecordStatus::Applied => {
                Err(Refusal::AlreadyApplied { version: v.clone() }.into())
            }
            Some(r) => {
                let checksum = match (&r.status, set.get(v)) {
                    (RecordStatus::Damaged { .. }, Some(m)) => {
                        format!(", checksum = {}", literal(&m.up.checksum.to_string()))
                    }
                    _ => String::new(),
                };
                let what = match &r.status {
                    RecordStatus::Failed {
                        direction: Direction::Down,
                        ..
                    } => {
                        format!("marked migration {v}, whose rollback failed part-way, as applied")
                    }
                    RecordStatus::Damaged { .. } => {
                        format!("marked the damaged history row of migration {v} as applied")
                    }
                    _ => format!("marked the failed migration {v} as applied"),
                };
                Ok((
                    v,
                    r.name.clone(),
                    format!(
                        "UPDATE {schema}.migrations SET status = 'applied', failed_direction = NULL, backend_pid = NULL{checksum} WHERE version = {};\n{}",
                        literal(r.version.as_str()),
                        self.supabase_applied(&r.version, &r.name, set.get(v), None)
                    ),
                    what,
                ))
            }
            None => {
                let m = set
                    .get(v)
                    .ok_or_else(|| PgError::Refused(Refusal::NoFile { version: v.clone() }))?;
                Ok((
                    v,
                    m.name.clone(),
                    format!(
                        "{}{}",
                        self.history_insert(m, "applied"),
                        self.supabase_applied(&m.version, &m.name, Some(m), None)
                    ),
                    format!("recorded migration {v} as applied without running it"),
                ))
            }
        }
    }

    /// `--clear-failed`: a failed up is forgotten (the next migrate runs it
    /// again); a failed down is set back to applied (the next rollback runs it
    /// again).
    fn clear_failed<'v>(
        &self,
        row: Option<&AppliedRecord>,
        v: &'v Version,
    ) -> Result<(&'v Version, String, String, String), PgError> {
        let schema = self.schema();
        let r = row
            .filter(|r| matches!(r.status, RecordStatus::Failed { .. }))
            .ok_or_else(|| PgError::Refused(Refusal::NotFailed { version: v.clone() }))?;
        let row = literal(r.version.as_str());
        Ok(match r.status {
            RecordStatus::Failed {
                direction: Direction::Down,
                ..
            } => (
                v,
                r.name.clone(),
                format!(
                    "UPDATE {schema}.migrations SET status = 'applied', failed_direction = NULL, backend_pid = NULL WHERE version = {row};\n"
                ),
                format!(
                    "cleared the failed rollback of migration {v}: it is recorded as applied, and the next rollback runs its down again"
                ),
            ),
            _ => (
                v,
                r.name.clone(),
                format!("DELETE FROM {schema}.migrations WHERE version = {row};\n"),
                format!("cleared the failed migration {v}; the next migrate runs it again"),
            ),
        })
    }

    /// History verb, in a Supabase project: the Supabase CLI's row of a
    /// migration recorded as applied without running it, with the statements
    /// of its file's up (split as `parsed` when given), as a run would have
    /// recorded them; no statements without a file. Nothing elsewhere.
    pub(super) fn supabase_applied(
        &self,
        version: &Version,
        name: &str,
        file: Option<&Migration>,
        parsed: Option<&ParsedSection>,
    ) -> String {
        if !self.settings.supabase_history {
            return String::new();
        }
        let Some(m) = file else {
            return self.supabase_record(version, name, []);
        };
        let split;
        let parsed = match parsed {
            Some(parsed) => parsed,
            None => {
                split = ParsedSection::of(&m.up.text);
                &split
            }
        };
        let run = SectionRun {
            m,
            section: &m.up,
            parsed,
            direction: Direction::Up,
        };
        self.supabase_record(version, name, run.statement_texts())
    }
}

impl Repair {
    /// The version the action is about.
    pub fn version(&self) -> &Version {
        match self {
            Self::MarkApplied(v)
            | Self::MarkRolledBack(v)
            | Self::AcceptChecksum(v)
            | Self::ClearFailed(v) => v,
        }
    }
}

/// When the history holds several rows for `version` (`5` and `0005`) and none
/// is written exactly as asked, the refusal listing them.
pub(super) fn matching_ambiguity(records: &[AppliedRecord], version: &Version) -> Option<Refusal> {
    let rows: Vec<String> = records
        .iter()
        .filter(|r| r.version == *version)
        .map(|r| r.version.as_str().to_owned())
        .collect();
    (rows.len() > 1 && !rows.iter().any(|r| r == version.as_str())).then(|| {
        Refusal::AmbiguousVersion {
            version: version.clone(),
            rows,
        }
    })
}
