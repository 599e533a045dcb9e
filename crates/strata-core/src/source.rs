//! Where migration files come from: the one door through which strata-core reads.
//!
//! [`FsSource`] reads a directory on disk; [`MemorySource`] holds files in
//! memory (tests, fuzzing, and callers that already have the bytes).
//!
//! A migrations directory usually comes from a repository, so whoever opens a
//! pull request decides what is in it. [`FsSource`] (and [`read_file`], for the
//! other files strata reads) therefore read with care:
//! - only regular files are read: a FIFO, a socket or a device is refused by
//!   name, and opening never waits (a FIFO cannot hang strata, `/dev/zero`
//!   cannot fill its memory);
//! - a symbolic link is followed only to a regular file inside the project, so
//!   a link to `/proc/self/environ` or `~/.pgpass` cannot make strata quote a
//!   secret in a diagnostic;
//! - no file larger than [`MAX_FILE_SIZE`] is read.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fmt;
use std::fs::File;
use std::io::{self, Read as _};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock, PoisonError};

/// The largest file strata reads: 256 MiB. Far beyond any real migration (a
/// 64 MB file of 100,000 statements is still linted), and small enough that a
/// file that is really a disk image or a database dump is refused by its size
/// instead of being read into memory.
pub const MAX_FILE_SIZE: u64 = 256 * 1024 * 1024;

/// What a file that is not a regular file is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FileKind {
    /// A directory where a file was expected.
    Directory,
    /// A named pipe: reading it waits for a writer, possibly forever.
    Fifo,
    /// A unix socket.
    Socket,
    /// A character device, such as `/dev/zero` (endless) or a terminal.
    CharacterDevice,
    /// A block device (a disk).
    BlockDevice,
    /// Anything else that is not a regular file.
    Other,
}

impl FileKind {
    fn of(file_type: std::fs::FileType) -> Self {
        #[cfg(unix)]
        {
            use std::os::unix::fs::FileTypeExt as _;
            if file_type.is_fifo() {
                return Self::Fifo;
            }
            if file_type.is_socket() {
                return Self::Socket;
            }
            if file_type.is_char_device() {
                return Self::CharacterDevice;
            }
            if file_type.is_block_device() {
                return Self::BlockDevice;
            }
        }
        if file_type.is_dir() {
            Self::Directory
        } else {
            Self::Other
        }
    }
}

impl fmt::Display for FileKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Directory => "a directory",
            Self::Fifo => "a FIFO (named pipe)",
            Self::Socket => "a socket",
            Self::CharacterDevice => "a character device",
            Self::BlockDevice => "a block device",
            Self::Other => "a special file",
        })
    }
}

/// Why a source did not give a file's bytes (or a directory's entries).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SourceError {
    /// The operating system refused or failed.
    #[error(transparent)]
    Io(#[from] io::Error),
    /// Not a regular file; it was not read.
    #[error("{0}, not a regular file")]
    NotRegular(FileKind),
    /// A symbolic link (or a path through one) leading outside the project,
    /// to the canonical path given; it was not followed.
    #[error("a symbolic link to {}, outside the project", .0.display())]
    LinkOutside(PathBuf),
    /// Larger than the limit; it was not read (or not kept).
    #[error("{size} bytes, over the limit of {limit} bytes")]
    TooLarge {
        /// The file's size (at least this much, when it grew while read).
        size: u64,
        /// The limit, [`MAX_FILE_SIZE`].
        limit: u64,
    },
}

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
    fn list(&self, dir: &Path) -> Result<Vec<SourceEntry>, SourceError>;
    /// Reads a whole file.
    fn read(&self, file: &Path) -> Result<Vec<u8>, SourceError>;
}

/// A migrations directory on disk, read with the care the module describes.
///
/// Symbolic links are followed when they lead to a regular file (or, for
/// `up/` and `down/`, a directory) inside the project: by default the
/// migrations directory's parent, else what [`FsSource::within`] says. A
/// link into the migrations directory itself is always fine.
#[derive(Debug)]
pub struct FsSource {
    root: PathBuf,
    project: Option<PathBuf>,
    /// Where links may lead, canonical: the project and the migrations
    /// directory. Worked out at the first link met.
    allowed: OnceLock<Vec<PathBuf>>,
    /// Sub-directories found to be real directories or links inside the
    /// project, so each is checked once, not once per file.
    checked_dirs: Mutex<Vec<PathBuf>>,
    /// The root, opened on first use: files are opened relative to it, which
    /// spares the kernel walking the whole path again for each of thousands
    /// of files. `None` when it cannot be opened (reads then go by path and
    /// report their own errors).
    #[cfg(unix)]
    root_fd: OnceLock<Option<std::sync::Arc<std::os::fd::OwnedFd>>>,
}

