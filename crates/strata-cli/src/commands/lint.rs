//! `strata lint`: everything validation finds and the rules' findings, rendered.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use strata::lint::Filter;
use strata_core::{Diagnostic, Severity};

use crate::Outcome;
use crate::args::{Global, LintArgs, LintFormat, LockArgs, version_opt};
use crate::render;
use crate::render::DOCS;

/// Runs `strata lint`.
pub fn run(global: &Global, args: &LintArgs) -> anyhow::Result<Outcome> {
    let project = strata::Project::discover(&global.discover())?;
    let filter = Filter {
        since: version_opt("--since", args.since.as_deref())?,
        changed: args.changed.clone(),
        pending: args.pending.then(|| global.connect(&LockArgs::default())),
    };
    // `--json` is `--format json`, as for every other command.
    let format = if global.json {
        LintFormat::Json
    } else {
        args.format
    };
    if args.risk {
        let report = strata::lint::risk(&project, &filter)?;
        risk_report(&report, format)?;
        return not_linted_report(&report.not_linted, format, Outcome::Success);
    }
    let report = strata::lint::run(&project, &filter)?;
    let diagnostics = &report.diagnostics;
    match format {
        LintFormat::Human => human(diagnostics, &report.not_linted)?,
        LintFormat::Json => render::report(&report)?,
        LintFormat::Sarif => render::json(&sarif(diagnostics))?,
        LintFormat::Github => github(diagnostics)?,
    }
    let outcome = Outcome::of(!diagnostics.iter().any(Diagnostic::is_error));
    not_linted_report(&report.not_linted, format, outcome)
}

/// After the report: when files were not linted, says which on stderr (the
/// human report has shown why already) and turns the outcome into bad
/// input, so a lint that judged nothing never passes for a clean one.
fn not_linted_report(
    files: &[PathBuf],
    format: LintFormat,
    outcome: Outcome,
) -> anyhow::Result<Outcome> {
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
fn risk_report(report: &strata::report::RiskReport, format: LintFormat) -> anyhow::Result<()> {
    use strata_lint::Risk;
    if format == LintFormat::Json {
        return render::report(report);
    }
    let risks = &report.statements;
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
    Ok(())
}

fn human(violations: &[Diagnostic], unlinted: &[PathBuf]) -> anyhow::Result<()> {
    let mut out = std::io::BufWriter::new(anstream::stdout().lock());
    render::problems(&mut out, violations)?;
    // The counts are of the files that were judged: why the others were
    // not is shown above, and said again on stderr.
    let judged: Vec<&Diagnostic> = violations
        .iter()
        .filter(|v| !unlinted.contains(&v.file))
        .collect();
    let errors = judged.iter().filter(|v| v.is_error()).count();
    let warnings = judged.len() - errors;
    if judged.is_empty() && unlinted.is_empty() {
        drop(out);
        render::success("no lint findings");
    } else if judged.is_empty() {
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

/// A SARIF 2.1.0 log with one run: every lint rule, then the validation
/// codes that occur, as the driver's rules.
fn sarif(diagnostics: &[Diagnostic]) -> serde_json::Value {
    let mut ids: Vec<&str> = strata_lint::Rule::ALL.iter().map(|r| r.name()).collect();
    let mut rules: Vec<serde_json::Value> = strata_lint::Rule::ALL
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
    for d in diagnostics {
        if !ids.contains(&d.code.as_str()) {
            ids.push(d.code.as_str());
            rules.push(serde_json::json!({
                "id": d.code,
                "name": d.code,
                "shortDescription": { "text": "strata validate: the migration cannot run as it is" },
                "properties": { "family": "validation" },
            }));
        }
    }
    let results: Vec<serde_json::Value> = diagnostics
        .iter()
        .map(|d| {
            let index = ids.iter().position(|id| *id == d.code.as_str()).unwrap_or(0);
            serde_json::json!({
                "ruleId": d.code,
                "ruleIndex": index,
                "level": match d.severity { Severity::Error => "error", Severity::Warning => "warning" },
                "message": { "text": format!("{}. {}", d.message, d.help.as_deref().unwrap_or_default()) },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": uri(&d.file) },
                        "region": sarif_region(d.span),
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
