//! strata-core: the pure model of a strata project.
//!
//! Migration files and their layouts, versions, sections, directives,
//! checksums and the `strata.toml` configuration. This crate does no I/O
//! against a database or the network, reads files only through
//! [`MigrationSource`], and never panics on user input.

pub mod checksum;
pub mod config;
pub mod convert;
pub mod diagnostic;
pub mod directive;
mod file;
pub mod migration;
pub mod name;
pub mod new;
pub mod plan;
pub mod position;
pub mod source;
pub mod version;

pub use checksum::Checksum;
pub use config::Config;
pub use diagnostic::{Code, Diagnostic, Edit, Fix, ProblemCode, Quote, Severity, Span};
pub use directive::{Allow, Directives, MarkerStyle};
pub use file::is_blank_sql;
pub use migration::{
    Layout, LoadOptions, Migration, MigrationSet, Section, detect_versions, load, load_with,
    load_with_downs, read_by_supabase_cli,
};
pub use name::{NamingScheme, PairStyle, Versions};
pub use source::{
    FileKind, FsSource, MAX_FILE_SIZE, MemorySource, MigrationSource, SourceEntry, SourceError,
    read_file,
};
pub use version::{Version, VersionOrder};
