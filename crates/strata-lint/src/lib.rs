//! strata-lint: judging the SQL of migrations before it runs.
//!
//! One registry ([`Rule`]) of rules with stable kebab-case names, one file per
//! rule under `rules/`, findings as [`Diagnostic`]s, the type every part of
//! strata reports in. Pure: no I/O, no
//! database, and bad SQL is never an error here (strata-sql reports syntax
//! errors; a statement that does not parse is simply not judged).
//!
//! Each rule's module documentation is its user documentation, under fixed
//! headings (what it flags, why it is dangerous, example, instead);
//! `docs/rules/<name>.md` is generated from it and checked for staleness by
//! this crate's tests.

mod config;
mod context;
mod lint;
mod model;
mod registry;
mod risk;
mod rules;
mod section;

pub use config::{ConfigError, LintConfig};
pub use lint::{lint, lint_with_risk};
pub use registry::{Family, Rule};
pub use risk::{Risk, StatementRisk};
pub use strata_core::{Diagnostic, Severity};
