//! The postmaster's process: started on a free port (another one when the port was taken
//! meanwhile), waited for until `postmaster.pid` says it is ready, stopped with an immediate
//! shutdown, and the cluster's directory removed after it, on drop if nothing else did.

use std::ffi::OsString;
use std::fs::{self, OpenOptions};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use super::HOST;
use crate::process::{command, log_tail, spawn_retrying};
use crate::{Error, OsUser};

/// How many free ports to try when the one picked is taken before the server binds it.
const PORT_ATTEMPTS: u32 = 5;

/// How long a stopping server gets before it is killed. PostgreSQL's own immediate shutdown
/// kills its children after 5 seconds, so this leaves it time to do that first.
const STOP_GRACE: Duration = Duration::from_secs(10);

/// How many log lines an error quotes.
const LOG_TAIL_LINES: usize = 30;

/// How to start the postmaster, once the data directory is ready.
pub(super) struct Launch<'a> {
    pub(super) program: PathBuf,
    pub(super) args: Vec<OsString>,
    pub(super) user: Option<&'a OsUser>,
    pub(super) cwd: &'a Path,
    pub(super) pid_file: PathBuf,
    pub(super) log_file: &'a Path,
    pub(super) timeout: Duration,
}

impl Launch<'_> {
    /// Starts the server on a free port, trying another when the port was taken in the
    /// meantime; returns the port and the postmaster's pid. The server is left in `guard`.
    pub(super) fn run(&self, guard: &mut Guard) -> Result<(u16, u32), Error> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let port = free_port()?;
            let log_start = fs::metadata(self.log_file).map_or(0, |meta| meta.len());
            let log = || {
                OpenOptions::new()
                    .append(true)
                    .open(self.log_file)
                    .map_err(|e| Error::io("open", self.log_file, e))
            };
            let mut postgres = command(&self.program, self.user, self.cwd);
            postgres
                .args(&self.args)
                .arg("-p")
                .arg(port.to_string())
                .stdin(Stdio::null())
                .stdout(log()?)
                .stderr(log()?);
            let child = spawn_retrying(&mut postgres).map_err(|error| Error::Spawn {
                program: self.program.clone(),
                error,
            })?;
            let pid = child.id();
            let child = guard.child.insert(child);
            match wait_ready(child, &self.pid_file, self.timeout)? {
                Startup::Ready => return Ok((port, pid)),
                Startup::Exited(status) => {
                    guard.child = None;
                    let log_tail = log_tail(self.log_file, log_start, LOG_TAIL_LINES);
                    if !is_port_conflict(&log_tail) {
                        return Err(Error::ServerExited { status, log_tail });
                    }
                    if attempt >= PORT_ATTEMPTS {
                        return Err(Error::PortUnavailable {
                            attempts: attempt,
                            log_tail,
                        });
                    }
                }
                Startup::TimedOut => {
                    let stopped = guard.stop_server();
                    let log_tail = log_tail(self.log_file, log_start, LOG_TAIL_LINES);
                    stopped?;
                    return Err(Error::StartTimeout {
                        waited: self.timeout,
                        log_tail,
                    });
                }
            }
        }
    }
}

/// The server process and directory of a cluster, released on drop.
pub(super) struct Guard {
    root: PathBuf,
    child: Option<Child>,
    removed: bool,
}

impl Guard {
    /// Guards the directory `root`, where no server runs yet.
    pub(super) fn new(root: PathBuf) -> Self {
        Self {
            root,
            child: None,
            removed: false,
        }
    }

    /// Stops the server if it runs.
    fn stop_server(&mut self) -> Result<(), Error> {
        match self.child.take() {
            Some(mut child) => stop_child(&mut child, &self.root),
            None => Ok(()),
        }
    }

    /// Stops the server and deletes the directory; a second call does nothing.
    pub(super) fn release(&mut self) -> Result<(), Error> {
        let stopped = self.stop_server();
        let removed = if self.removed {
            Ok(())
        } else {
            self.removed = true;
            remove_tree(&self.root)
        };
        stopped.and(removed)
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        // Nothing can report a failure from drop; `Cluster::stop` is there for callers who
        // want to know.
        let _ = self.release();
    }
}

