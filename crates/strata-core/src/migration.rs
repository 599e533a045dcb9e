//! The migration directory model: files grouped into migrations, with problems.
//!
//! [`load`] reads a directory through a [`MigrationSource`], recognises every
//! layout of DESIGN.md, and returns the migrations it could build together
//! with every problem it found. It never stops at the first problem.

use std::path::{Path, PathBuf};

use crate::checksum::{Checksum, normalize};
use crate::diagnostic::{Diagnostic, ProblemCode};
use crate::directive::{Directives, MarkerStyle};
use crate::file::{FileStyle, RawSection, is_blank_sql, parse_text};
use crate::name::{
    ACCEPTED_NAMES, NameError, NameRole, NamingScheme, PairStyle, ParsedName, parse_file_name,
    parse_file_name_whole,
};
use crate::source::{MigrationSource, SourceError};
use crate::version::Version;

/// How a migration's up and down are laid out on disk.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "style")]
#[non_exhaustive]
pub enum Layout {
    /// One file with up and down section markers.
    Sections(MarkerStyle),
    /// One file, SQL then a commented `-- ROLLBACK:` block.
    RollbackBlock,
    /// One file with no sections: up only.
    Plain,
    /// Two files, up and down.
    Pair(PairStyle),
    /// `up/NAME.sql` and `down/NAME.sql`.
    Directories,
}

impl Layout {
    fn describe(self) -> &'static str {
        match self {
            Self::Sections(_) | Self::RollbackBlock | Self::Plain => "a single file",
            Self::Pair(_) => "an up/down file pair",
            Self::Directories => "up/ and down/ directories",
        }
    }
}

/// The up or the down of a migration.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Section {
    /// The file it was read from (the migrations directory joined with the file).
    pub file: PathBuf,
    /// The SQL, normalised (no BOM, LF line ends).
    pub text: String,
    /// The file line on which `text` starts.
    pub first_line: u32,
    /// What was cut from the start of each file line (uncommented blocks).
    #[serde(skip)]
    line_prefixes: Vec<String>,
    /// Directives in force: the file's, then the section's own.
    pub directives: Directives,
    /// SHA-256 of `text`.
    pub checksum: Checksum,
}

impl Section {
    fn new(file: PathBuf, raw: RawSection, file_directives: &Directives) -> Self {
        Self {
            file,
            checksum: Checksum::of(&raw.text),
            directives: Directives::merged(file_directives, &raw.directives),
            text: raw.text,
            first_line: raw.first_line,
            line_prefixes: raw.line_prefixes,
        }
    }

    /// A section that comes from elsewhere than a file (e.g. a down section
    /// stored in history when the file is gone); `origin` names it in messages.
    pub fn detached(origin: impl Into<PathBuf>, text: String, no_transaction: bool) -> Self {
        Self {
            file: origin.into(),
            checksum: Checksum::of(&text),
            directives: Directives {
                no_transaction,
                ..Directives::default()
            },
            text,
            first_line: 1,
            line_prefixes: Vec::new(),
        }
    }

    /// The 1-based file line and column (in characters) of a byte offset in `text`.
    pub fn position(&self, offset: usize) -> (u32, u32) {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = &self.text[..offset];
        let line_index = before.bytes().filter(|&b| b == b'\n').count();
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before[line_start..].chars().count();
        crate::position::file_position(self.first_line, &self.line_prefixes, line_index, column)
    }

    /// An index of `text` for many [`Section::position`] lookups, each in
    /// logarithmic time rather than a scan from the start.
    pub fn position_index(&self) -> crate::position::PositionIndex<'_> {
        crate::position::PositionIndex::new(&self.text, self.first_line, &self.line_prefixes)
    }

    /// File line `line` (1-based, as [`Section::position`] gives) as written
    /// in the file, when it belongs to this section: an uncommented
    /// `-- ROLLBACK:` block's line with its comment prefix back.
    pub fn file_line(&self, line: u32) -> Option<String> {
        let index = usize::try_from(line.checked_sub(self.first_line)?).ok()?;
        let body = self.text.split('\n').nth(index)?;
        Some(match self.line_prefixes.get(index) {
            Some(prefix) => format!("{prefix}{body}"),
            None => body.to_owned(),
        })
    }

    /// Whether the section holds no SQL (only whitespace and comments).
    pub fn is_blank(&self) -> bool {
        is_blank_sql(&self.text)
    }

    /// Whether the section must run outside a transaction.
    pub fn no_transaction(&self) -> bool {
        self.directives.no_transaction
    }
}

