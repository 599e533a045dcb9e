//! Rewriting a migration's down into a commented `-- ROLLBACK:` block, the
//! shape a tool that runs files verbatim (the Supabase CLI) reads as comments.
//!
//! A sectioned file keeps everything down to its down marker, so its up
//! section (and checksum) is unchanged; the marker becomes `-- ROLLBACK:` and
//! every line after it is commented. An up/down pair becomes one file: the up
//! file's text, then the block. Each rewrite is checked before it is offered:
//! the new text, read back as strata reads it, must give the same up
//! checksum, the same directives and the same down SQL.

use std::path::{Path, PathBuf};

use crate::directive::{CommentLine, classify};
use crate::migration::{Layout, Migration};
use crate::source::MemorySource;

/// A migration rewritten: the file to write, and the files it replaces.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rewrite {
    /// The file to write (the migration's own file for a sectioned one; the
    /// single-file name for a pair).
    pub file: PathBuf,
    /// Its new text, with the line ends and byte-order mark of the original.
    pub text: String,
    /// Files to delete once `file` is written (a pair's up and down files).
    pub remove: Vec<PathBuf>,
}

/// Why a migration is left as it is.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Unconvertible {
    /// Nothing to do: no down, or the down is not live SQL in the file.
    #[error("nothing to rewrite")]
    NothingToDo,
    /// The up file does not end with a line end: a block after it would
    /// change the up section's checksum.
    #[error(
        "{} does not end with a line end, so a block after it would change the up section's checksum; add the `-- ROLLBACK:` block by hand and accept the new checksum with `strata repair --accept-checksum {version}` where it is applied", file.display()
    )]
    NoFinalNewline {
        /// The up file.
        file: PathBuf,
        /// The migration.
        version: String,
    },
    /// The rewritten text would not read back as the same migration.
    #[error(
        "the rewritten file would not read back as the same migration ({0}); rewrite it by hand"
    )]
    NotTheSame(String),
}

/// The rewrite of `m`'s down into a `-- ROLLBACK:` block; `read` gives a
/// file's text as it is on disk. The outer error is a file that cannot be
/// read; the inner one says why `m` is left as it is.
pub fn rollback_block(
    m: &Migration,
    read: &dyn Fn(&Path) -> std::io::Result<String>,
) -> std::io::Result<Result<Rewrite, Unconvertible>> {
    let Some(down) = m.down.as_ref().filter(|d| !d.is_blank()) else {
        return Ok(Err(Unconvertible::NothingToDo));
    };
    let (file, raw, remove) = match m.layout {
        Layout::Sections(_) => {
            let raw = read(&m.up.file)?;
            match sections_to_block(&raw) {
                Some(text) => (m.up.file.clone(), text, Vec::new()),
                None => return Ok(Err(Unconvertible::NothingToDo)),
            }
        }
        Layout::Pair(_) => {
            let up = read(&m.up.file)?;
            let down_text = read(&down.file)?;
            let normalized = crate::checksum::normalize(&up);
            if !normalized.is_empty() && !normalized.ends_with('\n') {
                return Ok(Err(Unconvertible::NoFinalNewline {
                    file: m.up.file.clone(),
                    version: m.version.to_string(),
                }));
            }
            // The down file's own directives are lines of it: they stay in the block.
            let down_block = block(
                &crate::checksum::normalize(&down_text),
                false,
                line_end(&up),
            );
            let text = up + &down_block;
            let file = single_file(&m.up.file);
            let mut remove = vec![down.file.clone()];
            if file != m.up.file {
                remove.insert(0, m.up.file.clone());
            }
            (file, text, remove)
        }
        _ => return Ok(Err(Unconvertible::NothingToDo)),
    };
    Ok(same_migration(m, &file, &raw).map(|()| Rewrite {
        file,
        text: raw,
        remove,
    }))
}

/// The name of a pair's up file without its role: `0001_x.up.sql` and
/// `0001_x_up.sql` become `0001_x.sql`; a Flyway `V1__x.sql` stays.
fn single_file(up: &Path) -> PathBuf {
    let name = up.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    let lower = name.to_ascii_lowercase();
    [".up.sql", "_up.sql"]
        .iter()
        .find(|suffix| lower.ends_with(*suffix))
        .map_or_else(
            || up.to_path_buf(),
            |suffix| up.with_file_name(format!("{}.sql", &name[..name.len() - suffix.len()])),
        )
}

