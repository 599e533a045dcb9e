//! `strata repair` and `strata baseline`: history fixed by hand, each change
//! recorded as an event; a damaged or ambiguous row is handled, never guessed.
//! In a Supabase project the Supabase CLI's history changes with strata's, in
//! the same transaction; a baseline there adopts what the CLI applied.

use strata_core::plan::{AppliedRecord, Direction, RecordStatus};
use strata_core::{Migration, MigrationSet, Version};
use strata_sql::{ParsedSection, ParsedSet};

use super::runner::SectionRun;
use super::*;
use crate::error::PgError;
use crate::history::SupabaseRecord;
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

    /// `strata baseline`: records every migration up to `version` (default: all)
    /// as applied without running them, to adopt an existing database. In a
    /// Supabase project whose CLI has applied migrations, the versions are
    /// exactly those the CLI recorded (up to `version`); each of them without
    /// a file is reported in [`Baseline::without_file`], not recorded.
    pub async fn baseline(
        &mut self,
        set: &ParsedSet,
        version: Option<&Version>,
    ) -> Result<Baseline, PgError> {
        self.lock(&mut Quiet).await?;
        let result = self.baseline_inner(set, version).await;
        self.unlock().await?;
        result
    }

    pub(super) async fn baseline_inner(
        &self,
        set: &ParsedSet,
        version: Option<&Version>,
    ) -> Result<Baseline, PgError> {
        self.ensure_history().await?;
        if !self.history().await?.is_empty() {
            return Err(Refusal::HistoryExists.into());
        }
        if let Some(v) = version
            && set.get(v).is_none()
        {
            return Err(Refusal::NoFile { version: v.clone() }.into());
        }
        let cli = if self.settings.supabase_history {
            self.own(history::supabase_read(&self.client)).await?
        } else {
            Vec::new()
        };
        let baseline = if cli.is_empty() {
            self.baseline_files(set, version)
        } else {
            adopt_cli(set, &cli, version)
        };
        let Some(last) = baseline.chosen.last() else {
            if baseline.without_file.is_empty() {
                return Err(Refusal::NothingToBaseline.into());
            }
            // Every version the CLI applied lacks its file: nothing to record.
            return Ok(baseline.done());
        };
        let mut batch = format!("BEGIN;\n{}", self.lock.transaction_prefix());
        for m in &baseline.chosen {
            batch.push_str(&self.history_insert(m, "applied"));
        }
        batch.push_str(&baseline.supabase_sql);
        let mut detail = format!("{} migration(s) recorded as applied", baseline.chosen.len());
        if baseline.from_supabase {
            detail.push_str(", those the Supabase CLI had applied");
        }
        if !baseline.without_file.is_empty() {
            let missing: Vec<&str> = baseline
                .without_file
                .iter()
                .map(|m| m.version.as_str())
                .collect();
            detail.push_str(&format!("; not recorded, no file: {}", missing.join(", ")));
        }
        batch.push_str(&self.event_insert(
            "baseline",
            &last.version,
            &last.name,
            "ok",
            Some(&detail),
        ));
        batch.push_str("COMMIT;");
        if let Err(e) = self.exec(&batch, "cannot record the baseline").await {
            let _ = self.client.simple_query("ROLLBACK").await;
            return Err(e);
        }
        Ok(baseline.done())
    }

    /// A baseline of the files up to `version`, with, in a Supabase project
    /// whose CLI applied nothing yet, the CLI's rows of the same migrations.
    fn baseline_files<'s>(&self, set: &'s ParsedSet, version: Option<&Version>) -> Chosen<'s> {
        let chosen: Vec<&Migration> = set
            .migrations
            .iter()
            .filter(|m| version.is_none_or(|v| m.version <= *v))
            .collect();
        let supabase_sql = chosen
            .iter()
            .map(|m| {
                let up = set.section(m, Direction::Up);
                self.supabase_applied(&m.version, &m.name, Some(m), Some(&up))
            })
            .collect();
        Chosen {
            chosen,
            from_supabase: false,
            without_file: Vec::new(),
            supabase_sql,
        }
    }

    /// History verb, in a Supabase project: the Supabase CLI's row of a
    /// migration recorded as applied without running it, with the statements
    /// of its file's up (split as `parsed` when given), as a run would have
    /// recorded them; no statements without a file. Nothing elsewhere.
    fn supabase_applied(
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

/// What `strata baseline` recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Baseline {
    /// The versions recorded as applied without running them, in order.
    pub versions: Vec<Version>,
    /// The versions are those the Supabase CLI had recorded as applied
    /// (`supabase_migrations.schema_migrations`), not every file.
    pub from_supabase: bool,
    /// Versions the Supabase CLI recorded that no migration file has: not
    /// recorded by strata, each with what to do.
    pub without_file: Vec<HistoryMismatch>,
}

/// The migrations a baseline records, before it does.
struct Chosen<'s> {
    chosen: Vec<&'s Migration>,
    from_supabase: bool,
    without_file: Vec<HistoryMismatch>,
    /// The Supabase CLI's rows to write with them (none when adopting the
    /// CLI's own).
    supabase_sql: String,
}

impl Chosen<'_> {
    fn done(&self) -> Baseline {
        Baseline {
            versions: self.chosen.iter().map(|m| m.version.clone()).collect(),
            from_supabase: self.from_supabase,
            without_file: self.without_file.clone(),
        }
    }
}

/// A baseline of exactly the versions the Supabase CLI applied (up to
/// `version`): each found among the files, the others reported. The CLI's
/// rows stay as it wrote them.
fn adopt_cli<'s>(
    set: &'s ParsedSet,
    cli: &[SupabaseRecord],
    version: Option<&Version>,
) -> Chosen<'s> {
    let mut chosen: Vec<&Migration> = Vec::new();
    let mut missing = Vec::new();
    for row in cli {
        let parsed = Version::parse(&row.version).ok();
        if let (Some(v), Some(up_to)) = (&parsed, version)
            && v > up_to
        {
            continue;
        }
        match parsed.as_ref().and_then(|v| set.get(v)) {
            Some(m) => chosen.push(m),
            None => missing.push(row),
        }
    }
    chosen.sort_by(|a, b| a.version.cmp(&b.version));
    chosen.dedup_by(|a, b| std::ptr::eq(*a, *b));
    // What to do about each: strata's history is empty after the baseline
    // only when it recorded nothing.
    let without_file = missing
        .into_iter()
        .map(|row| {
            let mut mismatch = HistoryMismatch::cli_only(row, None, chosen.is_empty());
            mismatch.message = format!(
                "migration {}{}, which the Supabase CLI recorded as applied, has no file: strata did not record it",
                row.version,
                row.name.as_deref().map(|n| format!(" ({n})")).unwrap_or_default()
            );
            mismatch
        })
        .collect();
    Chosen {
        chosen,
        from_supabase: true,
        without_file,
        supabase_sql: String::new(),
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