/// One migration: a version, a name, an up and maybe a down.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Migration {
    /// The version from the file name.
    pub version: Version,
    /// The descriptive name from the file name.
    pub name: String,
    /// The naming scheme of its file name.
    pub scheme: NamingScheme,
    /// How up and down are laid out.
    pub layout: Layout,
    /// The up section.
    pub up: Section,
    /// The down section, when one exists and holds SQL.
    pub down: Option<Section>,
}

impl serde::Serialize for Version {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// A loaded migrations directory.
#[derive(Clone, Debug, Default)]
pub struct MigrationSet {
    /// The directory, as given (used as the prefix of every file path).
    pub dir: PathBuf,
    /// Migrations in version order. A version with conflicting files is left out.
    pub migrations: Vec<Migration>,
    /// Every problem found, in file order.
    pub problems: Vec<Diagnostic>,
}

impl MigrationSet {
    /// Whether any problem is an error.
    pub fn has_errors(&self) -> bool {
        self.problems.iter().any(Diagnostic::is_error)
    }

    /// The migration with this version.
    pub fn get(&self, version: &Version) -> Option<&Migration> {
        self.migrations
            .binary_search_by(|m| m.version.cmp(version))
            .ok()
            .map(|i| &self.migrations[i])
    }

    /// The highest version, if any.
    pub fn newest(&self) -> Option<&Migration> {
        self.migrations.last()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Origin {
    Top,
    UpDir,
    DownDir,
}

/// A file that named itself a migration, read and split.
struct Candidate {
    path: PathBuf,
    name: ParsedName,
    origin: Origin,
    style: FileStyle,
    file_directives: Directives,
    up: RawSection,
    down: Option<RawSection>,
}

/// Reads every migration in `source`; `dir` is the directory's display path.
pub fn load(source: &dyn MigrationSource, dir: &Path) -> MigrationSet {
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZero::get)
        .min(8);
    load_on(source, dir, threads)
}

/// [`load`], reading files on up to `threads` threads.
fn load_on(source: &dyn MigrationSource, dir: &Path, threads: usize) -> MigrationSet {
    let mut problems = Vec::new();
    let root = match source.list(Path::new("")) {
        Ok(entries) => entries,
        Err(e) => {
            problems.push(
                Diagnostic::error(
                    ProblemCode::Io,
                    dir,
                    format!("cannot read the migrations directory: {e}"),
                )
                .help("create it with `strata init`, or point at another one with --dir"),
            );
            return MigrationSet {
                dir: dir.to_owned(),
                migrations: Vec::new(),
                problems,
            };
        }
    };
    let mut files: Vec<(PathBuf, Origin)> = Vec::new();
    for entry in root {
        let Some(name) = entry.name.to_str() else {
            if !entry.is_dir && entry.name.as_encoded_bytes().ends_with(b".sql") {
                problems.push(Diagnostic::error(
                    ProblemCode::UnparseableName,
                    dir.join(&entry.name),
                    "the file name is not valid UTF-8",
                ));
            }
            continue;
        };
        if name.starts_with('.') {
            continue;
        }
        if entry.is_dir {
            let origin = match name {
                "up" => Some(Origin::UpDir),
                "down" => Some(Origin::DownDir),
                _ => None,
            };
            list_subdirectory(source, dir, name, origin, &mut files, &mut problems);
        } else {
            files.push((PathBuf::from(name), Origin::Top));
        }
    }
    // Byte order of the relative paths (cheaper than comparing components,
    // and the same order wherever it matters: names start with their version).
    files.sort_unstable_by(|a, b| a.0.as_os_str().cmp(b.0.as_os_str()));

    let mut candidates = read_candidates(source, dir, &files, threads, &mut problems);

    // Files sharing a version form one group; the sort is stable, so a group
    // keeps file order. (Grouping by sorting allocates one exact vector per
    // group, where a map of vectors held thousands of half-empty ones.)
    candidates.sort_by(|a, b| a.name.version.cmp(&b.name.version));
    let mut migrations = Vec::with_capacity(candidates.len());
    let mut candidates = candidates.into_iter().peekable();
    while let Some(first) = candidates.next() {
        let mut group = vec![first];
        while let Some(next) = candidates.next_if(|c| c.name.version == group[0].name.version) {
            group.push(next);
        }
        if let Some(m) = assemble(group, &mut problems) {
            if m.up.is_blank() {
                let (line, _) = m.up.position(0);
                problems.push(
                    Diagnostic::error(
                        ProblemCode::EmptyUp,
                        &m.up.file,
                        "the up section holds no SQL",
                    )
                    .at(line, None)
                    .help("write the migration's SQL, or delete the file if it is not needed"),
                );
            }
            migrations.push(m);
        }
    }
    problems.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    MigrationSet {
        dir: dir.to_owned(),
        migrations,
        problems,
    }
}

/// Below this many files one thread reads them faster than several started for it.
const PARALLEL_READ_MIN_FILES: usize = 256;

/// Reads the candidates of `files`, in their order, on up to `threads`
/// threads when there are enough files for it to pay (a status of 10,000
/// migrations is mostly opening and reading files). The result and the
/// problems are the same as reading them one by one.
fn read_candidates(
    source: &dyn MigrationSource,
    dir: &Path,
    files: &[(PathBuf, Origin)],
    threads: usize,
    problems: &mut Vec<Diagnostic>,
) -> Vec<Candidate> {
    let read_part = |part: &[(PathBuf, Origin)], problems: &mut Vec<Diagnostic>| {
        part.iter()
            .filter_map(|(rel, origin)| read_candidate(source, dir, rel, *origin, problems))
            .collect::<Vec<_>>()
    };
    if threads < 2 || files.len() < PARALLEL_READ_MIN_FILES {
        return read_part(files, problems);
    }
    let mut parts = files.chunks(files.len().div_ceil(threads));
    let first = parts.next().unwrap_or_default();
    std::thread::scope(|scope| {
        let others: Vec<_> = parts
            .map(|part| {
                scope.spawn(move || {
                    let mut problems = Vec::new();
                    let candidates = read_part(part, &mut problems);
                    (candidates, problems)
                })
            })
            .collect();
        let mut candidates = read_part(first, problems);
        for other in others {
            let (more, more_problems) = other
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            candidates.extend(more);
            problems.extend(more_problems);
        }
        candidates
    })
}

fn list_subdirectory(
    source: &dyn MigrationSource,
    dir: &Path,
    name: &str,
    origin: Option<Origin>,
    files: &mut Vec<(PathBuf, Origin)>,
    problems: &mut Vec<Diagnostic>,
) {
    let entries = match source.list(Path::new(name)) {
        Ok(entries) => entries,
        Err(e) => {
            problems.push(unreadable(dir.join(name), "directory", e));
            return;
        }
    };
    let mut ignored = 0;
    for entry in entries {
        let is_sql = entry.name.as_encoded_bytes().ends_with(b".sql");
        if entry.is_dir || !is_sql || entry.name.as_encoded_bytes().starts_with(b".") {
            continue;
        }
        match origin {
            Some(origin) => files.push((Path::new(name).join(&entry.name), origin)),
            None => ignored += 1,
        }
    }
    if ignored > 0 {
        problems.push(
            Diagnostic::warning(
                ProblemCode::IgnoredFile,
                dir.join(name),
                format!("{ignored} .sql file(s) in this sub-directory are not read"),
            )
            .help("strata reads the migrations directory itself and its up/ and down/ sub-directories; move migrations there"),
        );
    }
}

fn read_candidate(
    source: &dyn MigrationSource,
    dir: &Path,
    rel: &Path,
    origin: Origin,
    problems: &mut Vec<Diagnostic>,
) -> Option<Candidate> {
    let path = dir.join(rel);
    let file_name = rel.file_name()?.to_str()?;
    let name = match parse_file_name(file_name) {
        Ok(name) => name,
        Err(NameError::NotSql) => return None,
        Err(NameError::Repeatable) => {
            problems.push(
                Diagnostic::error(
                    ProblemCode::UnsupportedRepeatable,
                    &path,
                    "repeatable migrations (R__) are not supported",
                )
                .help("turn it into a versioned migration (e.g. `CREATE OR REPLACE VIEW` in a new file each time it changes)"),
            );
            return None;
        }
        Err(e @ (NameError::Unrecognized | NameError::Version(_))) => {
            problems.push(
                Diagnostic::error(
                    ProblemCode::UnparseableName,
                    &path,
                    format!("cannot read a version from the file name: {e}"),
                )
                .help(format!("name migrations like {ACCEPTED_NAMES}")),
            );
            return None;
        }
    };
    let bytes = match source.read(rel) {
        Ok(bytes) => bytes,
        Err(e) => {
            problems.push(unreadable(path, "file", e));
            return None;
        }
    };
    let text = match std::str::from_utf8(&bytes) {
        Ok(text) => text,
        Err(e) => {
            let valid = &bytes[..e.valid_up_to()];
            let line = valid.iter().filter(|&&b| b == b'\n').count() + 1;
            // The column in characters, as every other column (the part
            // before the bad byte is valid UTF-8); a BOM is not shown.
            let line_start = valid.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
            let before = std::str::from_utf8(&valid[line_start..]).unwrap_or_default();
            let column = before.trim_start_matches('\u{feff}').chars().count() + 1;
            problems.push(
                Diagnostic::error(ProblemCode::NotUtf8, &path, "the file is not valid UTF-8")
                    .at(
                        u32::try_from(line).unwrap_or(u32::MAX),
                        u32::try_from(column).ok(),
                    )
                    .help("save the file as UTF-8 (PostgreSQL migrations are read as UTF-8)"),
            );
            return None;
        }
    };
    let text = normalize(text);
    if let Some(at) = text.find('\0') {
        let before = &text[..at];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before[line_start..].chars().count() + 1;
        problems.push(
            Diagnostic::error(ProblemCode::NulByte, &path, "the file contains a NUL byte")
                .at(
                    u32::try_from(line).unwrap_or(u32::MAX),
                    u32::try_from(column).ok(),
                )
                .help("remove the NUL byte: PostgreSQL cannot take one in SQL text"),
        );
        return None;
    }
    let parsed = parse_text(&text);
    for (code, line, column, message, help) in parsed.problems {
        let mut p = Diagnostic::error(code, &path, message).at(line, column);
        p.help = help;
        problems.push(p);
    }
    let mut name = name;
    if let (
        FileStyle::Sections(_),
        NameRole::Up(PairStyle::Underscore) | NameRole::Down(PairStyle::Underscore),
        Origin::Top,
    ) = (parsed.style, name.role, origin)
    {
        // `0001_sign_up.sql` or `0002_tear_down.sql` with sections inside is a
        // whole migration whose name happens to end in `_up`/`_down`.
        if let Ok(whole) = parse_file_name_whole(file_name) {
            name = whole;
        }
    }
    Some(Candidate {
        path,
        name,
        origin,
        style: parsed.style,
        file_directives: parsed.file_directives,
        up: parsed.up,
        down: parsed.down,
    })
}

/// The problem for a file or directory (`what`) the source did not read.
fn unreadable(path: PathBuf, what: &str, error: SourceError) -> Diagnostic {
    match error {
        SourceError::NotRegular(kind) => Diagnostic::error(
            ProblemCode::NotARegularFile,
            path,
            format!("{kind}, not a regular {what}: strata did not read it"),
        )
        .help("a migration is a regular file of SQL: delete this entry, or put the SQL in a regular file of that name"),
        SourceError::LinkOutside(target) => Diagnostic::error(
            ProblemCode::SymlinkOutsideProject,
            path,
            format!(
                "a symbolic link to {}, outside the project: strata did not read it",
                target.display()
            ),
        )
        .help("strata follows links only to files inside the project (the directory of strata.toml); copy the SQL into the migrations directory instead"),
        SourceError::TooLarge { size, limit } => Diagnostic::error(
            ProblemCode::FileTooLarge,
            path,
            format!(
                "the file is {}, larger than the {} strata reads: it was not read",
                mebibytes(size),
                mebibytes(limit)
            ),
        )
        .help("split it into several migrations, and load bulk data another way (COPY from a file, pg_restore)"),
        SourceError::Io(e) => Diagnostic::error(ProblemCode::Io, path, format!("cannot read {what}: {e}")),
    }
}

/// `300 MiB`, `256.1 MiB` (rounded up, so a file just over the limit does
/// not read as the limit itself).
fn mebibytes(bytes: u64) -> String {
    let tenths = bytes.saturating_mul(10).div_ceil(1024 * 1024);
    if tenths.is_multiple_of(10) {
        format!("{} MiB", tenths / 10)
    } else {
        format!("{}.{} MiB", tenths / 10, tenths % 10)
    }
}

/// What part a candidate plays in its version's group.
fn part(c: &Candidate) -> (Layout, bool) {
    match (c.origin, c.name.role) {
        (Origin::UpDir, _) => (Layout::Directories, true),
        (Origin::DownDir, _) => (Layout::Directories, false),
        (Origin::Top, NameRole::Up(style)) => (Layout::Pair(style), true),
        (Origin::Top, NameRole::Down(style)) => (Layout::Pair(style), false),
        (Origin::Top, NameRole::Single) => (
            match c.style {
                FileStyle::Sections(style) => Layout::Sections(style),
                FileStyle::Rollback => Layout::RollbackBlock,
                FileStyle::Plain => Layout::Plain,
            },
            true,
        ),
    }
}

fn file_list(files: &[&Candidate]) -> String {
    files
        .iter()
        .map(|c| c.path.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Builds one migration from the files that share a version.
fn assemble(group: Vec<Candidate>, problems: &mut Vec<Diagnostic>) -> Option<Migration> {
    let version = group.first()?.name.version.clone();
    let mut ups: Vec<&Candidate> = Vec::new();
    let mut downs: Vec<&Candidate> = Vec::new();
    for c in &group {
        if part(c).1 {
            ups.push(c);
        } else {
            downs.push(c);
        }
    }
    let mut layouts: Vec<Layout> = group.iter().map(|c| part(c).0).collect();
    // A Flyway undo file pairs with a plain `V<n>__` file.
    let flyway_pair = downs
        .iter()
        .all(|d| d.name.role == NameRole::Down(PairStyle::FlywayUndo))
        && !downs.is_empty()
        && ups
            .iter()
            .all(|u| u.name.scheme == NamingScheme::Flyway && u.origin == Origin::Top);
    if flyway_pair {
        layouts.retain(|l| *l != Layout::Pair(PairStyle::FlywayUndo));
    }
    let kinds: Vec<&str> = {
        let mut k: Vec<&str> = layouts.iter().map(|l| l.describe()).collect();
        k.dedup();
        k.sort_unstable();
        k.dedup();
        k
    };
    if kinds.len() > 1 {
        let all: Vec<&Candidate> = group.iter().collect();
        problems.push(
            Diagnostic::error(
                ProblemCode::MixedLayouts,
                &group[0].path,
                format!(
                    "version {version} is laid out as {} at once: {}",
                    kinds.join(" and "),
                    file_list(&all)
                ),
            )
            .help("keep one layout per migration: a single file with sections, an up/down pair, or up/ and down/ directories"),
        );
        return None;
    }
    if ups.len() > 1 || downs.len() > 1 {
        let (first, rest) = if ups.len() > 1 {
            (ups[0], &ups[1..])
        } else {
            (downs[0], &downs[1..])
        };
        for other in rest {
            problems.push(
                Diagnostic::error(
                    ProblemCode::DuplicateVersion,
                    &other.path,
                    format!("version {version} is also used by {}", first.path.display()),
                )
                .help("give each migration its own version; `strata new` picks a free one"),
            );
        }
        return None;
    }
    let Some(up) = ups.first() else {
        for down in &downs {
            problems.push(
                Diagnostic::error(
                    ProblemCode::DownWithoutUp,
                    &down.path,
                    format!("a down file for version {version} with no up file"),
                )
                .help("add the matching up file, or delete this one"),
            );
        }
        return None;
    };
    let down_file = downs.first();
    if let Some(down) = down_file {
        if up.down.as_ref().is_some_and(|d| !is_blank_sql(&d.text)) {
            problems.push(
                Diagnostic::error(
                    ProblemCode::MixedLayouts,
                    &up.path,
                    format!(
                        "version {version} has a down section here and a down file {}",
                        down.path.display()
                    ),
                )
                .help("keep one of the two downs"),
            );
            return None;
        }
        if down.down.is_some() {
            problems.push(
                Diagnostic::error(
                    ProblemCode::MixedLayouts,
                    &down.path,
                    "a down file has section markers with a down section of its own",
                )
                .help("a down file holds only the down SQL; remove the section markers"),
            );
            return None;
        }
        if down.name.name != up.name.name && down.name.role != NameRole::Down(PairStyle::FlywayUndo)
        {
            problems.push(
                Diagnostic::error(
                    ProblemCode::PairNameMismatch,
                    &down.path,
                    format!(
                        "the down file's name `{}` differs from the up file's `{}`",
                        down.name.name, up.name.name
                    ),
                )
                .help("rename one so both halves of the pair share a name"),
            );
        }
    } else if up.down.is_some() && matches!(part(up).0, Layout::Pair(_) | Layout::Directories) {
        problems.push(
            Diagnostic::error(
                ProblemCode::MixedLayouts,
                &up.path,
                "an up file of a pair has a down section of its own",
            )
            .help("move the down SQL into the down file"),
        );
        return None;
    }

    let up_section = Section::new(up.path.clone(), up.up.clone(), &up.file_directives);
    let down_section = match down_file {
        Some(d) => Some(Section::new(
            d.path.clone(),
            d.up.clone(),
            &d.file_directives,
        )),
        None => up
            .down
            .clone()
            .map(|raw| Section::new(up.path.clone(), raw, &up.file_directives)),
    }
    .filter(|s| !s.is_blank());
    Some(Migration {
        version,
        name: up.name.name.clone(),
        scheme: up.name.scheme,
        layout: part(up).0.pair_with(down_file.map(|d| d.name.role)),
        up: up_section,
        down: down_section,
    })
}

impl Layout {
    fn pair_with(self, down_role: Option<NameRole>) -> Self {
        match down_role {
            Some(NameRole::Down(PairStyle::FlywayUndo)) => Self::Pair(PairStyle::FlywayUndo),
            _ => self,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::MemorySource;

    /// A directory where every version is an up/down pair (so a split of the
    /// files into parts falls between the halves of a pair whenever a part
    /// has an odd size), with problems of every kind sprinkled in.
    fn large_directory() -> MemorySource {
        let mut source = MemorySource::new();
        for v in 1..=400_u32 {
            let up = format!("create table t{v} (id int);\n");
            let (up, down) = match v % 50 {
                7 => ("-- strata:bogus\nselect 1;\n".to_owned(), "select 1;\n"),
                13 => (up, "-- strata:up\nselect 1;\n-- strata:down\nselect 2;\n"),
                21 => ("   \n".to_owned(), "select 1;\n"),
                _ => (up, "drop table t;\n"),
            };
            source = source
                .with(format!("{v:04}_t{v}.up.sql"), up)
                .with(format!("{v:04}_t{v}.down.sql"), down);
            if v % 97 == 0 {
                source = source.with(format!("{v:04}_again.sql"), "select 1;\n");
            }
        }
        source
            .with("0401_bad.sql", b"select '\xff';\n".to_vec())
            .with("0402_x.down.sql", "select 1;\n")
            .with("R__view.sql", "select 1;\n")
            .with("notes.sql", "select 1;\n")
            .with("up/0403_dirs.sql", "select 1;\n")
            .with("down/0403_dirs.sql", "select 2;\n")
    }

    #[test]
    fn positions_and_file_lines_agree_in_an_uncommented_rollback_block() {
        let file = "create table t (id int);\n-- ROLLBACK: drop index i;\n  --   drop tabel t;\n-- strata:allow x -- why\n";
        let source = MemorySource::new().with("0001_t.sql", file);
        let set = load(&source, Path::new("m"));
        let down = set.migrations[0].down.as_ref().expect("a down section");
        let file_lines: Vec<&str> = file.lines().collect();
        for (needle, line) in [("drop index", 2), ("tabel", 3)] {
            let offset = down.text.find(needle).expect("in the down text");
            let (l, column) = down.position(offset);
            assert_eq!(l, line);
            let written = down.file_line(l).expect("a line of the section");
            assert_eq!(written, file_lines[usize::try_from(l - 1).unwrap_or(0)]);
            let at: String = written
                .chars()
                .skip(usize::try_from(column - 1).unwrap_or(0))
                .take(needle.len())
                .collect();
            assert_eq!(at, needle);
        }
        assert_eq!(down.file_line(4).as_deref(), Some(file_lines[3]));
        assert_eq!(down.file_line(1), None);
        let up = &set.migrations[0].up;
        assert_eq!(up.file_line(1).as_deref(), Some(file_lines[0]));
    }

    #[test]
    fn reading_on_several_threads_gives_what_reading_on_one_does() {
        let source = large_directory();
        let dir = Path::new("migrations");
        let one = load_on(&source, dir, 1);
        assert!(one.migrations.len() > 300, "{}", one.migrations.len());
        assert!(one.problems.len() > 20, "{:#?}", one.problems);
        let expected = format!("{:?}", (&one.migrations, &one.problems));
        for threads in [2, 3, 4, 7] {
            let many = load_on(&source, dir, threads);
            assert_eq!(
                format!("{:?}", (&many.migrations, &many.problems)),
                expected,
                "{threads} threads"
            );
        }
    }
}