/// The line end a file uses.
fn line_end(raw: &str) -> &'static str {
    if raw.contains("\r\n") { "\r\n" } else { "\n" }
}

/// A sectioned file with its down marker turned into a `-- ROLLBACK:` block,
/// or `None` when it has no down marker.
fn sections_to_block(raw: &str) -> Option<String> {
    let end = line_end(raw);
    let mut out = String::with_capacity(raw.len() + 256);
    let mut lines = raw.split_inclusive('\n').enumerate();
    for (i, line) in lines.by_ref() {
        let bare = line.trim_end_matches(['\n', '\r']);
        let number = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let text = bare.strip_prefix('\u{feff}').unwrap_or(bare);
        if let CommentLine::Down { no_transaction, .. } = classify(text, number) {
            let rest: String = lines.map(|(_, l)| l).collect();
            out.push_str(&block(&rest, no_transaction, end));
            return Some(out);
        }
        out.push_str(line);
    }
    None
}

/// `sql` as a `-- ROLLBACK:` block: directive lines as they are, blank lines
/// blank, every other line commented.
fn block(sql: &str, no_transaction: bool, end: &str) -> String {
    let mut out = format!("-- ROLLBACK:{end}");
    if no_transaction {
        out.push_str(&format!("-- strata:no-transaction{end}"));
    }
    for (i, line) in sql.split_inclusive('\n').enumerate() {
        let bare = line.trim_end_matches(['\n', '\r']);
        let number = u32::try_from(i + 1).unwrap_or(u32::MAX);
        if bare.trim().is_empty() || matches!(classify(bare, number), CommentLine::Directive(_)) {
            out.push_str(bare);
        } else {
            out.push_str("-- ");
            out.push_str(bare);
        }
        out.push_str(end);
    }
    out
}

/// Whether `text`, as file `file`, reads back as `m`: same up checksum, same
/// directives, the same down SQL (directive lines aside).
fn same_migration(m: &Migration, file: &Path, text: &str) -> Result<(), Unconvertible> {
    let differs = |what: &str| Err(Unconvertible::NotTheSame(what.to_owned()));
    let name = file.file_name().map(PathBuf::from).unwrap_or_default();
    let source = MemorySource::new().with(name, text.as_bytes());
    let set = crate::load(&source, Path::new(""));
    if set.has_errors() {
        return differs("it would have problems");
    }
    let [again] = &set.migrations[..] else {
        return differs("it would not be one migration");
    };
    let Some(down) = again.down.as_ref() else {
        return differs("it would have no down");
    };
    let old_down = m
        .down
        .as_ref()
        .map(|d| sql_lines(&d.text))
        .unwrap_or_default();
    if again.version != m.version || again.name != m.name {
        differs("another version or name")
    } else if again.up.checksum != m.up.checksum {
        differs("another up checksum")
    } else if again.up.directives != m.up.directives
        || Some(&down.directives) != m.down.as_ref().map(|d| &d.directives)
    {
        differs("other directives")
    } else if sql_lines(&down.text) != old_down {
        differs("another down")
    } else {
        Ok(())
    }
}

