//! The migration directory model: files grouped into migrations, with problems.
//!
//! [`load`] reads a directory through a [`MigrationSource`], recognises every
//! layout of DESIGN.md, and returns the migrations it could build together
//! with every problem it found. It never stops at the first problem.
//!
//! This file is the model ([`MigrationSet`], [`Migration`], [`Section`],
//! [`Layout`]); `load` reads the directory into candidate files and
//! `assemble` groups the candidates of each version into a migration.

use std::path::PathBuf;

use crate::checksum::Checksum;
use crate::diagnostic::Diagnostic;
use crate::directive::{Directives, MarkerStyle};
use crate::file::{RawSection, is_blank_sql};
use crate::name::{NamingScheme, PairStyle};
use crate::version::{Version, VersionOrder};

mod assemble;
mod checks;
mod load;
mod options;

pub use load::{detect_versions, load, load_with, load_with_downs, read_by_supabase_cli};
pub use options::{IgnoreError, IgnoreGlobs, LoadOptions};

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
    /// The up in the migrations directory, the down a file of the same name
    /// in a directory beside it (`[migrations] downs`).
    DownsDirectory,
    /// A directory per migration, named as a migration file would be, holding
    /// `up.sql`, maybe `down.sql` and diesel's `metadata.toml`.
    MigrationDirectory,
}

impl Layout {
    fn describe(self) -> &'static str {
        match self {
            Self::Sections(_) | Self::RollbackBlock | Self::Plain | Self::DownsDirectory => {
                "a single file"
            }
            Self::Pair(_) => "an up/down file pair",
            Self::Directories => "up/ and down/ directories",
            Self::MigrationDirectory => "a directory of its own",
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
    /// The down section, when one exists: a down section holding SQL, or a
    /// down file, which may hold none (a down that does nothing).
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
    /// Migrations in `order`. A version with conflicting files is left out.
    pub migrations: Vec<Migration>,
    /// Every problem found, in file order.
    pub problems: Vec<Diagnostic>,
    /// How versions are ordered here: the order migrations are applied in,
    /// which every comparison of this set's versions (with each other, with
    /// history) follows.
    pub order: VersionOrder,
}

impl MigrationSet {
    /// Whether any problem is an error.
    pub fn has_errors(&self) -> bool {
        self.problems.iter().any(Diagnostic::is_error)
    }

    /// The migration with this version (under [`VersionOrder::Text`], one
    /// written the same way).
    pub fn get(&self, version: &Version) -> Option<&Migration> {
        self.position(version).map(|i| &self.migrations[i])
    }

    /// Where the migration with this version is in `migrations`.
    pub fn position(&self, version: &Version) -> Option<usize> {
        self.migrations
            .binary_search_by(|m| self.order.compare(&m.version, version))
            .ok()
    }

    /// Compares two versions as this set orders them.
    pub fn compare(&self, a: &Version, b: &Version) -> std::cmp::Ordering {
        self.order.compare(a, b)
    }

    /// The highest version, if any.
    pub fn newest(&self) -> Option<&Migration> {
        self.migrations.last()
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::source::MemorySource;

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
}
