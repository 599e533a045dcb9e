//! Where migration files come from: the one door through which strata-core reads.
//!
//! [`FsSource`] reads a directory on disk; [`MemorySource`] holds files in
//! memory (tests, fuzzing, and callers that already have the bytes).

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io::{self, Read as _};
use std::path::{Path, PathBuf};

/// One entry of a listed directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceEntry {
    /// The entry's file name (not necessarily UTF-8).
    pub name: OsString,
    /// Whether it is a directory.
    pub is_dir: bool,
}

/// Read access to a migrations directory. Paths are relative to its root.
///
/// Sources are `Sync`: large directories are read on several threads.
pub trait MigrationSource: Sync {
    /// Lists the entries of `dir` (`""` is the root), in any order.
    fn list(&self, dir: &Path) -> io::Result<Vec<SourceEntry>>;
    /// Reads a whole file.
    fn read(&self, file: &Path) -> io::Result<Vec<u8>>;
}

/// A migrations directory on disk.
#[derive(Clone, Debug)]
pub struct FsSource {
    root: PathBuf,
    /// The root, opened on first use: files are opened relative to it, which
    /// spares the kernel walking the whole path again for each of thousands
    /// of files. `None` when it cannot be opened (reads then go by path and
    /// report their own errors).
    #[cfg(unix)]
    root_fd: std::sync::OnceLock<Option<std::sync::Arc<std::os::fd::OwnedFd>>>,
}

impl FsSource {
    /// A source rooted at `root`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self {
            root: root.into(),
            #[cfg(unix)]
            root_fd: std::sync::OnceLock::new(),
        }
    }

    /// Opens a file of the directory for reading.
    fn open(&self, file: &Path) -> io::Result<std::fs::File> {
        #[cfg(unix)]
        {
            use rustix::fs::{Mode, OFlags};
            let root = self.root_fd.get_or_init(|| {
                let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
                rustix::fs::open(&self.root, flags, Mode::empty())
                    .ok()
                    .map(std::sync::Arc::new)
            });
            if let Some(root) = root {
                let flags = OFlags::RDONLY | OFlags::CLOEXEC;
                return rustix::fs::openat(&**root, file, flags, Mode::empty())
                    .map(std::fs::File::from)
                    .map_err(io::Error::from);
            }
        }
        std::fs::File::open(self.root.join(file))
    }
}

impl MigrationSource for FsSource {
    fn list(&self, dir: &Path) -> io::Result<Vec<SourceEntry>> {
        let mut out = Vec::new();
        for entry in std::fs::read_dir(self.root.join(dir))? {
            let entry = entry?;
            // The entry's own type needs no extra system call on most file
            // systems; only a symlink is followed (a linked migration is still
            // a migration), which costs a stat.
            let file_type = entry.file_type()?;
            let is_dir = if file_type.is_symlink() {
                std::fs::metadata(entry.path()).is_ok_and(|m| m.is_dir())
            } else {
                file_type.is_dir()
            };
            out.push(SourceEntry {
                name: entry.file_name(),
                is_dir,
            });
        }
        Ok(out)
    }

    fn read(&self, file: &Path) -> io::Result<Vec<u8>> {
        // `std::fs::read` first asks for the file's size, one more system call
        // per file; migrations are small, and a status of thousands of them is
        // mostly system calls, so read in chunks until the end instead.
        let mut file = self.open(file)?;
        let mut bytes = Vec::new();
        let mut chunk = [0_u8; 16 * 1024];
        loop {
            match file.read(&mut chunk) {
                Ok(0) => return Ok(bytes),
                Ok(n) => bytes.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }
}

/// Files held in memory, keyed by relative path (`up/0001_x.sql`).
#[derive(Clone, Debug, Default)]
pub struct MemorySource {
    files: BTreeMap<PathBuf, Vec<u8>>,
}

impl MemorySource {
    /// An empty source.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) a file.
    #[must_use]
    pub fn with(mut self, path: impl Into<PathBuf>, content: impl Into<Vec<u8>>) -> Self {
        self.files.insert(path.into(), content.into());
        self
    }
}

impl MigrationSource for MemorySource {
    fn list(&self, dir: &Path) -> io::Result<Vec<SourceEntry>> {
        let mut out: Vec<SourceEntry> = Vec::new();
        for path in self.files.keys() {
            let Ok(rest) = path.strip_prefix(dir) else {
                continue;
            };
            let mut parts = rest.components();
            let Some(first) = parts.next() else { continue };
            let entry = SourceEntry {
                name: first.as_os_str().to_owned(),
                is_dir: parts.next().is_some(),
            };
            if !out.contains(&entry) {
                out.push(entry);
            }
        }
        if out.is_empty() && !dir.as_os_str().is_empty() {
            return Err(io::Error::new(io::ErrorKind::NotFound, "no such directory"));
        }
        Ok(out)
    }

    fn read(&self, file: &Path) -> io::Result<Vec<u8>> {
        self.files
            .get(file)
            .cloned()
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no such file"))
    }
}