impl Clone for FsSource {
    fn clone(&self) -> Self {
        let mut clone = Self::new(self.root.clone());
        clone.project.clone_from(&self.project);
        clone
    }
}

impl FsSource {
    /// A source rooted at `root`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self {
            root: root.into(),
            project: None,
            allowed: OnceLock::new(),
            checked_dirs: Mutex::new(Vec::new()),
            #[cfg(unix)]
            root_fd: OnceLock::new(),
        }
    }

    /// Lets symbolic links lead anywhere inside `project` (the directory of
    /// `strata.toml`), instead of inside the migrations directory's parent.
    #[must_use]
    pub fn within(mut self, project: impl Into<PathBuf>) -> Self {
        self.project = Some(project.into());
        self
    }

    /// Whether a canonical path lies where links may lead.
    fn allows(&self, target: &Path) -> bool {
        let allowed = self.allowed.get_or_init(|| {
            let project = match &self.project {
                Some(project) => project.clone(),
                None => std::path::absolute(&self.root)
                    .ok()
                    .and_then(|root| root.parent().map(Path::to_path_buf))
                    .unwrap_or_else(|| self.root.clone()),
            };
            [project, self.root.clone()]
                .iter()
                .filter_map(|dir| std::fs::canonicalize(dir).ok())
                .collect()
        });
        allowed.iter().any(|dir| target.starts_with(dir))
    }

    /// Checks that a sub-directory is reached without leaving the project (it
    /// may be a link to a directory inside it).
    fn check_dir(&self, dir: &Path) -> Result<(), SourceError> {
        let checked = |dirs: &Vec<PathBuf>| dirs.iter().any(|d| d == dir);
        if checked(
            &self
                .checked_dirs
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        ) {
            return Ok(());
        }
        let mut path = self.root.clone();
        let mut linked = false;
        for component in dir.components() {
            path.push(component);
            linked |= std::fs::symlink_metadata(&path)?.file_type().is_symlink();
        }
        if linked {
            let target = std::fs::canonicalize(&path)?;
            if !self.allows(&target) {
                return Err(SourceError::LinkOutside(target));
            }
        }
        let mut dirs = self
            .checked_dirs
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if !checked(&dirs) {
            dirs.push(dir.to_owned());
        }
        Ok(())
    }

    /// The root, opened once (see `root_fd`).
    #[cfg(unix)]
    fn root_fd(&self) -> Option<&std::os::fd::OwnedFd> {
        self.root_fd
            .get_or_init(|| {
                use rustix::fs::{Mode, OFlags};
                let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
                rustix::fs::open(&self.root, flags, Mode::empty())
                    .ok()
                    .map(std::sync::Arc::new)
            })
            .as_deref()
    }

    /// Opens a file of the directory, if it is reached without leaving the
    /// project; [`read_opened`] then checks what it is.
    fn open(&self, file: &Path) -> Result<File, SourceError> {
        if let Some(parent) = file.parent().filter(|p| !p.as_os_str().is_empty()) {
            self.check_dir(parent)?;
        }
        #[cfg(unix)]
        let opened = match self.root_fd() {
            Some(root) => open_no_follow(root, file),
            None => open_no_follow(rustix::fs::CWD, &self.root.join(file)),
        };
        #[cfg(not(unix))]
        let opened = open_no_follow(&self.root.join(file));
        match opened {
            Ok(opened) => Ok(opened),
            Err(error) => {
                let path = self.root.join(file);
                if is_link(&path) {
                    open_link(&path, |target| self.allows(target))
                } else {
                    Err(error.into())
                }
            }
        }
    }
}

