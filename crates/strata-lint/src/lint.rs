//! Running the rules over a migration set.

use std::collections::HashMap;
use std::path::Path;

use strata_core::{Migration, MigrationSet, ProblemCode, Section};
use strata_sql::Statement;
use strata_sql::analyze::{
    Action, Analysis, ColumnChange, ConstraintDetails, EffectDetails, Lock, ObjectKind,
    QualifiedName, TypeRef,
};

use crate::model::{Model, Origin};
use crate::risk::StatementRisk;
use crate::section::SectionFacts;

use crate::config::LintConfig;
use crate::registry::{Rule, replaced_by_validation};
use strata_core::{Diagnostic, Span};

/// What a rule sees: one statement, in its section and migration.
pub(crate) struct StatementContext<'a> {
    /// The migration.
    pub migration: &'a Migration,
    /// The section (its directives say how it runs).
    pub section: &'a Section,
    /// Whether this is the down section.
    pub is_down: bool,
    /// The statement judged.
    pub statement: &'a Statement,
    /// Its index among the statements of the section.
    pub index: usize,
    /// What the statement does (None when it could not be analysed).
    pub analysis: Option<&'a Analysis>,
    /// What the other statements of the section did: rules see no other
    /// statement, so that lint stays linear in statements per file.
    pub facts: &'a SectionFacts,
    /// The schema as the migrations before this statement left it.
    pub model: &'a Model,
    /// Schemas exposed to API clients (`public` by default).
    pub exposed_schemas: &'a [String],
}

impl<'a> StatementContext<'a> {
    /// This statement.
    pub fn statement(&self) -> &'a Statement {
        self.statement
    }

    /// This statement's text.
    pub fn text(&self) -> &'a str {
        self.section
            .text
            .get(self.statement.span.clone())
            .unwrap_or_default()
    }

    /// Whether this statement takes an ACCESS EXCLUSIVE lock on a table that
    /// existed before this migration.
    pub fn takes_exclusive_lock_on_existing_table(&self) -> bool {
        self.analysis.is_some_and(|analysis| {
            analysis.effects.iter().any(|effect| {
                effect.lock == Some(Lock::AccessExclusive)
                    && effect
                        .locked_relation()
                        .is_some_and(|relation| self.is_existing_table(relation))
            })
        })
    }

    /// Whether `table` existed before this migration: locking or rewriting it
    /// then hurts live traffic. A table the migrations never created (made
    /// outside them) counts as existing; one created by this same migration
    /// does not.
    pub fn is_existing_table(&self, table: &QualifiedName) -> bool {
        self.model
            .table(table)
            .is_none_or(|t| t.origin.version != self.migration.version)
    }

    /// The type of `table.column` before this statement, when the migrations
    /// gave it (not for tables or columns made outside them).
    pub fn column_type(&self, table: &QualifiedName, column: &str) -> Option<&TypeRef> {
        self.model.table(table)?.types.get(column)
    }

    /// The columns this statement gives a type, with that type: those of a
    /// `CREATE TABLE` and of `ADD COLUMN`, and with `type_changes` those of
    /// `ALTER COLUMN ... TYPE` too. What the column-type conventions judge.
    pub fn typed_columns(&self, type_changes: bool) -> Vec<(&'a str, &'a TypeRef)> {
        let Some(analysis) = self.analysis else {
            return Vec::new();
        };
        let mut columns = Vec::new();
        for effect in &analysis.effects {
            match &effect.details {
                EffectDetails::Table(table) => columns.extend(
                    table
                        .columns
                        .iter()
                        .filter_map(|c| Some((c.name.as_str(), c.type_name.as_ref()?))),
                ),
                EffectDetails::Column(column) => {
                    columns.extend(column.type_name.iter().map(|t| (column.name.as_str(), t)))
                }
                EffectDetails::ColumnChange(ColumnChange::Type { type_name, .. })
                    if type_changes =>
                {
                    columns.push((effect.object.name.name.as_str(), type_name));
                }
                _ => {}
            }
        }
        columns
    }

    /// The tables this up-section statement writes with `action` (`DELETE`
    /// or `UPDATE`) and no `WHERE`, among those that existed before this
    /// migration.
    pub fn unfiltered_writes_to_existing_tables(&self, action: Action) -> Vec<&'a QualifiedName> {
        let Some(analysis) = self.analysis.filter(|_| !self.is_down) else {
            return Vec::new();
        };
        analysis
            .effects
            .iter()
            .filter(|effect| effect.action == action)
            .filter_map(|effect| match &effect.details {
                EffectDetails::Write(write) if !write.has_where => Some(&effect.object.name),
                _ => None,
            })
            .filter(|table| self.is_existing_table(table))
            .collect()
    }

    /// The constraints this up-section statement adds to tables that existed
    /// before this migration, with their table: what the constraint rules judge.
    pub fn constraints_added_to_existing_tables(
        &self,
    ) -> Vec<(&'a QualifiedName, &'a ConstraintDetails)> {
        let Some(analysis) = self.analysis.filter(|_| !self.is_down) else {
            return Vec::new();
        };
        analysis
            .effects
            .iter()
            .filter_map(
                |effect| match (effect.action, effect.object.kind, &effect.details) {
                    (Action::Create, ObjectKind::Constraint, EffectDetails::Constraint(c)) => {
                        Some((effect.object.parent.as_ref()?, c))
                    }
                    _ => None,
                },
            )
            .filter(|(table, _)| self.is_existing_table(table))
            .collect()
    }
}