/// The lines of `sql` that are neither blank nor directives.
fn sql_lines(sql: &str) -> Vec<&str> {
    sql.lines()
        .enumerate()
        .filter(|(i, l)| {
            !l.trim().is_empty()
                && !matches!(
                    classify(l, u32::try_from(i + 1).unwrap_or(u32::MAX)),
                    CommentLine::Directive(_)
                )
        })
        .map(|(_, l)| l)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(files: &[(&str, &str)]) -> (Migration, MemorySource) {
        let source = files
            .iter()
            .fold(MemorySource::new(), |s, (p, t)| s.with(*p, t.as_bytes()));
        let set = crate::load(&source, Path::new(""));
        assert!(!set.has_errors(), "{:?}", set.problems);
        (set.migrations[0].clone(), source)
    }

    fn read(files: &[(&str, &str)]) -> impl Fn(&Path) -> std::io::Result<String> {
        let files: Vec<(PathBuf, String)> = files
            .iter()
            .map(|(p, t)| (PathBuf::from(p), (*t).to_owned()))
            .collect();
        move |path: &Path| {
            files
                .iter()
                .find(|(p, _)| p == path)
                .map(|(_, t)| t.clone())
                .ok_or_else(|| std::io::Error::from(std::io::ErrorKind::NotFound))
        }
    }

    #[test]
    fn a_sectioned_file_keeps_its_up_and_comments_its_down() {
        let files = [(
            "20240101000000_t.sql",
            "-- a header\n-- strata:up\ncreate table t ();\n\n-- strata:down\n-- strata:lock-timeout 1s\ndrop table t; -- gone\n/* a\n   note */\n",
        )];
        let (m, _) = one(&files);
        let rewrite = rollback_block(&m, &read(&files))
            .expect("readable")
            .expect("convertible");
        assert_eq!(rewrite.file, PathBuf::from("20240101000000_t.sql"));
        assert!(rewrite.remove.is_empty());
        assert_eq!(
            rewrite.text,
            "-- a header\n-- strata:up\ncreate table t ();\n\n-- ROLLBACK:\n-- strata:lock-timeout 1s\n-- drop table t; -- gone\n-- /* a\n--    note */\n"
        );
        let (again, _) = one(&[("20240101000000_t.sql", &rewrite.text)]);
        assert_eq!(again.up.checksum, m.up.checksum);
        assert_eq!(again.layout, Layout::RollbackBlock);
        // Nothing live is left for a tool that runs the file verbatim.
        let after_up = rewrite
            .text
            .split("-- ROLLBACK:")
            .nth(1)
            .unwrap_or_default();
        assert!(crate::is_blank_sql(after_up), "{after_up}");
    }

    #[test]
    fn dbmate_s_transaction_option_on_the_down_marker_is_kept() {
        let files = [(
            "20240101000000_i.sql",
            "-- migrate:up transaction:false\ncreate index concurrently i on t (a);\n-- migrate:down transaction:false\ndrop index concurrently i;\n",
        )];
        let (m, _) = one(&files);
        let rewrite = rollback_block(&m, &read(&files))
            .expect("readable")
            .expect("convertible");
        let (again, _) = one(&[("20240101000000_i.sql", &rewrite.text)]);
        assert!(
            again
                .down
                .as_ref()
                .is_some_and(|d| d.directives.no_transaction)
        );
        assert!(again.up.directives.no_transaction);
        assert_eq!(again.up.checksum, m.up.checksum);
    }

    #[test]
    fn a_pair_becomes_one_file_with_crlf_kept() {
        let files = [
            ("0001_t.up.sql", "create table t ();\r\n"),
            ("0001_t.down.sql", "drop table t;\r\n"),
        ];
        let (m, _) = one(&files);
        let rewrite = rollback_block(&m, &read(&files))
            .expect("readable")
            .expect("convertible");
        assert_eq!(rewrite.file, PathBuf::from("0001_t.sql"));
        assert_eq!(
            rewrite.remove,
            [
                PathBuf::from("0001_t.up.sql"),
                PathBuf::from("0001_t.down.sql")
            ]
        );
        assert_eq!(
            rewrite.text,
            "create table t ();\r\n-- ROLLBACK:\r\n-- drop table t;\r\n"
        );
        let (again, _) = one(&[("0001_t.sql", &rewrite.text)]);
        assert_eq!(again.up.checksum, m.up.checksum);
    }

    #[test]
    fn what_cannot_keep_its_checksum_is_left_with_the_reason() {
        let files = [
            ("0001_t.up.sql", "create table t ();"),
            ("0001_t.down.sql", "drop table t;\n"),
        ];
        let (m, _) = one(&files);
        let left = rollback_block(&m, &read(&files)).expect("readable");
        assert!(
            matches!(left, Err(Unconvertible::NoFinalNewline { .. })),
            "{left:?}"
        );
        let plain = [("0001_t.sql", "create table t ();\n")];
        let (m, _) = one(&plain);
        assert_eq!(
            rollback_block(&m, &read(&plain)).expect("readable"),
            Err(Unconvertible::NothingToDo)
        );
        // A pair whose up file's directives would then govern the down too.
        let files = [
            (
                "0001_t.up.sql",
                "-- strata:no-transaction\ncreate index concurrently i on t (a);\n",
            ),
            ("0001_t.down.sql", "drop index i;\n"),
        ];
        let (m, _) = one(&files);
        let left = rollback_block(&m, &read(&files)).expect("readable");
        assert!(
            matches!(left, Err(Unconvertible::NotTheSame(_))),
            "{left:?}"
        );
    }
}
