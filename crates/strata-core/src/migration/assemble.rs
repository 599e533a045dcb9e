//! Assembling read files into migrations: the files that share a version
//! must make one layout, one up and at most one down.

use super::load::{Candidate, Origin};
use super::{Layout, Migration, Section};
use crate::diagnostic::{Diagnostic, ProblemCode};
use crate::file::{FileStyle, is_blank_sql};
use crate::name::{NameRole, NamingScheme, PairStyle};
use crate::version::{Version, VersionOrder};

/// Builds the migrations of `candidates`, in `order`, leaving out the
/// versions whose files do not make one migration.
pub(super) fn assemble_all(
    mut candidates: Vec<Candidate>,
    order: VersionOrder,
    problems: &mut Vec<Diagnostic>,
) -> Vec<Migration> {
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
        let from_new = group.iter().any(|c| c.from_new && part(c).1);
        if let Some(m) = assemble(group, problems) {
            if m.up.is_blank() {
                problems.push(blank_up(&m, from_new));
            }
            migrations.push(m);
        }
    }
    // Grouping went by version equality (`0042` is `42`: one version, a
    // duplicate, whatever the order); the project's order places them. Under
    // text order no two of them are then equal, so the order is strict.
    if order != VersionOrder::Numeric {
        migrations.sort_by(|a, b| order.compare(&a.version, &b.version));
    }
    migrations
}
/// The warning for a migration whose up holds no SQL. Another tool's empty
/// or comment-only file is a migration that does nothing: applied and
/// recorded like any other. A file `strata new` made and nobody filled in is
/// a template: `migrate` stops before it, since recording it empty would make
/// the edit to come look like a change to an applied migration.
fn blank_up(m: &Migration, from_new: bool) -> Diagnostic {
    let (line, _) = m.up.position(0);
    let diagnostic = if from_new {
        Diagnostic::warning(
            ProblemCode::UnfilledTemplate,
            &m.up.file,
            "the migration `strata new` wrote has no SQL yet",
        )
        .help("write its SQL (migrate stops before it until then), or delete the file")
    } else {
        Diagnostic::warning(
            ProblemCode::EmptyUp,
            &m.up.file,
            "the up section holds no SQL: the migration does nothing, and is applied and recorded as one that does",
        )
        .help("nothing to do if another tool wrote it so; otherwise write its SQL or delete the file")
    };
    diagnostic.at(line, None)
}

/// What part a candidate plays in its version's group.
fn part(c: &Candidate) -> (Layout, bool) {
    match (c.origin, c.name.role) {
        (Origin::UpDir, _) => (Layout::Directories, true),
        (Origin::DownDir, _) => (Layout::Directories, false),
        (Origin::DownsBeside, _) => (Layout::DownsDirectory, false),
        (Origin::OwnDirUp, _) => (Layout::MigrationDirectory, true),
        (Origin::OwnDirDown, _) => (Layout::MigrationDirectory, false),
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
    one_layout(&group, &ups, &downs, &version, problems)?;
    one_file_each(&ups, &downs, &version, problems)?;
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
    let down_file = downs.first().copied();
    one_down(up, down_file, &version, problems)?;
    Some(migration(version, up, down_file))
}

/// `None`, with a problem, when the files of a version are laid out in more
/// than one way.
fn one_layout(
    group: &[Candidate],
    ups: &[&Candidate],
    downs: &[&Candidate],
    version: &Version,
    problems: &mut Vec<Diagnostic>,
) -> Option<()> {
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
    Some(())
}

/// `None`, with a problem for each file too many, when a version has more
/// than one up file or more than one down file.
fn one_file_each(
    ups: &[&Candidate],
    downs: &[&Candidate],
    version: &Version,
    problems: &mut Vec<Diagnostic>,
) -> Option<()> {
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
    Some(())
}

/// `None`, with a problem, when the up and the down file (if any) hold
/// more than one down between them. A down file named unlike its up is a
/// problem that does not stop the migration.
fn one_down(
    up: &Candidate,
    down_file: Option<&Candidate>,
    version: &Version,
    problems: &mut Vec<Diagnostic>,
) -> Option<()> {
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
            // golang-migrate pairs by version alone: `1_init.up.sql` with
            // `1_initial.down.sql` is one migration. So does strata, saying so.
            problems.push(
                Diagnostic::warning(
                    ProblemCode::PairNameMismatch,
                    &down.path,
                    format!(
                        "the down file's name `{}` differs from the up file's `{}`: they pair by version {version}",
                        down.name.name, up.name.name
                    ),
                )
                .help("rename one so both halves of the pair share a name, unless another tool reads them as they are"),
            );
        }
    } else if up.down.is_some()
        && matches!(
            part(up).0,
            Layout::Pair(_) | Layout::Directories | Layout::MigrationDirectory
        )
    {
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
    Some(())
}

/// The migration of an up file and its down file, if any (else the up
/// file's own down section, where a blank one counts as none).
fn migration(version: Version, up: &Candidate, down_file: Option<&Candidate>) -> Migration {
    let up_section = Section::new(up.path.clone(), up.up.clone(), &up.file_directives);
    // A down file that holds no SQL is a down that does nothing (golang-migrate
    // and dbmate run it so); a blank down section in the up's own file is no
    // down at all (a template's section nobody filled in).
    let down_section = match down_file {
        Some(d) => Some(Section::new(
            d.path.clone(),
            d.up.clone(),
            &d.file_directives,
        )),
        None => up
            .down
            .clone()
            .map(|raw| Section::new(up.path.clone(), raw, &up.file_directives))
            .filter(|s| !s.is_blank()),
    };
    Migration {
        version,
        name: up.name.name.clone(),
        scheme: up.name.scheme,
        layout: if down_file.is_some_and(|d| d.origin == Origin::DownsBeside) {
            Layout::DownsDirectory
        } else {
            part(up).0.pair_with(down_file.map(|d| d.name.role))
        },
        up: up_section,
        down: down_section,
    }
}

impl Layout {
    fn pair_with(self, down_role: Option<NameRole>) -> Self {
        match down_role {
            Some(NameRole::Down(PairStyle::FlywayUndo)) => Self::Pair(PairStyle::FlywayUndo),
            _ => self,
        }
    }
}