/// What a schema-scoped rule sees: the schema left by all migrations.
pub(crate) struct SchemaContext<'a> {
    /// The final model.
    pub model: &'a Model,
    /// Schemas exposed to API clients.
    pub exposed_schemas: &'a [String],
}

/// A schema-scoped finding, placed at the statement that created the object.
pub(crate) struct Located {
    pub origin: Origin,
    pub message: String,
    pub help: String,
}

/// A rule's raw finding: where in the section, what, and what instead.
pub(crate) struct Finding {
    pub span: std::ops::Range<usize>,
    pub message: String,
    pub help: String,
}

/// Runs every enabled rule over every section of `set`; violations in file order.
/// Sections that do not parse are skipped (validation reports them).
pub fn lint(set: &MigrationSet, config: &LintConfig) -> Vec<Diagnostic> {
    assess(set, config, None)
}

/// Like [`lint`], and also the risk level of every statement of every up section.
pub fn lint_with_risk(
    set: &MigrationSet,
    config: &LintConfig,
) -> (Vec<Diagnostic>, Vec<StatementRisk>) {
    let mut risks = Vec::new();
    let violations = assess(set, config, Some(&mut risks));
    (violations, risks)
}

/// The violations of `set`, and with `risks` the risk of every up-section
/// statement (one entry each: asked for only when wanted).
fn assess(
    set: &MigrationSet,
    config: &LintConfig,
    mut risks: Option<&mut Vec<StatementRisk>>,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let enabled: Vec<(Rule, crate::Severity)> = Rule::ALL
        .iter()
        .filter_map(|&r| config.severity(r).map(|s| (r, s)))
        .collect();
    let exposed = config.exposed_schemas();
    let mut model = Model::default();
    // The sections of each file, for `-- strata:allow` on schema rules.
    let mut sections_of_file: HashMap<&Path, Vec<&Section>> = HashMap::new();
    for migration in &set.migrations {
        out.extend(allows_of_removed_rules(migration));
        let sections_of = std::iter::once((&migration.up, false))
            .chain(migration.down.as_ref().map(|d| (d, true)));
        for (section, is_down) in sections_of {
            sections_of_file
                .entry(section.file.as_path())
                .or_default()
                .push(section);
            let Ok(statements) = strata_sql::split(&section.text) else {
                continue;
            };
            let rules: Vec<(Rule, crate::Severity)> = enabled
                .iter()
                .copied()
                .filter(|&(rule, _)| !allowed(section, rule))
                .collect();
            let positions = section.position_index();
            let comments = rules
                .iter()
                .any(|&(rule, _)| rule == Rule::TableWithoutComment);
            let mut facts = SectionFacts::new(&section.text, &statements, comments);
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
                };
                for &(rule, severity) in &rules {
                    let mut findings = Vec::new();
                    rule.check(&context, &mut findings);
                    for finding in findings {
                        let span = Span::between(
                            positions.position(finding.span.start),
                            positions.position(finding.span.end),
                        );
                        out.push(
                            Diagnostic::new(rule, severity, &section.file, finding.message)
                                .spanning(span)
                                .help(finding.help),
                        );
                    }
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
                    let origin = Origin {
                        version: migration.version.clone(),
                        file: section.file.clone(),
                        span: Span::between(start, positions.position(statement.span.end)),
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
        let mut located = Vec::new();
        rule.check_schema(&schema, &mut located);
        for found in located {
            let silenced = sections_of_file
                .get(found.origin.file.as_path())
                .is_some_and(|sections| sections.iter().any(|section| allowed(section, rule)));
            if silenced {
                continue;
            }
            out.push(
                Diagnostic::new(rule, severity, found.origin.file, found.message)
                    .spanning(found.origin.span)
                    .help(found.help),
            );
        }
    }
    out.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
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
        let set = strata_core::load(&source, Path::new("migrations"));
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
