//! `strata baseline`: adopting a database whose schema exists already, by
//! recording migrations as applied without running them. Which ones: every
//! file up to a version; in a Supabase project whose CLI applied migrations,
//! exactly those; with `--from TOOL`, what the tool the project used before
//! recorded (read by [`crate::import`]), failed part-way ones recorded as
//! failed. Always one transaction with its event, and only where strata has
//! no history yet.

use std::path::Path;

use strata_core::plan::Direction;
use strata_core::{Migration, Version};
use strata_sql::ParsedSet;

use super::*;
use crate::error::PgError;
use crate::history::SupabaseRecord;
use crate::import::{self, NotImported, Source, Tool};
use crate::sql::literal;

/// Reads a migration file's bytes as they are on disk (to compute another
/// tool's checksum of it), or says why it cannot.
pub type ReadFile<'a> = dyn Fn(&Path) -> Result<Vec<u8>, String> + Sync + 'a;

impl Migrator {
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

    /// `strata baseline --from TOOL`: records what the tool the project used
    /// before applied (up to `version`), read from its history table, which
    /// stays as it is. Migrations it left failed part-way are recorded as
    /// failed ([`Baseline::failed`]); a version without a file, or whose file
    /// no longer has the checksum the tool recorded (read through
    /// `read_file`), is reported in [`Baseline::not_imported`], not recorded.
    pub async fn baseline_from(
        &mut self,
        set: &ParsedSet,
        version: Option<&Version>,
        source: &Source,
        read_file: &ReadFile<'_>,
    ) -> Result<Baseline, PgError> {
        self.lock(&mut Quiet).await?;
        let result = self
            .baseline_from_inner(set, version, source, read_file)
            .await;
        self.unlock().await?;
        result
    }

    /// What every baseline checks first: strata has no history here, and
    /// `version`, when given, is a file's.
    async fn baseline_checks(
        &self,
        set: &ParsedSet,
        version: Option<&Version>,
    ) -> Result<(), PgError> {
        self.ensure_history().await?;
        if !self.history().await?.is_empty() {
            return Err(Refusal::HistoryExists.into());
        }
        if let Some(v) = version
            && set.get(v).is_none()
        {
            return Err(Refusal::NoFile { version: v.clone() }.into());
        }
        Ok(())
    }

    pub(super) async fn baseline_inner(
        &self,
        set: &ParsedSet,
        version: Option<&Version>,
    ) -> Result<Baseline, PgError> {
        self.baseline_checks(set, version).await?;
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
        self.record_chosen(baseline).await
    }

    /// Records the migrations `baseline` chose, with its event.
    async fn record_chosen(&self, baseline: Chosen<'_>) -> Result<Baseline, PgError> {
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

    async fn baseline_from_inner(
        &self,
        set: &ParsedSet,
        version: Option<&Version>,
        source: &Source,
        read_file: &ReadFile<'_>,
    ) -> Result<Baseline, PgError> {
        self.baseline_checks(set, version).await?;
        let tool = source.tool;
        let read = self.own(import::read(&self.client, source)).await?;
        if tool == Tool::Supabase {
            // The CLI's own rows, adopted as a Supabase project's baseline
            // adopts them, and left as they are.
            let cli = self.own(history::supabase_read(&self.client)).await?;
            let mut done = self.record_chosen(adopt_cli(set, &cli, version)).await?;
            done.from = Some(tool);
            done.table = Some(read.table);
            return Ok(done);
        }
        let plan = import::plan(tool, set, &read.entries, version, read_file)?;
        let done = Baseline {
            versions: plan.applied.iter().map(|m| m.version.clone()).collect(),
            failed: plan.failed.iter().map(|(m, _)| m.version.clone()).collect(),
            from_supabase: false,
            without_file: Vec::new(),
            from: Some(tool),
            table: Some(read.table.clone()),
            not_imported: plan.not_imported,
        };
        let last = plan
            .applied
            .iter()
            .copied()
            .chain(plan.failed.iter().map(|(m, _)| *m))
            .max_by(|a, b| a.version.cmp(&b.version));
        let Some(last) = last else {
            // Every version the tool recorded lacks its file, or was edited
            // since: nothing to record.
            return Ok(done);
        };
        let mut batch = format!("BEGIN;\n{}", self.lock.transaction_prefix());
        for m in &plan.applied {
            batch.push_str(&self.history_insert(m, "applied"));
            let up = set.section(m, Direction::Up);
            batch.push_str(&self.supabase_applied(&m.version, &m.name, Some(m), Some(&up)));
        }
        for (m, why) in &plan.failed {
            // A row in the state a part-way failure leaves, claimed by no
            // backend: `strata repair` settles it.
            batch.push_str(&self.history_insert(m, "failed"));
            batch.push_str(&format!(
                "UPDATE {}.migrations SET backend_pid = NULL, failure = {} WHERE version = {};\n",
                self.schema(),
                literal(why),
                literal(m.version.as_str())
            ));
        }
        batch.push_str(&self.event_insert(
            "baseline",
            &last.version,
            &last.name,
            "ok",
            Some(&imported_detail(tool, &read.table, &done)),
        ));
        batch.push_str("COMMIT;");
        if let Err(e) = self.exec(&batch, "cannot record the baseline").await {
            let _ = self.client.simple_query("ROLLBACK").await;
            return Err(e);
        }
        Ok(done)
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
}

/// The event's words for a baseline from `tool`'s history: where from, what
/// was recorded, what was not and why.
fn imported_detail(tool: Tool, table: &str, done: &Baseline) -> String {
    let mut detail = format!(
        "from {}'s history ({table}): {} migration(s) recorded as applied",
        tool.display(),
        done.versions.len()
    );
    if !done.failed.is_empty() {
        let failed: Vec<&str> = done.failed.iter().map(Version::as_str).collect();
        detail.push_str(&format!(
            ", {} as failed part-way ({})",
            failed.len(),
            failed.join(", ")
        ));
    }
    if !done.not_imported.is_empty() {
        let skipped: Vec<String> = done
            .not_imported
            .iter()
            .map(|n| {
                let why = match n.reason {
                    import::Reason::NoFile => "no file".to_owned(),
                    import::Reason::ChecksumMismatch => {
                        format!("edited after {} applied it", tool.display())
                    }
                };
                format!("{} ({why})", n.version)
            })
            .collect();
        detail.push_str(&format!("; not recorded: {}", skipped.join(", ")));
    }
    detail
}

/// What `strata baseline` recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Baseline {
    /// The versions recorded as applied without running them, in order.
    pub versions: Vec<Version>,
    /// With `--from`: the versions recorded as failed part-way, as the old
    /// tool left them (golang-migrate's dirty version, sqlx's unsuccessful
    /// row...), for `strata repair` to settle.
    pub failed: Vec<Version>,
    /// The versions are those the Supabase CLI had recorded as applied
    /// (`supabase_migrations.schema_migrations`), not every file.
    pub from_supabase: bool,
    /// Versions the Supabase CLI recorded that no migration file has: not
    /// recorded by strata, each with what to do.
    pub without_file: Vec<HistoryMismatch>,
    /// With `--from`: the tool whose history was imported.
    pub from: Option<Tool>,
    /// With `--from`: the table it was read from.
    pub table: Option<String>,
    /// With `--from`: the versions of the tool's history not recorded (no
    /// file, or a file edited since), each with what to do.
    pub not_imported: Vec<NotImported>,
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
            failed: Vec::new(),
            from_supabase: self.from_supabase,
            without_file: self.without_file.clone(),
            from: None,
            table: None,
            not_imported: Vec::new(),
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
