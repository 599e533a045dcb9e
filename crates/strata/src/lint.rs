//! `lint`: everything validation finds, and the rules' judgement of the SQL.
//!
//! Validation says what cannot run (a syntax error, `CREATE INDEX
//! CONCURRENTLY` in a transaction, a `COMMIT` in the middle); the rules say
//! what runs but hurts (a lock on a busy table, a table without row-level
//! security). Each check is defined once, in one of the two; lint reports
//! both, so a migration that passes lint also passes validation.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use strata_core::plan::RecordStatus;
use strata_core::{Diagnostic, Migration, MigrationSet, ProblemCode, Version};

use crate::error::{Error, Result};
use crate::project::Project;
use crate::report::{LintReport, RiskReport};
use crate::session::{Connect, Purpose, Session};

/// Which migrations to lint.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    /// Only migrations from this version on.
    pub since: Option<Version>,
    /// Only files changed against this git reference (committed, staged,
    /// unstaged, untracked).
    pub changed: Option<String>,
    /// Only migrations not applied to this database.
    pub pending: Option<Connect>,
}

/// Lints the project's migrations.
pub fn run(project: &Project, filter: &Filter) -> Result<LintReport> {
    let judged = judge(project, filter)?;
    let errors = judged.diagnostics.iter().any(Diagnostic::is_error);
    Ok(LintReport {
        ok: !errors && judged.not_linted.is_empty(),
        diagnostics: judged.diagnostics,
        not_linted: judged.not_linted,
    })
}

/// The risk of every up-section statement of the project's migrations.
pub fn risk(project: &Project, filter: &Filter) -> Result<RiskReport> {
    let judged = judge(project, filter)?;
    Ok(RiskReport {
        ok: judged.not_linted.is_empty(),
        statements: judged.risks,
        not_linted: judged.not_linted,
    })
}

/// What lint found, filtered.
struct Judged {
    diagnostics: Vec<Diagnostic>,
    risks: Vec<strata_lint::StatementRisk>,
    not_linted: Vec<PathBuf>,
}

fn judge(project: &Project, filter: &Filter) -> Result<Judged> {
    let config = project.lint_config()?;
    let set = project.load_parsed();
    // Validation and the rules read the same split statements, side by side.
    let (validation, (rules, mut risks)) = std::thread::scope(|scope| {
        let validating = scope.spawn(|| strata_sql::check::validate(&set));
        let linted = strata_lint::lint_with_risk(&set, &config);
        let validation = validating
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (validation, linted)
    });
    let mut not_linted = not_linted(&set, &validation);
    let mut diagnostics = validation;
    diagnostics.extend(rules);
    diagnostics.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    if let Some(keep) = kept_files(project, &set, filter)? {
        // Files of no loaded migration have no version: the filters by
        // version keep them, since whether they are pending or new cannot
        // be told; the filter by change judges every file.
        let loaded: BTreeSet<&PathBuf> = set.migrations.iter().flat_map(files_of).collect();
        let by_change = filter.changed.is_some();
        let kept = |file: &Path| {
            keep.contains(file) || (!by_change && !loaded.contains(&file.to_path_buf()))
        };
        diagnostics.retain(|d| kept(&d.file));
        risks.retain(|r| kept(&r.file));
        not_linted.retain(|f| kept(f));
    }
    Ok(Judged {
        diagnostics,
        risks,
        not_linted,
    })
}

/// The files of a migration's sections.
fn files_of(m: &Migration) -> impl Iterator<Item = &PathBuf> {
    std::iter::once(&m.up.file).chain(m.down.as_ref().map(|d| &d.file))
}

/// Files the rules never saw: those that did not load at all (a NUL byte, a
/// duplicate version, a file that is not a regular file...) and sections
/// PostgreSQL's parser rejects. (Inline `COPY` data is stepped over when a
/// section is split: the rules see the statements around it.)
fn not_linted(set: &MigrationSet, validation: &[Diagnostic]) -> Vec<PathBuf> {
    let loaded: BTreeSet<&PathBuf> = set.migrations.iter().flat_map(files_of).collect();
    let files: BTreeSet<PathBuf> = validation
        .iter()
        .filter(|d| d.is_error())
        .filter(|d| !loaded.contains(&d.file) || d.code == ProblemCode::SyntaxError)
        .map(|d| d.file.clone())
        .collect();
    files.into_iter().collect()
}

/// The files the filter keeps, or `None` without a filter. Files compare as
/// the loader names them, except with `--changed`, where git's are canonical.
fn kept_files(
    project: &Project,
    set: &MigrationSet,
    filter: &Filter,
) -> Result<Option<BTreeSet<PathBuf>>> {
    let mut versions: Option<BTreeSet<&Version>> = None;
    if let Some(since) = &filter.since {
        versions = Some(
            set.migrations
                .iter()
                .map(|m| &m.version)
                .filter(|v| *v >= since)
                .collect(),
        );
    }
    if let Some(connect) = &filter.pending {
        let applied = applied_versions(project, connect)?;
        let pending = set
            .migrations
            .iter()
            .map(|m| &m.version)
            .filter(|v| !applied.contains(*v));
        versions = Some(match versions {
            Some(kept) => pending.filter(|v| kept.contains(v)).collect(),
            None => pending.collect(),
        });
    }
    if let Some(reference) = &filter.changed {
        let changed = changed_files(reference)?;
        let files = set
            .migrations
            .iter()
            .flat_map(files_of)
            .chain(set.problems.iter().map(|p| &p.file))
            .filter(|f| std::fs::canonicalize(f).is_ok_and(|path| changed.contains(&path)))
            .cloned()
            .collect();
        return Ok(Some(files));
    }
    Ok(versions.map(|versions| {
        set.migrations
            .iter()
            .filter(|m| versions.contains(&m.version))
            .flat_map(files_of)
            .cloned()
            .collect()
    }))
}

/// The versions recorded as applied in the target database.
fn applied_versions(project: &Project, connect: &Connect) -> Result<BTreeSet<Version>> {
    crate::session::runtime()?.block_on(async {
        let session = Session::open(project, connect, Purpose::History).await?;
        let records = session
            .migrator
            .history()
            .await
            .map_err(|e| Error::Database(session.redact(&e.to_string())))?;
        Ok(records
            .into_iter()
            .filter(|r| r.status == RecordStatus::Applied)
            .map(|r| r.version)
            .collect())
    })
}

/// Files changed against `reference` (committed, staged, unstaged,
/// untracked), canonical.
fn changed_files(reference: &str) -> Result<BTreeSet<PathBuf>> {
    let git = |args: &[&str]| -> Result<String> {
        let output = Command::new("git")
            .args(args)
            .output()
            .map_err(|e| Error::input(format!("--changed needs git: {e}")))?;
        if !output.status.success() {
            return Err(Error::input(format!(
                "--changed {reference}: {}",
                String::from_utf8_lossy(&output.stderr).trim()
            )));
        }
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    };
    let top = PathBuf::from(git(&["rev-parse", "--show-toplevel"])?.trim());
    let listed = git(&["diff", "--name-only", reference])?
        + &git(&["ls-files", "--others", "--exclude-standard", "--full-name"])?;
    Ok(listed
        .lines()
        .filter(|l| !l.is_empty())
        .filter_map(|line| std::fs::canonicalize(top.join(line)).ok())
        .collect())
}
