//! How a migrations directory is read: what `[migrations]` and `compat` in
//! `strata.toml` say about versions, their order, and files to skip.

use std::path::Path;

use crate::config::{Compat, Config};
use crate::name::Versions;
use crate::version::VersionOrder;

/// How [`load_with`](super::load_with) reads a directory. The default reads
/// as strata always has: versions are leading numbers, ordered numerically,
/// every file considered.
#[derive(Clone, Debug, Default)]
pub struct LoadOptions {
    /// What a file's version is.
    pub versions: Versions,
    /// How versions are ordered: the order migrations are applied in.
    pub order: VersionOrder,
    /// Files and directories not to read.
    pub ignore: IgnoreGlobs,
    /// Skip, with a warning, what the Supabase CLI skips: every entry whose
    /// name is not `<digits>_<name>.sql` (`compat = "supabase"`).
    pub supabase_cli: bool,
}

impl LoadOptions {
    /// The options a project's configuration asks for.
    pub fn from_config(config: &Config) -> Result<Self, IgnoreError> {
        let migrations = &config.migrations;
        Ok(Self {
            versions: migrations.versions,
            order: migrations.version_order(config.compat),
            ignore: IgnoreGlobs::new(&migrations.ignore)?,
            supabase_cli: config.compat == Some(Compat::Supabase),
        })
    }
}

/// `[migrations] ignore`: globs matched against paths relative to the
/// migrations directory, with `/` between names. `*` stays within a name,
/// `**` crosses directories; a directory that matches is skipped whole.
#[derive(Clone, Debug, Default)]
pub struct IgnoreGlobs {
    set: Option<globset::GlobSet>,
}

/// A glob of `[migrations] ignore` that cannot be read.
#[derive(Debug, thiserror::Error)]
#[error("`{glob}`: {reason}")]
pub struct IgnoreError {
    /// The glob as written.
    pub glob: String,
    /// What is wrong with it.
    pub reason: String,
}

impl IgnoreGlobs {
    /// Compiles the globs.
    pub fn new(globs: &[String]) -> Result<Self, IgnoreError> {
        if globs.is_empty() {
            return Ok(Self::default());
        }
        let mut builder = globset::GlobSetBuilder::new();
        for glob in globs {
            let compiled = globset::GlobBuilder::new(glob)
                .literal_separator(true)
                .backslash_escape(true)
                .build()
                .map_err(|e| IgnoreError {
                    glob: glob.clone(),
                    reason: e.kind().to_string(),
                })?;
            builder.add(compiled);
        }
        let set = builder.build().map_err(|e| IgnoreError {
            glob: globs.join(", "),
            reason: e.kind().to_string(),
        })?;
        Ok(Self { set: Some(set) })
    }

    /// Whether `rel`, a path relative to the migrations directory, is
    /// ignored.
    pub fn matches(&self, rel: &Path) -> bool {
        let Some(set) = &self.set else {
            return false;
        };
        let Some(text) = rel.to_str() else {
            return false;
        };
        if std::path::MAIN_SEPARATOR == '/' {
            set.is_match(text)
        } else {
            set.is_match(text.replace(std::path::MAIN_SEPARATOR, "/"))
        }
    }
}

/// Whether the Supabase CLI applies a file of this name: `<digits>_<name>.sql`,
/// `.sql` in lower case (its pattern `^([0-9]+)_(.*)\.sql$`).
pub(super) fn run_by_supabase_cli(file_name: &str) -> bool {
    let digits = file_name.bytes().take_while(u8::is_ascii_digit).count();
    digits > 0
        && file_name[digits..].starts_with('_')
        && file_name.len() >= digits + 1 + ".sql".len()
        && file_name.ends_with(".sql")
        && !file_name.contains('\n')
}

/// Whether the Supabase CLI skips this first file of its directory as the
/// `<timestamp>_init.sql` of CLI versions before December 2021 (its timestamp
/// earlier than `20211209000000`).
pub(super) fn skipped_as_old_init(file_name: &str) -> bool {
    // The CLI looks for `([0-9]{14})_init\.sql` anywhere in the name.
    let bytes = file_name.as_bytes();
    (0..bytes.len()).any(|start| {
        let Some(digits) = bytes.get(start..start + 14) else {
            return false;
        };
        digits.iter().all(u8::is_ascii_digit)
            && bytes[start + 14..].starts_with(b"_init.sql")
            && std::str::from_utf8(digits)
                .ok()
                .and_then(|d| d.parse::<u64>().ok())
                .is_some_and(|t| t < 20_211_209_000_000)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_relative_paths() {
        let globs = IgnoreGlobs::new(&[
            "README.md".to_owned(),
            "seeds".to_owned(),
            "archive/**".to_owned(),
            "*.bak.sql".to_owned(),
        ])
        .unwrap_or_else(|e| panic!("{e}"));
        for ignored in [
            "README.md",
            "seeds",
            "archive/a.sql",
            "archive/x/b.sql",
            "0001_a.bak.sql",
        ] {
            assert!(globs.matches(Path::new(ignored)), "{ignored}");
        }
        for read in [
            "0001_a.sql",
            "docs/README.md",
            "up/0001_a.bak.sql",
            "archive",
        ] {
            assert!(!globs.matches(Path::new(read)), "{read}");
        }
        assert!(!IgnoreGlobs::default().matches(Path::new("README.md")));
        let bad = IgnoreGlobs::new(&["seeds/[".to_owned()]).err();
        assert!(bad.is_some_and(|e| e.to_string().starts_with("`seeds/[`: ")));
    }

    #[test]
    fn the_supabase_cli_pattern() {
        for run in [
            "20240101000000_a.sql",
            "1_a.sql",
            "20240101_x.down.sql",
            "1_.sql",
        ] {
            assert!(run_by_supabase_cli(run), "{run}");
        }
        for skipped in [
            "0002.sql",
            "0001-init.sql",
            "V1__a.sql",
            "2024-01-01_1200_a.sql",
            "20240101000000_a.SQL",
            "README.md",
            "_a.sql",
        ] {
            assert!(!run_by_supabase_cli(skipped), "{skipped}");
        }
        assert!(skipped_as_old_init("20200101000000_init.sql"));
        assert!(!skipped_as_old_init("20220101000000_init.sql"));
        assert!(!skipped_as_old_init("20200101000000_initial.sql"));
    }
}
