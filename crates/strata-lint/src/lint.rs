//! Running the rules over a migration set.

use std::collections::HashMap;
use std::ops::Range;
use std::path::Path;

use strata_core::{Diagnostic, Migration, ProblemCode, Section};
use strata_sql::ParsedSet;

use crate::config::LintConfig;
use crate::context::{
    SchemaContext, SchemaReport, StatementContext, StatementReport, allows, span_in_statement,
};
use crate::model::{Model, Origin};
use crate::registry::{Rule, replaced_by_validation};
use crate::risk::StatementRisk;
use crate::section::SectionFacts;

/// Runs every enabled rule over every section of `set`, with the statements
/// it was split into; violations in file order. Sections that do not parse
/// are skipped (validation reports them).
pub fn lint(set: &ParsedSet, config: &LintConfig) -> Vec<Diagnostic> {
    assess(set, config, None)
}

/// Like [`lint`], and also the risk level of every statement of every up section.
pub fn lint_with_risk(
    set: &ParsedSet,
    config: &LintConfig,
) -> (Vec<Diagnostic>, Vec<StatementRisk>) {
    let mut risks = Vec::new();
    let violations = assess(set, config, Some(&mut risks));
    (violations, risks)
}

/// The violations of `set`, and with `risks` the risk of every up-section
/// statement (one entry each: asked for only when wanted).
fn assess(
    set: &ParsedSet,
    config: &LintConfig,
    mut risks: Option<&mut Vec<StatementRisk>>,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let enabled: Vec<(Rule, crate::Severity)> = Rule::ALL
        .iter()
        .filter_map(|&r| config.severity(r).map(|s| (r, s)))
        .collect();
    let exposed = config.exposed_schemas();
    let owned = owned_schemas(&exposed);
    let mut model = Model::default();
    // The sections of each file, for `-- strata:allow` on schema rules.
    let mut sections_of_file: HashMap<&Path, Vec<&Section>> = HashMap::new();
    for (migration, parsed) in set.iter() {
        out.extend(allows_of_removed_rules(migration));
        let sections_of = std::iter::once((&migration.up, &parsed.up, false)).chain(
            migration
                .down
                .as_ref()
                .zip(parsed.down.as_ref())
                .map(|(d, p)| (d, p, true)),
        );
        for (section, parsed, is_down) in sections_of {
            sections_of_file
                .entry(section.file.as_path())
                .or_default()
                .push(section);
            let Ok(statements) = parsed.parsed() else {
                continue;
            };
            let rules: Vec<(Rule, crate::Severity)> = enabled
                .iter()
                .copied()
                .filter(|&(rule, _)| !allows(section, rule))
                .collect();
            let positions = section.position_index();
            let comments = rules
                .iter()
                .any(|&(rule, _)| rule == Rule::TableWithoutComment);
            let mut facts = SectionFacts::new(&section.text, statements, comments);
            for (index, statement) in statements.iter().enumerate() {
                // Each statement's analysis lives only while it is judged and
                // applied to the model: memory stays bounded by the largest
                // statement, not the file.
                let analysis = section
                    .text
                    .get(statement.span.clone())
                    .and_then(|text| strata_sql::analyze::analyze(text).ok());
                let context = StatementContext {
                    migration,
                    section,
                    is_down,
                    statement,
                    index,
                    analysis: analysis.as_ref(),
                    facts: &facts,
                    model: &model,
                    exposed_schemas: &exposed,
                    owned_schemas: &owned,
                };
                for &(rule, severity) in &rules {
                    let mut report = StatementReport::new(
                        rule,
                        severity,
                        section,
                        &positions,
                        statement.span.clone(),
                        &mut out,
                    );
                    rule.check(&context, &mut report);
                }
                let risk = match (&risks, is_down, &analysis) {
                    (Some(_), false, Some(analysis)) => {
                        Some(crate::risk::assess(analysis, &|table| {
                            context.is_existing_table(table)
                        }))
                    }
                    _ => None,
                };
                let learned = SectionFacts::learned(&context);
                facts.record(learned, analysis.as_ref());
                // Only up sections build the schema: downs undo, they do not add.
                if let (false, Some(analysis)) = (is_down, &analysis) {
                    let start = positions.position(statement.span.start);
                    let (line, column) = start;
                    if let (Some(risks), Some((risk, reason))) = (risks.as_deref_mut(), risk) {
                        risks.push(StatementRisk {
                            version: migration.version.to_string(),
                            file: section.file.clone(),
                            line,
                            column,
                            tag: statement.tag,
                            risk,
                            reason,
                        });
                    }
                    let origin = |location: Option<&Range<usize>>| Origin {
                        version: migration.version.clone(),
                        file: section.file.clone(),
                        span: span_in_statement(&positions, &statement.span, location),
                    };
                    model.apply(analysis, &origin);
                }
            }
        }
    }
    let schema = SchemaContext {
        model: &model,
        exposed_schemas: &exposed,
    };
    for &(rule, severity) in &enabled {
        let mut report = SchemaReport::new(rule, severity, &sections_of_file, &mut out);
        rule.check_schema(&schema, &mut report);
    }
    out.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    out
}

