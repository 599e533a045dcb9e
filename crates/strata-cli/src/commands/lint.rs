//! `strata lint`: run the rules and render the violations.

use std::collections::BTreeSet;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use strata_core::{Diagnostic, MigrationSet, ProblemCode, Severity};
use strata_lint::LintConfig;

use crate::Outcome;
use crate::args::{Global, LintArgs, LintFormat};
use crate::commands::migrate::version_arg;
use crate::project::{Project, usage};
use crate::render;

use crate::render::DOCS;

/// Runs `strata lint`.
pub fn run(global: &Global, args: &LintArgs) -> anyhow::Result<Outcome> {
    let project = Project::discover(global)?;
    let config = LintConfig::from_table(project.config.lint.as_ref())
        .map_err(|e| usage(format!("strata.toml: {e}")))?;
    let set = project.load();
    // Finding what cannot be linted means parsing every section once more;
    // it runs beside the rules rather than after them.
    let ((mut violations, mut risks), mut unlinted) = std::thread::scope(|scope| {
        let checking = scope.spawn(|| not_linted(&set));
        let linted = strata_lint::lint_with_risk(&set, &config);
        let unlinted = checking
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (linted, unlinted)
    });
    // Files of no loaded migration have no version: the filters by version
    // keep them, since whether they are pending or new cannot be told.
    let loaded: BTreeSet<&PathBuf> = set.migrations.iter().flat_map(files_of).collect();
    if let Some(since) = &args.since {
        let since = version_arg("--since", since)?;
        let files: BTreeSet<&PathBuf> = set
            .migrations
            .iter()
            .filter(|m| m.version >= since)
            .flat_map(files_of)
            .collect();
        violations.retain(|v| files.contains(&v.file));
        risks.retain(|r| files.contains(&r.file));
        unlinted.retain(|p| files.contains(&p.file) || !loaded.contains(&p.file));
    }
    if args.pending {
        let applied = applied_versions(&project, global)?;
        let pending: BTreeSet<&PathBuf> = set
            .migrations
            .iter()
            .filter(|m| !applied.contains(&m.version))
            .flat_map(files_of)
            .collect();
        violations.retain(|v| pending.contains(&v.file));
        risks.retain(|r| pending.contains(&r.file));
        unlinted.retain(|p| pending.contains(&p.file) || !loaded.contains(&p.file));
    }
    if let Some(reference) = &args.changed {
        let changed = changed_files(reference)?;
        let keep =
            |file: &Path| std::fs::canonicalize(file).is_ok_and(|path| changed.contains(&path));
        violations.retain(|v| keep(&v.file));
        risks.retain(|r| keep(&r.file));
        unlinted.retain(|p| keep(&p.file));
    }
    if args.risk {
        let outcome = risk_report(&risks, args.format)?;
        return not_linted_report(&unlinted, args.format, outcome);
    }
    match args.format {
        LintFormat::Human => human(&violations, &unlinted)?,
        LintFormat::Json => render::json(&violations)?,
        LintFormat::Sarif => render::json(&sarif(&violations))?,
        LintFormat::Github => github(&violations)?,
    }
    let errors = violations.iter().any(|v| v.severity == Severity::Error);
    let outcome = if errors {
        Outcome::Failed
    } else {
        Outcome::Success
    };
    not_linted_report(&unlinted, args.format, outcome)
}

/// The files of a migration's sections.
fn files_of(m: &strata_core::Migration) -> impl Iterator<Item = &PathBuf> {
    std::iter::once(&m.up.file).chain(m.down.as_ref().map(|d| &d.file))
}

