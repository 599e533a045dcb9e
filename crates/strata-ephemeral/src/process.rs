//! Running helper programs: as the server's operating-system user, with retries for a
//! fork race, and reading the end of a log.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Output};
use std::thread;
use std::time::Duration;

use nix::errno::Errno;

use crate::OsUser;

/// How many times to retry a spawn that failed with `ETXTBSY`.
const TEXT_BUSY_RETRIES: u32 = 20;

/// A command for `program` that runs as `user` (when given) in `cwd`, with the libpq and
/// server environment variables (`PGDATA`, `PGPORT`, `PGSERVICE`...) removed so that the
/// caller's environment cannot redirect it.
pub(crate) fn command(program: &Path, user: Option<&OsUser>, cwd: &Path) -> Command {
    let mut command = Command::new(program);
    command.current_dir(cwd);
    for (name, _) in std::env::vars_os() {
        if name.to_str().is_some_and(|name| name.starts_with("PG")) {
            command.env_remove(name);
        }
    }
    if let Some(user) = user {
        // With a uid set and no explicit group list, std calls setgroups(0, NULL) in the child
        // before setuid, so root's supplementary groups are dropped too.
        command.uid(user.uid()).gid(user.gid());
    }
    command
}

/// Spawns `command`, retrying while the kernel says the executable is busy.
///
/// `ETXTBSY` happens when another thread of this process forked while holding the program open
/// for writing (a script written just before, as tests do); it clears once that child execs.
pub(crate) fn spawn_retrying(command: &mut Command) -> io::Result<Child> {
    let mut attempt = 0;
    loop {
        match command.spawn() {
            Err(error) if is_text_busy(&error) && attempt < TEXT_BUSY_RETRIES => {
                attempt += 1;
                thread::sleep(Duration::from_millis(10));
            }
            result => return result,
        }
    }
}

/// Runs `command` to completion capturing its output, retrying like [`spawn_retrying`].
pub(crate) fn output_retrying(command: &mut Command) -> io::Result<Output> {
    let mut attempt = 0;
    loop {
        match command.output() {
            Err(error) if is_text_busy(&error) && attempt < TEXT_BUSY_RETRIES => {
                attempt += 1;
                thread::sleep(Duration::from_millis(10));
            }
            result => return result,
        }
    }
}

fn is_text_busy(error: &io::Error) -> bool {
    error.raw_os_error() == Some(Errno::ETXTBSY as i32)
}

/// Stdout and stderr of a finished program, as one text for an error message.
pub(crate) fn combined_output(output: &Output) -> String {
    let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !text.is_empty() && !stderr.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str(&stderr);
    text.trim_end().to_owned()
}

/// The last `lines` lines of the file at `path` written after byte `from`, or a note saying
/// why it could not be read (this text only ever ends up in an error message).
pub(crate) fn log_tail(path: &Path, from: u64, lines: usize) -> String {
    const MAX_BYTES: u64 = 16 * 1024;
    let read = || -> io::Result<String> {
        let mut file = File::open(path)?;
        let len = file.metadata()?.len();
        let start = from.max(len.saturating_sub(MAX_BYTES)).min(len);
        file.seek(SeekFrom::Start(start))?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    };
    match read() {
        Ok(text) => {
            let all: Vec<&str> = text.lines().collect();
            let tail = &all[all.len().saturating_sub(lines)..];
            if tail.is_empty() {
                format!("(the log {} is empty)", path.display())
            } else {
                tail.join("\n")
            }
        }
        Err(error) => format!("(could not read the log {}: {error})", path.display()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_tail_keeps_the_last_lines_written_after_the_offset() {
        let dir = tempfile::tempdir().expect("tempdir");
        let log = dir.path().join("log");
        std::fs::write(&log, "old 1\nold 2\nnew 1\nnew 2\nnew 3\n").expect("write log");
        assert_eq!(log_tail(&log, 0, 2), "new 2\nnew 3");
        assert_eq!(log_tail(&log, 12, 10), "new 1\nnew 2\nnew 3");
        assert!(log_tail(&log, 100, 10).contains("is empty"));
        assert!(log_tail(&dir.path().join("missing"), 0, 10).contains("could not read"));
    }
}
