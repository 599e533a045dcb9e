//! The `strata` binary: arguments, project discovery and rendering.
//!
//! Every command is a call into a library crate plus rendering; no migration
//! logic lives here. Exit codes: 0 success, 1 the operation failed or found
//! problems, 2 bad invocation, configuration or input.

mod args;
mod commands;
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

impl Outcome {
    /// Success when the report says `ok`, else failure.
    pub fn of(ok: bool) -> Self {
        if ok { Self::Success } else { Self::Failed }
    }
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
    let print_failure = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        // `println!` panics when stdout is gone; that panic is caught below.
        if !is_cut_off_print(info.payload()) {
            print_failure(info);
        }
    }));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(&cli)));
    match result {
        Ok(Ok(outcome)) => outcome.into(),
        Ok(Err(error)) if is_broken_pipe(&error) && stdout_is_gone() => cut_off(),
        Ok(Err(error)) => {
            let failure = error.downcast_ref::<strata::Error>();
            if wants_json(&cli) {
                // Machines read one document on stdout, also when there is
                // no report; people read the words on stderr.
                let document = match failure {
                    Some(e) => strata::report::Failure::from(e),
                    None => strata::report::Failure::other(render::chain(&error)),
                };
                let _ = render::report(&document);
            }
            if let Some(strata::Error::Invalid { diagnostics, .. }) = failure {
                let mut err = anstream::stderr().lock();
                let _ = render::problems(&mut err, diagnostics);
            }
            render::error(&error);
            if failure.is_some_and(strata::Error::is_input) {
                Outcome::BadInput.into()
            } else {
                Outcome::Failed.into()
            }
        }
        Err(panic) if is_cut_off_print(panic.as_ref()) => cut_off(),
        Err(panic) => std::panic::resume_unwind(panic),
    }
}

/// The end of a command whose standard output was closed by its reader
/// (`strata lint | head`): quietly, as a command killed by SIGPIPE would, and
/// with exit code 1 rather than 0, because the command stopped part-way (a
/// rollback that was still listing its plan never ran) and what it had to
/// say was not all read.
fn cut_off() -> ExitCode {
    Outcome::Failed.into()
}

/// Whether a panic is `println!` failing because stdout's reader is gone.
fn is_cut_off_print(payload: &(dyn std::any::Any + Send)) -> bool {
    let message = payload
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| payload.downcast_ref::<&str>().copied())
        .unwrap_or_default();
    // The standard library's own words, with the error's own text.
    let broken_pipe = std::io::Error::from_raw_os_error(nix::errno::Errno::EPIPE as i32);
    message == format!("failed printing to stdout: {broken_pipe}")
}

/// Whether an error comes from writing into a pipe with no reader.
fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
            || cause
                .downcast_ref::<serde_json::Error>()
                .is_some_and(|e| e.io_error_kind() == Some(std::io::ErrorKind::BrokenPipe))
    })
}

/// Whether nothing reads standard output any more, so the broken pipe was
/// ours to print into (and not, say, a `psql` that died under us, whose
/// failure must be reported).
fn stdout_is_gone() -> bool {
    use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
    use std::os::fd::AsFd as _;
    let stdout = std::io::stdout();
    let mut fds = [PollFd::new(stdout.as_fd(), PollFlags::POLLOUT)];
    poll(&mut fds, PollTimeout::ZERO).is_ok()
        && fds[0]
            .revents()
            .is_some_and(|r| r.intersects(PollFlags::POLLERR | PollFlags::POLLHUP))
}

/// Whether the command writes JSON to stdout.
fn wants_json(cli: &Cli) -> bool {
    cli.global.json
        || matches!(&cli.command, Command::Lint(args) if args.format == args::LintFormat::Json)
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
        Command::ConvertDowns(args) => commands::convert_downs::run(&cli.global, args),
    }
}
