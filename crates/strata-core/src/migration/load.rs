//! Reading a migrations directory: listing its files and reading each
//! migration file into a [`Candidate`], collecting every problem on the way.

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use super::MigrationSet;
use super::assemble::assemble_all;
use super::checks::check_versions;
use super::options::{LoadOptions, run_by_supabase_cli, skipped_as_old_init};
use crate::checksum::normalize;
use crate::diagnostic::{Diagnostic, ProblemCode};
use crate::directive::Directives;
use crate::file::{FileStyle, RawSection, parse_text};
use crate::name::{
    ACCEPTED_NAMES, NameError, NameRole, PairStyle, ParsedName, Versions, parse_dir_name,
    parse_file_name_as, parse_file_name_whole_as,
};
use crate::source::{MigrationSource, SourceError};

/// Where in the migrations directory a file was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Origin {
    Top,
    UpDir,
    DownDir,
    /// The directory of downs beside the migrations directory.
    DownsBeside,
    /// `up.sql` in a directory of its own migration (diesel's layout).
    OwnDirUp,
    /// `down.sql` in a directory of its own migration.
    OwnDirDown,
}

/// A file that named itself a migration, read and split.
pub(super) struct Candidate {
    pub(super) path: PathBuf,
    pub(super) name: ParsedName,
    pub(super) origin: Origin,
    pub(super) style: FileStyle,
    pub(super) file_directives: Directives,
    pub(super) up: RawSection,
    pub(super) down: Option<RawSection>,
    /// The file starts with `strata new`'s header.
    pub(super) from_new: bool,
}

/// Reads every migration in `source`; `dir` is the directory's display path.
pub fn load(source: &dyn MigrationSource, dir: &Path) -> MigrationSet {
    load_with(source, dir, &LoadOptions::default(), None)
}

/// [`load`], with the downs of single-file migrations read from a directory
/// beside (`downs`: its source and display path), each a file named as its
/// up file: the shape for a migrations directory another tool runs verbatim.
pub fn load_with_downs(
    source: &dyn MigrationSource,
    dir: &Path,
    downs: Option<(&dyn MigrationSource, &Path)>,
) -> MigrationSet {
    load_with(source, dir, &LoadOptions::default(), downs)
}

/// [`load_with_downs`], reading versions, their order and the files to skip
/// as `options` say (`[migrations]` in `strata.toml`).
pub fn load_with(
    source: &dyn MigrationSource,
    dir: &Path,
    options: &LoadOptions,
    downs: Option<(&dyn MigrationSource, &Path)>,
) -> MigrationSet {
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZero::get)
        .min(8);
    let mut set = load_on(source, dir, threads, options, downs);
    if let Some((_, downs_dir)) = downs
        && downs_dir.starts_with(dir)
    {
        set.problems.push(
            Diagnostic::error(
                ProblemCode::Io,
                downs_dir,
                "the downs directory is inside the migrations directory",
            )
            .help("put it beside the migrations directory (e.g. `supabase/rollbacks` beside `supabase/migrations`), where the tool that runs the migrations does not look"),
        );
    }
    set
}

/// What `versions` setting a directory needs: [`Versions::Name`] when
/// several of its files share a number but not a name (as runners that take
/// whole file names as versions allow), and reading them so leaves no two
/// migrations on one version; else [`Versions::Number`].
pub fn detect_versions(source: &dyn MigrationSource, dir: &Path) -> Versions {
    let duplicates = |set: &MigrationSet| {
        set.problems
            .iter()
            .filter(|p| p.code == ProblemCode::DuplicateVersion)
            .count()
    };
    let by_number = load_on(source, dir, 1, &LoadOptions::default(), None);
    if duplicates(&by_number) == 0 {
        return Versions::Number;
    }
    let options = LoadOptions {
        versions: Versions::Name,
        ..LoadOptions::default()
    };
    let by_name = load_on(source, dir, 1, &options, None);
    let errors = |set: &MigrationSet| set.problems.iter().filter(|p| p.is_error()).count();
    if duplicates(&by_name) == 0 && errors(&by_name) < errors(&by_number) {
        Versions::Name
    } else {
        Versions::Number
    }
}