/// Why files could not be linted, one problem each at least: the errors of
/// files that did not load at all (a NUL byte, a duplicate version, a file
/// that is not a regular file...) and the syntax errors of sections that
/// PostgreSQL's parser rejects. The rules never see either.
fn not_linted(set: &MigrationSet) -> Vec<Diagnostic> {
    let loaded: BTreeSet<&PathBuf> = set.migrations.iter().flat_map(files_of).collect();
    let mut problems: Vec<Diagnostic> = set
        .problems
        .iter()
        .filter(|p| p.is_error() && !loaded.contains(&p.file))
        .cloned()
        .collect();
    for m in &set.migrations {
        let sections = std::iter::once((&m.up, "up")).chain(m.down.as_ref().map(|d| (d, "down")));
        for (section, which) in sections {
            // Inline COPY data is not SQL: the rules never see such a section.
            let unsplittable = || strata_sql::split(&section.text).is_err();
            problems.extend(
                strata_sql::check::check_section(section, which)
                    .into_iter()
                    .filter(|p| {
                        p.code == ProblemCode::SyntaxError
                            || (p.code == ProblemCode::ClientCopy && unsplittable())
                    }),
            );
        }
    }
    problems.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    problems
}

/// After the report: when files were not linted, says which on stderr (the
/// human report has shown why already) and turns the outcome into bad
/// input, so a lint that judged nothing never passes for a clean one.
fn not_linted_report(
    unlinted: &[Diagnostic],
    format: LintFormat,
    outcome: Outcome,
) -> anyhow::Result<Outcome> {
    let files: BTreeSet<&PathBuf> = unlinted.iter().map(|p| &p.file).collect();
    if files.is_empty() {
        return Ok(outcome);
    }
    let list = files
        .iter()
        .map(|f| f.display().to_string())
        .collect::<Vec<_>>()
        .join(", ");
    let why = if format == LintFormat::Human {
        "see the problems above"
    } else {
        "`strata validate` says why"
    };
    render::error(&anyhow::anyhow!(
        "{} not linted, because {} not load or parse ({why}): {list}",
        render::plural(files.len(), "file"),
        if files.len() == 1 {
            "it does"
        } else {
            "they do"
        },
    ));
    Ok(Outcome::BadInput)
}

/// Prints every statement's risk level (JSON: all; text: medium and high, then counts).
fn risk_report(
    risks: &[strata_lint::StatementRisk],
    format: LintFormat,
) -> anyhow::Result<Outcome> {
    use strata_lint::Risk;
    if format == LintFormat::Json {
        render::json(&risks)?;
        return Ok(Outcome::Success);
    }
    let mut out = anstream::stdout().lock();
    for r in risks.iter().filter(|r| r.risk > Risk::Low) {
        let level = match r.risk {
            Risk::High => "high",
            Risk::Medium => "medium",
            Risk::Low => "low",
        };
        writeln!(
            out,
            "{level:<7} {}:{}:{}  {}  {}",
            r.file.display(),
            r.line,
            r.column,
            r.tag,
            r.reason.as_deref().unwrap_or("")
        )?;
    }
    let count = |level: Risk| risks.iter().filter(|r| r.risk == level).count();
    writeln!(
        out,
        "{} statements: {} high, {} medium, {} low risk",
        risks.len(),
        count(Risk::High),
        count(Risk::Medium),
        count(Risk::Low)
    )?;
    Ok(Outcome::Success)
}

/// The versions recorded as applied in the target database.
fn applied_versions(
    project: &Project,
    global: &Global,
) -> anyhow::Result<BTreeSet<strata_core::Version>> {
    crate::db::runtime()?.block_on(async {
        let db = crate::db::open(project, global, &crate::args::LockArgs::default(), None).await?;
        let records = db
            .migrator
            .history()
            .await
            .map_err(|e| anyhow::anyhow!(db.redact(&e.to_string())))?;
        Ok(records
            .into_iter()
            .filter(|r| r.status == strata_core::plan::RecordStatus::Applied)
            .map(|r| r.version)
            .collect())
    })
}

/// Files changed against `reference` (committed, staged, unstaged, untracked).
fn changed_files(reference: &str) -> anyhow::Result<BTreeSet<PathBuf>> {
    let git = |args: &[&str]| -> anyhow::Result<String> {
        let output = Command::new("git")
            .args(args)
            .output()
            .map_err(|e| usage(format!("--changed needs git: {e}")))?;
        if !output.status.success() {
            return Err(usage(format!(
                "--changed {reference}: {}",
                String::from_utf8_lossy(&output.stderr).trim()
            )));
        }
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    };
    let top = PathBuf::from(git(&["rev-parse", "--show-toplevel"])?.trim());
    let mut files = BTreeSet::new();
    let listed = git(&["diff", "--name-only", reference])?
        + &git(&["ls-files", "--others", "--exclude-standard", "--full-name"])?;
    for line in listed.lines().filter(|l| !l.is_empty()) {
        if let Ok(path) = std::fs::canonicalize(top.join(line)) {
            files.insert(path);
        }
    }
    Ok(files)
}