/// Stops the postmaster: immediate shutdown (SIGQUIT), then SIGKILL after [`STOP_GRACE`].
fn stop_child(child: &mut Child, root: &Path) -> Result<(), Error> {
    let id = child.id();
    let failed = |e: std::io::Error| Error::io(format!("stop the server (pid {id}) of"), root, e);
    if child.try_wait().map_err(failed)?.is_some() {
        return Ok(());
    }
    // Immediate shutdown skips the checkpoint: nothing in a directory about to be deleted is
    // worth writing.
    if let Ok(pid) = i32::try_from(id) {
        match kill(Pid::from_raw(pid), Signal::SIGQUIT) {
            Ok(()) | Err(Errno::ESRCH) => {}
            Err(errno) => return Err(failed(errno.into())),
        }
    }
    let deadline = Instant::now() + STOP_GRACE;
    while Instant::now() < deadline {
        if child.try_wait().map_err(failed)?.is_some() {
            return Ok(());
        }
        thread::sleep(Duration::from_millis(5));
    }
    child.kill().map_err(failed)?;
    child.wait().map_err(failed)?;
    Ok(())
}

/// Deletes `root`, retrying briefly: a server child killed late may still be writing there.
fn remove_tree(root: &Path) -> Result<(), Error> {
    let mut attempt = 0;
    loop {
        match fs::remove_dir_all(root) {
            Ok(()) => return Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(_) if attempt < 5 => {
                attempt += 1;
                thread::sleep(Duration::from_millis(50));
            }
            Err(e) => return Err(Error::io("remove", root, e)),
        }
    }
}

/// How a start attempt ended.
enum Startup {
    /// `postmaster.pid` says the server accepts connections.
    Ready,
    /// The server exited first.
    Exited(ExitStatus),
    /// Neither happened in time (the server still runs).
    TimedOut,
}

/// Polls `postmaster.pid` until its status line (the 8th, since PostgreSQL 10) says `ready`,
/// watching for the server to exit meanwhile.
fn wait_ready(child: &mut Child, pid_file: &Path, timeout: Duration) -> Result<Startup, Error> {
    let started = Instant::now();
    let pid = child.id().to_string();
    let mut pause = Duration::from_millis(1);
    loop {
        if let Some(status) = child
            .try_wait()
            .map_err(|e| Error::io("wait for the server writing", pid_file, e))?
        {
            return Ok(Startup::Exited(status));
        }
        if let Ok(text) = fs::read_to_string(pid_file) {
            let lines: Vec<&str> = text.lines().map(str::trim).collect();
            if lines.first() == Some(&pid.as_str()) && lines.get(7) == Some(&"ready") {
                return Ok(Startup::Ready);
            }
        }
        if started.elapsed() >= timeout {
            return Ok(Startup::TimedOut);
        }
        thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(20));
    }
}

/// Whether a failed start's log says the TCP port was taken.
fn is_port_conflict(log: &str) -> bool {
    log.contains("could not bind IPv4 address")
        || log.contains("Address already in use")
        || log.contains("could not create any TCP/IP sockets")
}

/// A TCP port on the loopback address that was free a moment ago. Another process may take it
/// before the server binds it; the start loop retries when that happens.
pub(crate) fn free_port() -> Result<u16, Error> {
    let failed = |e| Error::io("find a free TCP port on", HOST, e);
    let listener = TcpListener::bind((HOST, 0)).map_err(failed)?;
    Ok(listener.local_addr().map_err(failed)?.port())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_conflicts_are_recognised_in_the_log() {
        assert!(is_port_conflict(
            "LOG:  could not bind IPv4 address \"127.0.0.1\": Address already in use"
        ));
        assert!(!is_port_conflict(
            "FATAL:  invalid value for parameter \"shared_buffers\""
        ));
    }
}