/// [`load`], reading files on up to `threads` threads.
fn load_on(
    source: &dyn MigrationSource,
    dir: &Path,
    threads: usize,
    options: &LoadOptions,
    downs: Option<(&dyn MigrationSource, &Path)>,
) -> MigrationSet {
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
                order: options.order,
            };
        }
    };
    let mut files = list_root(source, dir, root, options, &mut problems);
    // Byte order of the relative paths (cheaper than comparing components,
    // and the same order wherever it matters: names start with their version).
    files.sort_unstable_by(|a, b| a.0.as_os_str().cmp(b.0.as_os_str()));

    let mut candidates = read_candidates(source, dir, &files, threads, options, &mut problems);
    if let Some((downs_source, downs_dir)) = downs {
        candidates.extend(read_downs_beside(
            downs_source,
            downs_dir,
            threads,
            options,
            &mut problems,
        ));
    }
    let migrations = assemble_all(candidates, options.order, &mut problems);
    if read_by_supabase_cli(dir) {
        problems.extend(migrations.iter().filter_map(down_run_by_supabase_cli));
    }
    problems.extend(check_versions(&migrations, options.order));
    problems.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    MigrationSet {
        dir: dir.to_owned(),
        migrations,
        problems,
        order: options.order,
    }
}

/// The files to read among the entries at the top of the migrations
/// directory (and in its sub-directories), each with where it was found.
fn list_root(
    source: &dyn MigrationSource,
    dir: &Path,
    mut root: Vec<crate::source::SourceEntry>,
    options: &LoadOptions,
    problems: &mut Vec<Diagnostic>,
) -> Vec<(PathBuf, Origin)> {
    // In name order, as the Supabase CLI lists them (its first file may be skipped).
    root.sort_unstable_by(|a, b| a.name.cmp(&b.name));
    let mut files: Vec<(PathBuf, Origin)> = Vec::new();
    for (index, entry) in root.iter().enumerate() {
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
        if name.starts_with('.') || options.ignore.matches(Path::new(name)) {
            continue;
        }
        if options.supabase_cli
            && let Some(problem) = skipped_by_supabase_cli(dir, name, entry.is_dir, index)
        {
            problems.push(problem);
            continue;
        }
        if entry.is_dir {
            list_directory(source, dir, name, options, &mut files, problems);
        } else {
            files.push((PathBuf::from(name), Origin::Top));
        }
    }
    files
}

/// The warning for an entry the Supabase CLI skips (`index` is its place in
/// name order), when it does.
fn skipped_by_supabase_cli(
    dir: &Path,
    name: &str,
    is_dir: bool,
    index: usize,
) -> Option<Diagnostic> {
    let why = if index == 0 && !is_dir && skipped_as_old_init(name) {
        "the Supabase CLI skips a first file named `<timestamp>_init.sql` from before December 2021"
    } else if is_dir {
        "the Supabase CLI reads no sub-directory of its migrations directory"
    } else if !run_by_supabase_cli(name) {
        "the Supabase CLI skips a file whose name is not `<digits>_<name>.sql`"
    } else {
        return None;
    };
    Some(
        Diagnostic::warning(
            ProblemCode::SkippedBySupabaseCli,
            dir.join(name),
            format!("{why}, so strata skips it too"),
        )
        .help("rename it `<timestamp>_<name>.sql` if it is a migration to run; if it is not, add it to `ignore` under [migrations] to silence this"),
    )
}