fn human(violations: &[Diagnostic], unlinted: &[Diagnostic]) -> anyhow::Result<()> {
    let mut out = std::io::BufWriter::new(anstream::stdout().lock());
    render::problems(&mut out, unlinted.iter().chain(violations))?;
    let errors = violations
        .iter()
        .filter(|v| v.severity == Severity::Error)
        .count();
    let warnings = violations.len() - errors;
    if violations.is_empty() && unlinted.is_empty() {
        drop(out);
        render::success("no lint findings");
    } else if violations.is_empty() {
        writeln!(out, "no lint findings in the files that were linted")?;
        out.flush()?;
    } else {
        writeln!(
            out,
            "{}, {}",
            render::plural(errors, "error"),
            render::plural(warnings, "warning")
        )?;
        out.flush()?;
    }
    Ok(())
}

fn github(violations: &[Diagnostic]) -> anyhow::Result<()> {
    // https://docs.github.com/actions/reference/workflow-commands-for-github-actions
    let escape = |s: &str| {
        s.replace('%', "%25")
            .replace('\r', "%0D")
            .replace('\n', "%0A")
    };
    let property = |s: &str| escape(s).replace(':', "%3A").replace(',', "%2C");
    let mut out = std::io::stdout().lock();
    for v in violations {
        let level = match v.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        writeln!(
            out,
            "::{level} file={},line={},col={},title={}::{}",
            property(&v.file.display().to_string()),
            v.line().unwrap_or(1),
            v.column().unwrap_or(1),
            property(&format!("strata lint: {}", v.code)),
            escape(&format!(
                "{}. {}",
                v.message,
                v.help.as_deref().unwrap_or_default()
            ))
        )?;
    }
    Ok(())
}

/// A SARIF 2.1.0 log with one run.
fn sarif(violations: &[Diagnostic]) -> serde_json::Value {
    let rules: Vec<serde_json::Value> = strata_lint::Rule::ALL
        .iter()
        .map(|r| {
            serde_json::json!({
                "id": r.name(),
                "name": r.name(),
                "shortDescription": { "text": r.summary() },
                "helpUri": format!("{DOCS}/{}", r.doc_path()),
                "properties": { "family": r.family().name() },
            })
        })
        .collect();
    let results: Vec<serde_json::Value> = violations
        .iter()
        .map(|v| {
            let index = strata_lint::Rule::ALL.iter().position(|r| v.code == *r).unwrap_or(0);
            serde_json::json!({
                "ruleId": v.code,
                "ruleIndex": index,
                "level": match v.severity { Severity::Error => "error", Severity::Warning => "warning" },
                "message": { "text": format!("{}. {}", v.message, v.help.as_deref().unwrap_or_default()) },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": uri(&v.file) },
                        "region": sarif_region(v.span),
                    }
                }],
            })
        })
        .collect();
    serde_json::json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "strata",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://github.com/strata-migrations/strata",
                "rules": rules,
            }},
            "results": results,
        }],
    })
}

/// A SARIF region: where the finding starts and ends.
fn sarif_region(span: Option<strata_core::Span>) -> serde_json::Value {
    let span = span.unwrap_or(strata_core::Span::point(1, None));
    let mut region = serde_json::json!({ "startLine": span.line, "endLine": span.end_line });
    if let (Some(start), Some(end)) = (span.column, span.end_column) {
        region["startColumn"] = start.into();
        region["endColumn"] = end.into();
    }
    region
}

/// A relative, forward-slash URI for SARIF (no leading `./`).
fn uri(path: &Path) -> String {
    let text = path.display().to_string().replace('\\', "/");
    text.strip_prefix("./").map(str::to_owned).unwrap_or(text)
}
