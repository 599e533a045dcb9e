//! strata's workflow: what each command does, as library calls.
//!
//! The CLI is arguments in, one call here, rendering out; a build script, a
//! test harness or an assistant server calls the same functions. This crate
//! owns what spans the others: finding the project and reading
//! `strata.toml` ([`Project`]), where a command connects and why
//! ([`session`]: `--url`, `--env`, `DATABASE_URL`, or the local database,
//! with the Supabase stand-in when the migrations need it), verify's
//! throwaway cluster and SQL tests ([`verify`]), lint's two judges
//! (validation and the rules, [`lint`]), the history commands
//! ([`history`]), rewriting downs another tool would run ([`convert`]),
//! and the typed reports every command returns
//! ([`report`]), which are also strata's JSON contract.
//!
//! Nothing here prints (but for one warning when the local PostgreSQL a
//! command started cannot be stopped at its end): progress goes through the
//! callbacks a caller passes, results come back as values.

pub mod convert;
mod error;
pub mod files;
pub mod history;
pub mod lint;
pub mod local;
mod project;
pub mod report;
pub mod session;
mod validity;
pub mod verify;

pub use error::{Error, Result};
pub use project::{Discover, Project};
pub use session::{Connect, Purpose, Session};