/// Lists a sub-directory of the migrations directory: `up/` and `down/`,
/// a directory of one migration, or one strata does not read.
fn list_directory(
    source: &dyn MigrationSource,
    dir: &Path,
    name: &str,
    options: &LoadOptions,
    files: &mut Vec<(PathBuf, Origin)>,
    problems: &mut Vec<Diagnostic>,
) {
    let origin = match name {
        "up" => Some(Origin::UpDir),
        "down" => Some(Origin::DownDir),
        _ => None,
    };
    if origin.is_none() && parse_dir_name(name, options.versions).is_ok() {
        match source.list(Path::new(name)) {
            Ok(entries) if entries.iter().any(|e| !e.is_dir && e.name == "up.sql") => {
                let own = Path::new(name);
                files.push((own.join("up.sql"), Origin::OwnDirUp));
                if entries.iter().any(|e| !e.is_dir && e.name == "down.sql") {
                    files.push((own.join("down.sql"), Origin::OwnDirDown));
                }
                return;
            }
            // Without up.sql it is no migration: said below, if it holds SQL.
            Ok(_) => {}
            Err(e) => {
                problems.push(unreadable(dir.join(name), "directory", e));
                return;
            }
        }
    }
    list_subdirectory(source, dir, name, origin, options, files, problems);
}

/// Whether `dir` is the directory the Supabase CLI applies verbatim (`supabase db
/// reset`, `db push`, Branching): `supabase/migrations`, wherever the project is.
pub fn read_by_supabase_cli(dir: &Path) -> bool {
    let mut names = dir
        .components()
        .rev()
        .filter(|c| !matches!(c, std::path::Component::CurDir));
    matches!(
        (names.next(), names.next()),
        (Some(last), Some(parent))
            if last.as_os_str() == "migrations" && parent.as_os_str() == "supabase"
    )
}

/// The problem with a migration whose down SQL the Supabase CLI would run: it
/// runs every statement of every `<timestamp>_name.sql` file in the
/// directory, so a live down section runs right after its up, and a
/// `.down.sql` file runs as a migration of its own.
fn down_run_by_supabase_cli(m: &super::Migration) -> Option<Diagnostic> {
    use super::Layout;
    let down = m.down.as_ref()?;
    let message = match m.layout {
        Layout::Sections(_) if !down.is_blank() => format!(
            "the down section of migration {} is live SQL in supabase/migrations: the Supabase CLI (`supabase db reset`, `db push`, Branching) runs the whole file, so it would undo the migration right after applying it",
            m.version
        ),
        Layout::Pair(_) => format!(
            "the down file of migration {} is in supabase/migrations: the Supabase CLI runs every .sql file there, so it would apply this rollback as a migration",
            m.version
        ),
        _ => return None,
    };
    let (line, _) = down.position(0);
    Some(
        Diagnostic::error(ProblemCode::DownRunBySupabaseCli, &down.file, message)
            .at(line.saturating_sub(1).max(1), None)
            .help("keep the down where the Supabase CLI does not run it: `strata convert-downs` rewrites it into a commented `-- ROLLBACK:` block (the up section and its checksum stay as they are)"),
    )
}

