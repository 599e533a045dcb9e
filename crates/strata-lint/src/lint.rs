//! Running the rules over a migration set.

use strata_core::{Migration, MigrationSet, Section};
use strata_sql::Statement;

use crate::config::LintConfig;
use crate::registry::Rule;
use crate::violation::Violation;

/// What a rule sees: one statement, in its section and migration.
pub(crate) struct StatementContext<'a> {
    /// The migration.
    #[expect(dead_code, reason = "rules of later families read the migration")]
    pub migration: &'a Migration,
    /// The section (its directives say how it runs).
    pub section: &'a Section,
    /// Every statement of the section.
    pub statements: &'a [Statement],
    /// This statement's index in `statements`.
    pub index: usize,
}

impl StatementContext<'_> {
    /// This statement.
    pub fn statement(&self) -> &Statement {
        &self.statements[self.index]
    }
}

/// A rule's raw finding: where in the section, what, and what instead.
pub(crate) struct Finding {
    pub span: std::ops::Range<usize>,
    pub message: String,
    pub help: String,
}

/// Runs every enabled rule over every section of `set`; violations in file order.
/// Sections that do not parse are skipped (validation reports them).
pub fn lint(set: &MigrationSet, config: &LintConfig) -> Vec<Violation> {
    let mut out = Vec::new();
    let enabled: Vec<(Rule, crate::Severity)> = Rule::ALL
        .iter()
        .filter_map(|&r| config.severity(r).map(|s| (r, s)))
        .collect();
    for migration in &set.migrations {
        for section in std::iter::once(&migration.up).chain(migration.down.as_ref()) {
            let Ok(statements) = strata_sql::split(&section.text) else {
                continue;
            };
            for index in 0..statements.len() {
                let context = StatementContext {
                    migration,
                    section,
                    statements: &statements,
                    index,
                };
                for &(rule, severity) in &enabled {
                    if allowed(section, rule) {
                        continue;
                    }
                    let mut findings = Vec::new();
                    rule.check(&context, &mut findings);
                    for finding in findings {
                        let (line, column) = section.position(finding.span.start);
                        out.push(Violation {
                            rule,
                            severity,
                            file: section.file.clone(),
                            line,
                            column,
                            span: finding.span,
                            message: finding.message,
                            help: finding.help,
                        });
                    }
                }
            }
        }
    }
    out.sort_by(|a, b| (&a.file, a.line, a.column).cmp(&(&b.file, b.line, b.column)));
    out
}

/// Whether `-- strata:allow` silences `rule` (by name or family) in this section.
fn allowed(section: &Section, rule: Rule) -> bool {
    section.directives.allows.iter().any(|allow| {
        allow
            .rules
            .iter()
            .any(|name| name == rule.name() || name == rule.family().name())
    })
}
