//! What invalid files stop, and what they leave alone.
//!
//! One bad file must not stop everything: `status` still shows every
//! migration, with the invalid ones marked; `rollback` of a valid applied
//! migration is not blocked by an unrelated invalid file; `migrate` applies
//! what comes before the first migration it cannot apply and stops there
//! (never skipping past it, which would put history out of order). A problem
//! in a down section blocks only rolling that migration back (and `verify`).
//!
//! A file `strata new` wrote and nobody filled in (`unfilled-template`, a
//! warning in `validate`) stops `migrate` the same way: recorded empty, the
//! edit to come would look like a change to an applied migration.

use std::collections::BTreeMap;
use std::path::Path;

use strata_core::{Diagnostic, Migration, MigrationSet, ProblemCode, Version};
use strata_sql::ParsedSet;

/// Which half of a migration a problem is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Part {
    /// The up, or the migration's files as a whole (names, layout).
    Up,
    /// Only the down.
    Down,
}

/// Where `migrate` stops, and why.
pub(crate) struct Stop<'a> {
    /// How many pending migrations come before it (and are applied).
    pub(crate) index: usize,
    /// The version it stops before.
    pub(crate) version: String,
    /// That migration's name.
    pub(crate) name: String,
    /// What is wrong with its files.
    pub(crate) problems: Vec<&'a Diagnostic>,
}

/// The diagnostics of a loaded set, placed on the migrations they concern.
pub(crate) struct Validity {
    diagnostics: Vec<Diagnostic>,
    /// Per version: the blocking diagnostics (indexes) and which half each is about.
    by_version: BTreeMap<Version, Vec<(Part, usize)>>,
    /// Blocking diagnostics about files that name no version.
    unplaced: Vec<usize>,
}

impl Validity {
    /// Validates `set` (its files and SQL) and places every problem.
    pub(crate) fn check(set: &ParsedSet) -> Self {
        Self::place_all(&set.migrations, strata_sql::check::validate(set))
    }

    fn place_all(migrations: &[Migration], diagnostics: Vec<Diagnostic>) -> Self {
        let mut by_version: BTreeMap<Version, Vec<(Part, usize)>> = BTreeMap::new();
        let mut unplaced = Vec::new();
        for (i, d) in diagnostics.iter().enumerate() {
            if !blocks(d) {
                continue;
            }
            // A down the Supabase CLI would run endangers the whole directory,
            // whichever tool applies it next: nothing runs until it is moved.
            if d.code == ProblemCode::DownRunBySupabaseCli {
                unplaced.push(i);
                continue;
            }
            match place(migrations, d) {
                Some((version, part)) => by_version.entry(version).or_default().push((part, i)),
                None => unplaced.push(i),
            }
        }
        Self {
            diagnostics,
            by_version,
            unplaced,
        }
    }