impl MigrationSource for FsSource {
    fn list(&self, dir: &Path) -> Result<Vec<SourceEntry>, SourceError> {
        if !dir.as_os_str().is_empty() {
            self.check_dir(dir)?;
        }
        let mut out = Vec::new();
        for entry in std::fs::read_dir(self.root.join(dir))? {
            let entry = entry?;
            // The entry's own type needs no extra system call on most file
            // systems; only a symlink is followed (a linked migration is still
            // a migration), which costs a stat. Whether a link may be
            // followed is decided when it is read.
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

    fn read(&self, file: &Path) -> Result<Vec<u8>, SourceError> {
        read_opened(self.open(file)?)
    }
}

/// Reads one file the way [`FsSource`] reads migrations: only a regular file,
/// never waiting on a FIFO, never more than [`MAX_FILE_SIZE`]. When `path` is
/// a symbolic link, it is followed only to a regular file, and with
/// `links_within`, only to one inside that directory.
///
/// For the files strata reads besides migrations (`strata.toml`), and to show
/// the source line of a diagnostic.
pub fn read_file(path: &Path, links_within: Option<&Path>) -> Result<Vec<u8>, SourceError> {
    #[cfg(unix)]
    let opened = open_no_follow(rustix::fs::CWD, path);
    #[cfg(not(unix))]
    let opened = open_no_follow(path);
    let file = match opened {
        Ok(file) => file,
        Err(error) => {
            if !is_link(path) {
                return Err(error.into());
            }
            let within = links_within.map(std::fs::canonicalize).transpose()?;
            open_link(path, |target| {
                within.as_ref().is_none_or(|dir| target.starts_with(dir))
            })?
        }
    };
    read_opened(file)
}

/// Opens `path` (relative to `dir`) for reading without following a final
/// symbolic link, and without waiting: a FIFO would otherwise block the open
/// until a writer came. A terminal never becomes the controlling one.
/// Regular files are unaffected by either flag.
#[cfg(unix)]
fn open_no_follow(dir: impl std::os::fd::AsFd, path: &Path) -> io::Result<File> {
    use rustix::fs::{Mode, OFlags};
    let flags =
        OFlags::RDONLY | OFlags::CLOEXEC | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::NOCTTY;
    rustix::fs::openat(dir, path, flags, Mode::empty())
        .map(File::from)
        .map_err(io::Error::from)
}

/// Opens `path` for reading, failing on a symbolic link (followed by the caller).
#[cfg(not(unix))]
fn open_no_follow(path: &Path) -> io::Result<File> {
    if is_link(path) {
        return Err(io::Error::other("a symbolic link"));
    }
    File::open(path)
}

/// Whether `path` itself is a symbolic link.
fn is_link(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
}

/// Opens what the link `path` leads to, when `allows` accepts its canonical
/// path and it is a regular file. Its type is looked at before opening it,
/// so a device is never even opened.
fn open_link(path: &Path, allows: impl Fn(&Path) -> bool) -> Result<File, SourceError> {
    let target = std::fs::canonicalize(path).map_err(|e| {
        if e.kind() == io::ErrorKind::NotFound {
            io::Error::new(
                io::ErrorKind::NotFound,
                "a symbolic link to a file that does not exist",
            )
        } else {
            e
        }
    })?;
    if !allows(&target) {
        return Err(SourceError::LinkOutside(target));
    }
    let meta = std::fs::metadata(&target)?;
    if !meta.is_file() {
        return Err(SourceError::NotRegular(FileKind::of(meta.file_type())));
    }
    // The canonical path holds no link; if one appeared since, this fails.
    #[cfg(unix)]
    let file = open_no_follow(rustix::fs::CWD, &target)?;
    #[cfg(not(unix))]
    let file = open_no_follow(&target)?;
    Ok(file)
}

/// Reads an opened file, once it proves to be a regular file of sane size.
fn read_opened(file: File) -> Result<Vec<u8>, SourceError> {
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(SourceError::NotRegular(FileKind::of(meta.file_type())));
    }
    let too_large = |size: u64| SourceError::TooLarge {
        size,
        limit: MAX_FILE_SIZE,
    };
    if meta.len() > MAX_FILE_SIZE {
        return Err(too_large(meta.len()));
    }
    // Reading through `take` bounds a file that grows while it is read, and
    // skips `File`'s own `read_to_end`, which asks the size again.
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    file.take(MAX_FILE_SIZE + 1).read_to_end(&mut bytes)?;
    let read = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
    if read > MAX_FILE_SIZE {
        return Err(too_large(read));
    }
    Ok(bytes)
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
    fn list(&self, dir: &Path) -> Result<Vec<SourceEntry>, SourceError> {
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
            return Err(io::Error::new(io::ErrorKind::NotFound, "no such directory").into());
        }
        Ok(out)
    }

    fn read(&self, file: &Path) -> Result<Vec<u8>, SourceError> {
        self.files
            .get(file)
            .cloned()
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no such file").into())
    }
}
