//! The `strata` binary: arguments, project discovery and rendering.
//!
//! Every command is a call into a library crate plus rendering; no migration
//! logic lives here. Exit codes: 0 success, 1 the operation failed or found
//! problems, 2 bad invocation, configuration or input.

mod args;
mod commands;
mod db;
mod project;
mod render;

use std::process::ExitCode;

use clap::Parser;

use crate::args::{Cli, Command};

/// The outcome of a command, as an exit code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Everything went as asked.
    Success,
    /// The operation failed or found problems.
    Failed,
    /// Bad invocation, configuration or input.
    BadInput,
}

impl From<Outcome> for ExitCode {
    fn from(outcome: Outcome) -> Self {
        match outcome {
            Outcome::Success => Self::SUCCESS,
            Outcome::Failed => Self::from(1),
            Outcome::BadInput => Self::from(2),
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(&cli) {
        Ok(outcome) => outcome.into(),
        Err(error) => {
            let usage = error.downcast_ref::<project::UsageError>().is_some();
            render::error(&error);
            if usage {
                Outcome::BadInput.into()
            } else {
                Outcome::Failed.into()
            }
        }
    }
}

fn run(cli: &Cli) -> anyhow::Result<Outcome> {
    match &cli.command {
        Command::Init(args) => commands::init::run(&cli.global, args),
        Command::New(args) => commands::new::run(&cli.global, args),
        Command::Validate => commands::validate::run(&cli.global),
        Command::Migrate(args) => commands::migrate::run(&cli.global, args),
        Command::Status(_) => commands::status::run(&cli.global),
        Command::Rollback(args) => commands::rollback::run(&cli.global, args),
        Command::Repair(args) => commands::repair::run(&cli.global, args),
        Command::Baseline(args) => commands::baseline::run(&cli.global, args),
        Command::Log(args) => commands::log::run(&cli.global, args),
        Command::Local(command) => commands::local::run(&cli.global, command),
        Command::Verify(args) => commands::verify::run(&cli.global, args),
        Command::Lint(args) => commands::lint::run(&cli.global, args),
    }
}