    /// Whether any problem is an error.
    pub(crate) fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }

    /// The errors that `shown` (the versions `status` has a row for) do not
    /// cover: about files that name no version, or versions without a row.
    pub(crate) fn errors_beside(&self, shown: &[&Version]) -> Vec<Diagnostic> {
        let placed_elsewhere = self
            .by_version
            .iter()
            .filter(|(version, _)| !shown.contains(version))
            .flat_map(|(_, found)| found.iter().map(|&(_, i)| i));
        let mut indexes: Vec<usize> = self
            .unplaced
            .iter()
            .copied()
            .chain(placed_elsewhere)
            .collect();
        indexes.sort_unstable();
        indexes
            .into_iter()
            .map(|i| &self.diagnostics[i])
            .filter(|d| d.is_error())
            .cloned()
            .collect()
    }

    /// The problems about files that name no version, which stop `migrate`
    /// before anything: it cannot tell where they stand.
    pub(crate) fn unplaced(&self) -> Vec<&Diagnostic> {
        self.unplaced
            .iter()
            .map(|&i| &self.diagnostics[i])
            .collect()
    }

    /// Whether some migration's up cannot be applied.
    pub(crate) fn any_up_blocked(&self) -> bool {
        self.by_version
            .values()
            .flatten()
            .any(|(part, _)| *part == Part::Up)
    }

    /// The problems that stop `version` from being applied: about its up or
    /// its files, or a template not filled in.
    pub(crate) fn up_blockers(&self, version: &Version) -> Vec<&Diagnostic> {
        self.by_version
            .get(version)
            .into_iter()
            .flatten()
            .filter(|(part, _)| *part == Part::Up)
            .map(|&(_, i)| &self.diagnostics[i])
            .collect()
    }

    /// Where `migrate` stops among `pending` (in the order it applies them):
    /// before the first whose up cannot be applied, or before the first that
    /// comes after a version whose files make no migration at all (two up
    /// files, two layouts), which stands where its number puts it. `None`:
    /// everything pending can be applied.
    pub(crate) fn stop_in(&self, set: &MigrationSet, pending: &[&Migration]) -> Option<Stop<'_>> {
        let absent = self.first_absent(set);
        let mut index = pending.len();
        for (i, m) in pending.iter().enumerate() {
            let problems = self.up_blockers(&m.version);
            if !problems.is_empty() {
                return Some(Stop {
                    index: i,
                    version: m.version.to_string(),
                    name: m.name.clone(),
                    problems,
                });
            }
            if absent.as_ref().is_some_and(|(v, _)| m.version > **v) {
                index = i;
                break;
            }
        }
        absent.map(|(version, problems)| Stop {
            index,
            version: version.to_string(),
            // No migration, so no name of its own: its first file's.
            name: problems
                .first()
                .and_then(|d| d.file.file_stem())
                .map(|stem| stem.to_string_lossy().into_owned())
                .unwrap_or_default(),
            problems,
        })
    }

    /// The first version with problems that `set` has no migration for,
    /// with its problems.
    fn first_absent<'a>(
        &'a self,
        set: &MigrationSet,
    ) -> Option<(&'a Version, Vec<&'a Diagnostic>)> {
        self.by_version
            .iter()
            .filter(|(version, _)| set.get(version).is_none())
            .find_map(|(version, _)| {
                let ups = self.up_blockers(version);
                (!ups.is_empty()).then_some((version, ups))
            })
    }

    /// The problems that block rolling `version` back: any about it, up or
    /// down (a template not filled in does not: it was never applied).
    pub(crate) fn rollback_blockers(&self, version: &Version) -> Vec<&Diagnostic> {
        self.by_version
            .get(version)
            .into_iter()
            .flatten()
            .map(|&(_, i)| &self.diagnostics[i])
            .filter(|d| d.is_error())
            .collect()
    }

    /// The versions with problems, and a one-line reason each, for `status`.
    pub(crate) fn invalid_versions(&self) -> BTreeMap<&Version, String> {
        self.by_version
            .iter()
            .map(|(version, found)| {
                let (part, first) = found[0];
                let d = &self.diagnostics[first];
                let half = match part {
                    Part::Down if !d.message.contains("down section") => "down: ",
                    _ => "",
                };
                (version, format!("{half}{} [{}]", d.message, d.code))
            })
            .collect()
    }
}

/// Whether `d` stops a migration from being run: an error, or a template not
/// filled in.
fn blocks(d: &Diagnostic) -> bool {
    d.is_error() || d.code == ProblemCode::UnfilledTemplate
}

/// The version and half a problem is about: found among the migrations'
/// files, else read from its file's name (a version left out of the set,
/// such as one with two up files).
fn place(migrations: &[Migration], d: &Diagnostic) -> Option<(Version, Part)> {
    for m in migrations {
        if let Some(down) = &m.down
            && down.file == d.file
        {
            let in_down = down.file != m.up.file
                || d.span.as_ref().is_some_and(|s| s.line >= down.first_line);
            if in_down {
                return Some((m.version.clone(), Part::Down));
            }
        }
        if m.up.file == d.file {
            return Some((m.version.clone(), Part::Up));
        }
    }
    let name = d.file.file_name().and_then(|n| n.to_str())?;
    let parsed = strata_core::name::parse_file_name(name).ok()?;
    // A down by its name (`0002_b.down.sql`) or by its folder (`down/`).
    let is_down = matches!(parsed.role, strata_core::name::NameRole::Down(_))
        || d.file
            .parent()
            .and_then(Path::file_name)
            .is_some_and(|n| n == "down");
    let part = if is_down { Part::Down } else { Part::Up };
    Some((parsed.version, part))
}