/// The candidates of the downs directory: every `.sql` file at its top.
fn read_downs_beside(
    source: &dyn MigrationSource,
    dir: &Path,
    threads: usize,
    options: &LoadOptions,
    problems: &mut Vec<Diagnostic>,
) -> Vec<Candidate> {
    let mut files = Vec::new();
    // `ignore` is about the migrations directory, not this one.
    let options = LoadOptions {
        ignore: super::IgnoreGlobs::default(),
        ..options.clone()
    };
    list_subdirectory(
        source,
        dir,
        "",
        Some(Origin::DownsBeside),
        &options,
        &mut files,
        problems,
    );
    files.sort_unstable_by(|a, b| a.0.as_os_str().cmp(b.0.as_os_str()));
    read_candidates(source, dir, &files, threads, &options, problems)
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
    options: &LoadOptions,
    problems: &mut Vec<Diagnostic>,
) -> Vec<Candidate> {
    let read_part = |part: &[(PathBuf, Origin)], problems: &mut Vec<Diagnostic>| {
        part.iter()
            .filter_map(|(rel, origin)| {
                read_candidate(source, dir, rel, *origin, options.versions, problems)
            })
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
    options: &LoadOptions,
    files: &mut Vec<(PathBuf, Origin)>,
    problems: &mut Vec<Diagnostic>,
) {
    let entries = match source.list(Path::new(name)) {
        Ok(entries) => entries,
        Err(e) => {
            let path = if name.is_empty() {
                dir.to_owned()
            } else {
                dir.join(name)
            };
            problems.push(unreadable(path, "directory", e));
            return;
        }
    };
    let mut ignored = 0;
    for entry in entries {
        let is_sql = entry.name.as_encoded_bytes().ends_with(b".sql");
        if entry.is_dir || !is_sql || entry.name.as_encoded_bytes().starts_with(b".") {
            continue;
        }
        if options.ignore.matches(&Path::new(name).join(&entry.name)) {
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
            .help("strata reads the migrations directory itself, its up/ and down/ sub-directories, and directories of one migration holding up.sql; move migrations there, or add the directory to `ignore` under [migrations]"),
        );
    }
}

/// Reads the file `rel` (relative to the migrations directory) into a
/// candidate, or `None` when it is not a migration or cannot be read.
fn read_candidate(
    source: &dyn MigrationSource,
    dir: &Path,
    rel: &Path,
    origin: Origin,
    versions: Versions,
    problems: &mut Vec<Diagnostic>,
) -> Option<Candidate> {
    let path = dir.join(rel);
    let file_name = rel.file_name()?.to_str()?;
    let mut name = match origin {
        Origin::OwnDirUp | Origin::OwnDirDown => own_dir_name(rel, origin, versions)?,
        _ => version_name(file_name, &path, versions, problems)?,
    };
    let bytes = match source.read(rel) {
        Ok(bytes) => bytes,
        Err(e) => {
            problems.push(unreadable(path, "file", e));
            return None;
        }
    };
    let text = sql_text(&bytes, &path, problems)?;
    let mut parsed = parse_text(&text);
    let is_down_file = matches!(
        origin,
        Origin::DownDir | Origin::DownsBeside | Origin::OwnDirDown
    ) || matches!(name.role, NameRole::Down(_));
    if is_down_file && parsed.style == FileStyle::Rollback {
        // A down file is all down: `-- Rollback: 0001_add_users` at its top is
        // the common header comment, not the start of a rollback block.
        parsed.up = RawSection {
            text: text.to_string(),
            first_line: 1,
            line_prefixes: Vec::new(),
            directives: parsed.file_directives.clone(),
        };
        parsed.down = None;
        parsed.style = FileStyle::Plain;
        parsed.rollback_line = None;
        // What the block reading found wrong is not wrong in a down file.
        parsed
            .problems
            .retain(|p| p.0 != ProblemCode::SqlOutsideSection);
    }
    for (code, line, column, message, help) in parsed.problems {
        let mut p = Diagnostic::error(code, &path, message).at(line, column);
        p.help = help;
        problems.push(p);
    }
    if let (
        FileStyle::Sections(_),
        NameRole::Up(PairStyle::Underscore) | NameRole::Down(PairStyle::Underscore),
        Origin::Top,
    ) = (parsed.style, name.role, origin)
    {
        // `0001_sign_up.sql` or `0002_tear_down.sql` with sections inside is a
        // whole migration whose name happens to end in `_up`/`_down`.
        if let Ok(whole) = parse_file_name_whole_as(file_name, versions) {
            name = whole;
        }
    }
    let mut file_directives = parsed.file_directives;
    if matches!(origin, Origin::OwnDirUp | Origin::OwnDirDown) {
        let report = origin == Origin::OwnDirUp;
        file_directives.no_transaction |= !runs_in_transaction(source, dir, rel, report, problems);
    }
    Some(Candidate {
        path,
        name,
        origin,
        style: parsed.style,
        file_directives,
        up: parsed.up,
        down: parsed.down,
        from_new: crate::new::has_new_header(&text),
    })
}

/// The name of `up.sql` or `down.sql` in a directory of one migration: the
/// directory's.
fn own_dir_name(rel: &Path, origin: Origin, versions: Versions) -> Option<ParsedName> {
    let dir_name = rel.parent()?.file_name()?.to_str()?;
    let mut name = parse_dir_name(dir_name, versions).ok()?;
    name.role = if origin == Origin::OwnDirUp {
        NameRole::Up(PairStyle::Dot)
    } else {
        NameRole::Down(PairStyle::Dot)
    };
    Some(name)
}

/// diesel's `metadata.toml` beside `up.sql`.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Metadata {
    /// `false`: the migration runs outside a transaction.
    run_in_transaction: Option<bool>,
}