/// The schemas whose tables the migrations make, whatever the platform:
/// `public`, and the schemas exposed to API clients, whose tables the
/// project serves. (Those the migrations create are added statement by
/// statement, from the model.)
fn owned_schemas(exposed: &[String]) -> Vec<String> {
    let mut owned = vec!["public".to_owned()];
    owned.extend(exposed.iter().filter(|s| *s != "public").cloned());
    owned
}

/// A warning for each `-- strata:allow` of `migration` that names a rule
/// validation replaced: it silences nothing now, and saying so beats
/// ignoring it. A warning, not an error, because the directive may be in a
/// migration already applied, whose text cannot change.
fn allows_of_removed_rules(migration: &Migration) -> Vec<Diagnostic> {
    let mut found: Vec<Diagnostic> = Vec::new();
    let sections = std::iter::once(&migration.up).chain(migration.down.as_ref());
    for section in sections {
        for allow in &section.directives.allows {
            for name in &allow.rules {
                let Some(code) = replaced_by_validation(name) else {
                    continue;
                };
                let diagnostic = Diagnostic::warning(
                    ProblemCode::InvalidDirective,
                    &section.file,
                    format!(
                        "`-- strata:allow` names `{name}`, no longer a lint rule: validation's `{code}` check replaced it, and validation always runs"
                    ),
                )
                .at(allow.line, None)
                .help(format!("remove `{name}` from the directive: it silences nothing"));
                // A file's header directives are in every one of its sections.
                if !found.contains(&diagnostic) {
                    found.push(diagnostic);
                }
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::{LintConfig, Severity};

    #[test]
    fn an_allow_naming_a_rule_validation_replaced_is_a_warning_once() {
        let text = "-- strata:allow transaction-control-in-migration, dropping-table -- old habit\n-- strata:up\ncreate table a (id int);\n-- strata:down\ndrop table a;\n";
        let source = strata_core::MemorySource::new().with("0001_a.sql", text.as_bytes());
        let set = strata_sql::ParsedSet::new(strata_core::load(&source, Path::new("migrations")));
        let found: Vec<_> = crate::lint(&set, &LintConfig::default())
            .into_iter()
            .filter(|d| d.code == strata_core::ProblemCode::InvalidDirective)
            .collect();
        assert_eq!(found.len(), 1, "{found:#?}");
        let warning = &found[0];
        assert_eq!(warning.severity, Severity::Warning);
        assert_eq!((warning.line(), warning.column()), (Some(1), None));
        assert_eq!(
            warning.message,
            "`-- strata:allow` names `transaction-control-in-migration`, no longer a lint rule: validation's `transaction-control` check replaced it, and validation always runs"
        );
    }
}
