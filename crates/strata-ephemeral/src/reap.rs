//! Clearing away clusters whose process died without stopping them.
//!
//! Dropping a [`crate::Cluster`] stops its server and deletes its directory, but a process
//! killed outright (SIGKILL, an out-of-memory kill, a cancelled CI job) never drops anything:
//! its directory stays behind, in `/dev/shm` taking memory, and its server may still run.
//! Each cluster directory therefore names its owner (the process that made it), and every
//! start first clears the directories, next to the one it is about to make, whose owner is
//! gone: their server is stopped (when it is still running and provably that cluster's) and
//! the directory removed.
//!
//! A directory is left alone whenever that cannot be told for certain: no owner file (one
//! being created right now, or one made before owners were recorded), an owner in another
//! PID namespace (a container sharing the directory), an owner still alive, or a server that
//! cannot be stopped (another user's).

use std::fs;
use std::os::unix::ffi::OsStrExt as _;
use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

/// How cluster directories are named (the rest is random).
pub(crate) const DIR_PREFIX: &str = "strata-pg-";

/// The file, in a cluster directory, naming the process that made it.
const OWNER_FILE: &str = "owner";

/// How long a stale server gets to stop after SIGQUIT before it is killed.
const STOP_WAIT: Duration = Duration::from_secs(5);

/// A process, told apart from a later one that reuses its pid.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Owner {
    pid: i32,
    /// When it started, in clock ticks since boot (`/proc/PID/stat`); Linux only.
    started: Option<u64>,
    /// Its PID namespace (`/proc/self/ns/pid`); Linux only.
    namespace: Option<String>,
}

impl Owner {
    fn current() -> Self {
        let pid = i32::try_from(std::process::id()).unwrap_or(i32::MAX);
        Self {
            pid,
            started: start_time(pid),
            namespace: fs::read_link("/proc/self/ns/pid")
                .ok()
                .map(|p| p.to_string_lossy().into_owned()),
        }
    }

    fn to_text(&self) -> String {
        format!(
            "pid {}\nstarted {}\nnamespace {}\n",
            self.pid,
            self.started
                .map_or_else(|| "-".to_owned(), |s| s.to_string()),
            self.namespace.as_deref().unwrap_or("-")
        )
    }

    fn parse(text: &str) -> Option<Self> {
        let mut pid = None;
        let mut started = None;
        let mut namespace = None;
        for line in text.lines() {
            let (key, value) = line.split_once(' ')?;
            let known = (value != "-").then_some(value);
            match key {
                "pid" => pid = Some(value.parse().ok()?),
                "started" => started = known.map(str::parse).transpose().ok()?,
                "namespace" => namespace = known.map(str::to_owned),
                _ => {}
            }
        }
        Some(Self {
            pid: pid?,
            started,
            namespace,
        })
    }

    /// Whether this process is certainly gone (not merely invisible from here).
    fn is_gone(&self, us: &Self) -> bool {
        if self.namespace != us.namespace || self.pid <= 0 {
            return false;
        }
        match kill(Pid::from_raw(self.pid), None) {
            Err(Errno::ESRCH) => true,
            // Alive (EPERM: alive, someone else's): gone only if the pid now names a
            // process that started at another time.
            Ok(()) | Err(Errno::EPERM) => match (self.started, start_time(self.pid)) {
                (Some(recorded), Some(now)) => recorded != now,
                _ => false,
            },
            Err(_) => false,
        }
    }
}

/// Field `n` (1-based, as `man proc` numbers them, 3 or more) of `/proc/PID/stat` (Linux).
fn stat_field(pid: i32, n: usize) -> Option<String> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // `pid (comm) state ppid ...`: comm may hold spaces and parentheses, so count the fields
    // after its closing parenthesis, where field 3 (the state) starts.
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace()
        .nth(n.checked_sub(3)?)
        .map(str::to_owned)
}

/// A process's start time in clock ticks since boot (field 22).
fn start_time(pid: i32) -> Option<u64> {
    stat_field(pid, 22)?.parse().ok()
}

/// Records this process as the owner of the cluster directory `root`.
pub(crate) fn record_owner(root: &Path) -> std::io::Result<()> {
    fs::write(root.join(OWNER_FILE), Owner::current().to_text())
}

/// Clears the cluster directories in `parent` whose owner is gone; returns those removed.
/// Never fails: whatever cannot be cleared is left as it was.
pub(crate) fn reap(parent: &Path) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(parent) else {
        return Vec::new();
    };
    let us = Owner::current();
    let mut removed = Vec::new();
    for entry in entries.flatten() {
        if !entry
            .file_name()
            .as_encoded_bytes()
            .starts_with(DIR_PREFIX.as_bytes())
            || !entry.file_type().is_ok_and(|t| t.is_dir())
        {
            continue;
        }
        let root = entry.path();
        let owner = fs::read_to_string(root.join(OWNER_FILE))
            .ok()
            .and_then(|text| Owner::parse(&text));
        if owner.is_some_and(|owner| owner.is_gone(&us))
            && stop_stale_server(&root)
            && fs::remove_dir_all(&root).is_ok()
        {
            removed.push(root);
        }
    }
    removed
}