/// Whether the migration of the directory holding `rel` runs in a
/// transaction, as its `metadata.toml` says (yes without one). A file that
/// cannot be read is a problem, reported when `report` (once per directory).
fn runs_in_transaction(
    source: &dyn MigrationSource,
    dir: &Path,
    rel: &Path,
    report: bool,
    problems: &mut Vec<Diagnostic>,
) -> bool {
    let Some(metadata) = rel.parent().map(|own| own.join("metadata.toml")) else {
        return true;
    };
    let path = dir.join(&metadata);
    let bytes = match source.read(&metadata) {
        Ok(bytes) => bytes,
        Err(SourceError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => return true,
        Err(e) => {
            if report {
                problems.push(unreadable(path, "file", e));
            }
            return true;
        }
    };
    let parsed = std::str::from_utf8(&bytes)
        .map_err(|e| e.to_string())
        .and_then(|text| toml::from_str::<Metadata>(text).map_err(|e| e.message().to_owned()));
    match parsed {
        Ok(metadata) => metadata.run_in_transaction != Some(false),
        Err(message) => {
            if report {
                problems.push(
                    Diagnostic::error(
                        ProblemCode::InvalidMetadata,
                        path,
                        format!("cannot read the migration's metadata: {message}"),
                    )
                    .help("diesel's metadata.toml holds one key, `run_in_transaction = false` for a migration that runs outside a transaction"),
                );
            }
            true
        }
    }
}

/// The name of a migration file, or `None` when it is not one (a problem
/// says why, unless it is not SQL at all).
fn version_name(
    file_name: &str,
    path: &Path,
    versions: Versions,
    problems: &mut Vec<Diagnostic>,
) -> Option<ParsedName> {
    match parse_file_name_as(file_name, versions) {
        Ok(name) => Some(name),
        Err(NameError::NotSql) => None,
        Err(NameError::Unrecognized) if !looks_versioned(file_name) => {
            problems.push(
                Diagnostic::warning(
                    ProblemCode::IgnoredFile,
                    path,
                    "not a migration: the name has no version, so strata does not read the file",
                )
                .help(format!(
                    "if it is a migration, name it like {ACCEPTED_NAMES}; if not, add it to `ignore` under [migrations] to silence this"
                )),
            );
            None
        }
        Err(NameError::Repeatable) => {
            problems.push(
                Diagnostic::error(
                    ProblemCode::UnsupportedRepeatable,
                    path,
                    "repeatable migrations (R__) are not supported",
                )
                .help("turn it into a versioned migration (e.g. `CREATE OR REPLACE VIEW` in a new file each time it changes)"),
            );
            None
        }
        Err(e @ (NameError::Unrecognized | NameError::Version(_))) => {
            problems.push(
                Diagnostic::error(
                    ProblemCode::UnparseableName,
                    path,
                    format!("cannot read a version from the file name: {e}"),
                )
                .help(format!("name migrations like {ACCEPTED_NAMES}")),
            );
            None
        }
    }
}

/// Whether a file name that follows no scheme was meant as a migration: it
/// starts with a number or a Flyway prefix (`12+users.sql`, `V__x.sql`),
/// rather than being some other SQL file (`seed.sql`, `schema.sql`).
fn looks_versioned(file_name: &str) -> bool {
    let bytes = file_name.as_bytes();
    match bytes {
        [b'0'..=b'9', ..] => true,
        [b'V' | b'U' | b'R', next, ..] => next.is_ascii_digit() || *next == b'_',
        _ => false,
    }
}

/// The normalised text of a file's bytes, or `None` when it is not valid
/// UTF-8 or holds a NUL byte (a problem says where).
fn sql_text<'a>(
    bytes: &'a [u8],
    path: &Path,
    problems: &mut Vec<Diagnostic>,
) -> Option<Cow<'a, str>> {
    let text = match std::str::from_utf8(bytes) {
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
                Diagnostic::error(ProblemCode::NotUtf8, path, "the file is not valid UTF-8")
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
            Diagnostic::error(ProblemCode::NulByte, path, "the file contains a NUL byte")
                .at(
                    u32::try_from(line).unwrap_or(u32::MAX),
                    u32::try_from(column).ok(),
                )
                .help("remove the NUL byte: PostgreSQL cannot take one in SQL text"),
        );
        return None;
    }
    Some(text)
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

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::load_on;
    use crate::source::MemorySource;

    #[test]
    fn a_rollback_header_comment_in_a_down_file_is_a_comment() {
        let source = MemorySource::new()
            .with(
                "001_add_users_table.up.sql",
                "create table users (id int);\n",
            )
            .with(
                "001_add_users_table.down.sql",
                "-- Rollback: 001_add_users_table\ndrop table users;\n",
            );
        let set = super::load(&source, Path::new("migrations"));
        assert!(set.problems.is_empty(), "{:#?}", set.problems);
        let down = set.migrations[0].down.as_ref().map(|d| d.text.as_str());
        assert_eq!(
            down,
            Some("-- Rollback: 001_add_users_table\ndrop table users;\n")
        );
    }

    #[test]
    fn empty_files_of_other_tools_are_migrations_that_do_nothing() {
        let source = MemorySource::new()
            .with("1_init.up.sql", "create table a (id int);\n")
            .with("1_init.down.sql", "")
            .with("2_nothing.up.sql", "-- kept for numbering\n")
            .with("2_nothing.down.sql", "\n");
        let set = super::load(&source, Path::new("migrations"));
        assert_eq!(set.migrations.len(), 2);
        // An empty down file is a down, one that does nothing.
        assert!(set.migrations.iter().all(|m| m.down.is_some()));
        // A comment-only up is a warning, not an error.
        assert!(!set.has_errors(), "{:#?}", set.problems);
        assert_eq!(set.problems.len(), 1, "{:#?}", set.problems);
        assert_eq!(set.problems[0].code, crate::ProblemCode::EmptyUp);
    }

    #[test]
    fn a_template_of_strata_new_not_filled_in_is_told_apart() {
        let template = "-- Migration: add invoices\n-- Author: someone\n-- Date: 2026-11-25 10:00:00 UTC\n-- Purpose: billing\n\n-- strata:up\n\n\n-- strata:down\n\n";
        let source = MemorySource::new().with("20261125100000_add_invoices.sql", template);
        let set = super::load(&source, Path::new("migrations"));
        assert!(!set.has_errors(), "{:#?}", set.problems);
        let codes: Vec<_> = set.problems.iter().map(|p| p.code).collect();
        assert_eq!(
            codes,
            vec![crate::Code::from(crate::ProblemCode::UnfilledTemplate)]
        );
        // Its blank down section is no down at all.
        assert!(set.migrations[0].down.is_none());
    }

    #[test]
    fn downs_are_read_from_a_directory_beside() {
        let ups = MemorySource::new()
            .with("20240101000000_a.sql", "create table a ();\n")
            .with(
                "20240102000000_b.sql",
                "-- strata:up\ncreate table b ();\n-- strata:down\ndrop table b;\n",
            )
            .with("20240103000000_c.sql", "create table c ();\n");
        let downs = MemorySource::new()
            .with(
                "20240101000000_a.sql",
                "-- strata:no-transaction\ndrop table a;\n",
            )
            .with("20240102000000_b.sql", "drop table b;\n")
            .with("20240109000000_z.sql", "drop table z;\n");
        let set = super::load_with_downs(
            &ups,
            Path::new("supabase/migrations"),
            Some((&downs, Path::new("supabase/rollbacks"))),
        );
        let a = &set.migrations[0];
        assert_eq!(a.layout, crate::Layout::DownsDirectory);
        let down = a.down.as_ref().expect("a has its down beside");
        assert_eq!(
            down.file,
            Path::new("supabase/rollbacks/20240101000000_a.sql")
        );
        assert!(down.directives.no_transaction && !a.up.directives.no_transaction);
        // b has a down in its file and one beside; z has no up; c has no down.
        let codes: Vec<(&str, String)> = set
            .problems
            .iter()
            .map(|p| (p.code.as_str(), p.file.display().to_string()))
            .collect();
        assert_eq!(
            codes,
            [
                (
                    "mixed-layouts",
                    "supabase/migrations/20240102000000_b.sql".to_owned()
                ),
                (
                    "down-without-up",
                    "supabase/rollbacks/20240109000000_z.sql".to_owned()
                ),
            ]
        );
        assert_eq!(set.migrations.len(), 2);
        assert!(set.migrations[1].down.is_none());
        let inside =
            super::load_with_downs(&ups, Path::new("m"), Some((&downs, Path::new("m/downs"))));
        assert!(
            inside
                .problems
                .iter()
                .any(|p| p.message.contains("inside the migrations directory"))
        );
    }

    #[test]
    fn downs_the_supabase_cli_would_run_are_refused_in_its_directory_only() {
        let source = MemorySource::new()
            .with(
                "20240101000000_a.sql",
                "-- strata:up\ncreate table a ();\n-- strata:down\ndrop table a;\n",
            )
            .with("20240102000000_b.up.sql", "create table b ();\n")
            .with("20240102000000_b.down.sql", "drop table b;\n")
            .with(
                "20240103000000_c.sql",
                "-- strata:up\ncreate table c ();\n-- ROLLBACK:\n-- drop table c;\n",
            )
            .with(
                "20240104000000_d.sql",
                "-- strata:up\ncreate table d ();\n-- strata:down\n-- nothing to undo\n",
            );
        let codes = |dir: &str| {
            load_on(
                &source,
                Path::new(dir),
                1,
                &super::LoadOptions::default(),
                None,
            )
            .problems
            .iter()
            .map(|p| {
                (
                    p.code.as_str(),
                    p.file.display().to_string(),
                    p.line().unwrap_or(0),
                )
            })
            .collect::<Vec<_>>()
        };
        assert_eq!(
            codes("./supabase/migrations"),
            [
                (
                    "down-run-by-supabase-cli",
                    "./supabase/migrations/20240101000000_a.sql".to_owned(),
                    3
                ),
                (
                    "down-run-by-supabase-cli",
                    "./supabase/migrations/20240102000000_b.down.sql".to_owned(),
                    1
                ),
            ]
        );
        assert!(codes("db/migrations").is_empty());
        assert!(codes("supabase/other").is_empty());
    }

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
    fn reading_on_several_threads_gives_what_reading_on_one_does() {
        let source = large_directory();
        let dir = Path::new("migrations");
        let one = load_on(&source, dir, 1, &super::LoadOptions::default(), None);
        assert!(one.migrations.len() > 300, "{}", one.migrations.len());
        assert!(one.problems.len() > 20, "{:#?}", one.problems);
        let expected = format!("{:?}", (&one.migrations, &one.problems));
        for threads in [2, 3, 4, 7] {
            let many = load_on(&source, dir, threads, &super::LoadOptions::default(), None);
            assert_eq!(
                format!("{:?}", (&many.migrations, &many.problems)),
                expected,
                "{threads} threads"
            );
        }
    }
}