/// Stops the server of a stale cluster directory if it still runs; whether it is stopped.
fn stop_stale_server(root: &Path) -> bool {
    let data_dir = root.join("data");
    let Ok(text) = fs::read_to_string(data_dir.join("postmaster.pid")) else {
        return true; // never started, or shut down cleanly
    };
    let Some(pid) = text
        .lines()
        .next()
        .and_then(|l| l.trim().parse::<i32>().ok())
    else {
        return true;
    };
    if pid <= 0 || !is_running(pid) {
        return true;
    }
    // The pid runs: stop it only when it is provably this cluster's postmaster (a pid can
    // be reused by anything once the server is gone).
    if !runs_on(pid, &data_dir) {
        return false;
    }
    if kill(Pid::from_raw(pid), Signal::SIGQUIT).is_err() {
        return false;
    }
    let deadline = Instant::now() + STOP_WAIT;
    while Instant::now() < deadline {
        if !is_running(pid) {
            return true;
        }
        thread::sleep(Duration::from_millis(10));
    }
    kill(Pid::from_raw(pid), Signal::SIGKILL).is_ok()
}

/// Whether process `pid` exists and is not a zombie (an orphaned server that exited is one
/// until whoever adopted it collects it).
fn is_running(pid: i32) -> bool {
    if kill(Pid::from_raw(pid), None) == Err(Errno::ESRCH) {
        return false;
    }
    stat_field(pid, 3).as_deref() != Some("Z")
}

/// Whether process `pid` is a postmaster started on `data_dir` (its `-D` argument, read
/// from `/proc`; false where that cannot be read).
fn runs_on(pid: i32, data_dir: &Path) -> bool {
    let Ok(cmdline) = fs::read(format!("/proc/{pid}/cmdline")) else {
        return false;
    };
    let Ok(ours) = data_dir.canonicalize() else {
        return false;
    };
    let mut args = cmdline.split(|&b| b == 0);
    while let Some(arg) = args.next() {
        if arg == b"-D" {
            return args.next().is_some_and(|dir| {
                let dir = Path::new(std::ffi::OsStr::from_bytes(dir));
                dir.canonicalize().is_ok_and(|dir| dir == ours)
            });
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_owner_reads_back_what_it_wrote() {
        let owner = Owner::current();
        assert_eq!(Owner::parse(&owner.to_text()), Some(owner.clone()));
        let bare = Owner {
            pid: 7,
            started: None,
            namespace: None,
        };
        assert_eq!(Owner::parse(&bare.to_text()), Some(bare));
        assert_eq!(Owner::parse("started 5\n"), None);
        assert_eq!(Owner::parse("pid x\n"), None);
    }

    #[test]
    fn this_process_is_not_gone_and_an_exited_one_is() {
        let us = Owner::current();
        assert!(!us.is_gone(&us));
        let mut child = std::process::Command::new("true")
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run true: {e}"));
        let pid = i32::try_from(child.id()).unwrap_or(i32::MAX);
        let started = start_time(pid);
        child.wait().unwrap_or_else(|e| panic!("{e}"));
        let exited = Owner {
            pid,
            started,
            namespace: us.namespace.clone(),
        };
        assert!(exited.is_gone(&us));
        // Seen from another namespace, nothing can be told.
        let elsewhere = Owner {
            namespace: Some("pid:[1]".to_owned()),
            ..exited.clone()
        };
        assert!(!elsewhere.is_gone(&us));
        // A live pid that started at another time is a reused pid: its owner is gone.
        let reused = Owner {
            started: us.started.map(|s| s + 1),
            ..us.clone()
        };
        assert_eq!(reused.is_gone(&us), us.started.is_some());
    }

    #[test]
    fn only_directories_of_gone_owners_are_removed() {
        let parent = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let us = Owner::current();
        let gone = Owner {
            pid: i32::MAX - 1, // above any pid_max
            started: None,
            namespace: us.namespace.clone(),
        };
        let make = |name: &str, owner: Option<&Owner>| {
            let root = parent.path().join(name);
            fs::create_dir_all(root.join("data")).unwrap_or_else(|e| panic!("{e}"));
            if let Some(owner) = owner {
                fs::write(root.join(OWNER_FILE), owner.to_text()).unwrap_or_else(|e| panic!("{e}"));
            }
            root
        };
        let stale = make("strata-pg-stale", Some(&gone));
        let live = make("strata-pg-live", Some(&us));
        let unowned = make("strata-pg-unowned", None);
        let other = make("not-strata", Some(&gone));
        // A stale directory whose recorded server pid now names an unrelated live process
        // (this one): that process is not touched, and the directory stays.
        let reused = make("strata-pg-reused", Some(&gone));
        fs::write(
            reused.join("data/postmaster.pid"),
            format!("{}\n{}\n", us.pid, reused.join("data").display()),
        )
        .unwrap_or_else(|e| panic!("{e}"));

        assert_eq!(reap(parent.path()), vec![stale.clone()]);
        assert!(!stale.exists());
        for kept in [&live, &unowned, &other, &reused] {
            assert!(kept.exists(), "{}", kept.display());
        }
    }
}
