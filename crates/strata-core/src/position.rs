//! Many byte offsets of one section turned into file lines and columns.
//!
//! [`Section::position`](crate::Section::position) scans the text from its
//! start on every call, which is right for one error but quadratic for a
//! linter that places a finding or a risk at every statement of a large file.
//! A [`PositionIndex`] scans the text once and then answers each lookup by
//! binary search, counting characters over at most a short stretch, so that
//! even a file written on a single line costs no more per lookup.

/// Every so many bytes of a long line, the index remembers how many
/// characters came before, so a column never takes more than this much
/// counting.
const STRIDE: usize = 1024;

/// The lines and character counts of a section's text, for many
/// [`PositionIndex::position`] lookups. Made by
/// [`Section::position_index`](crate::Section::position_index).
#[derive(Debug, Clone)]
pub struct PositionIndex<'a> {
    text: &'a str,
    first_line: u32,
    line_prefixes: &'a [String],
    /// Byte offsets where lines start; the first is always 0.
    line_starts: Vec<usize>,
    /// `(byte offset, characters before it)`, in order: every line start and
    /// a char boundary at least every [`STRIDE`] bytes within a line.
    marks: Vec<(usize, usize)>,
}

impl<'a> PositionIndex<'a> {
    /// Indexes `text`, which starts on file line `first_line`; `line_prefixes`
    /// are what was cut from the start of each of its lines (an uncommented
    /// `-- ROLLBACK:` block), by line.
    pub(crate) fn new(text: &'a str, first_line: u32, line_prefixes: &'a [String]) -> Self {
        let mut line_starts = vec![0];
        let mut marks = vec![(0, 0)];
        let mut chars = 0;
        let mut last_mark = 0;
        for (offset, c) in text.char_indices() {
            if offset - last_mark >= STRIDE {
                marks.push((offset, chars));
                last_mark = offset;
            }
            chars += 1;
            if c == '\n' {
                let next = offset + 1;
                line_starts.push(next);
                marks.push((next, chars));
                last_mark = next;
            }
        }
        Self {
            text,
            first_line,
            line_prefixes,
            line_starts,
            marks,
        }
    }

    /// The 1-based file line and column (in characters) of byte `offset`,
    /// exactly as [`Section::position`](crate::Section::position) gives them:
    /// an offset past the end means the end, one inside a character means
    /// that character.
    #[must_use]
    pub fn position(&self, offset: usize) -> (u32, u32) {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        // Line starts begin with 0 <= offset, so the count is at least one.
        let line_index = self
            .line_starts
            .partition_point(|&start| start <= offset)
            .saturating_sub(1);
        let line_start = self.line_starts.get(line_index).copied().unwrap_or(0);
        let column = self.chars_before(offset) - self.chars_before(line_start);
        file_position(self.first_line, self.line_prefixes, line_index, column)
    }

    /// How many characters of the text come before byte `offset`, a char
    /// boundary.
    fn chars_before(&self, offset: usize) -> usize {
        let mark = self
            .marks
            .partition_point(|&(at, _)| at <= offset)
            .saturating_sub(1);
        let (at, chars) = self.marks.get(mark).copied().unwrap_or((0, 0));
        chars
            + self
                .text
                .get(at..offset)
                .map_or(0, |between| between.chars().count())
    }
}

/// The 1-based file line and column of a position `column` characters into
/// line `line_index` (0-based) of a section that starts at file line
/// `first_line`; a line whose comment prefix was removed (a `-- ROLLBACK:`
/// block) counts its prefix back into the column.
pub(crate) fn file_position(
    first_line: u32,
    line_prefixes: &[String],
    line_index: usize,
    column: usize,
) -> (u32, u32) {
    let shift = line_prefixes
        .get(line_index)
        .map_or(0, |prefix| prefix.chars().count());
    let to_u32 = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    (
        first_line.saturating_add(to_u32(line_index)),
        to_u32(column)
            .saturating_add(to_u32(shift))
            .saturating_add(1),
    )
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::{MemorySource, Section, load};

    /// Every section of a set loaded from `files`.
    fn sections(files: &[(&str, &str)]) -> Vec<Section> {
        let source = files
            .iter()
            .fold(MemorySource::new(), |source, (name, text)| {
                source.with(*name, text.as_bytes())
            });
        let set = load(&source, Path::new("migrations"));
        set.migrations
            .into_iter()
            .flat_map(|m| std::iter::once(m.up).chain(m.down))
            .collect()
    }

    #[track_caller]
    fn agrees_everywhere(section: &Section) {
        let index = section.position_index();
        for offset in 0..=section.text.len() + 2 {
            assert_eq!(
                index.position(offset),
                section.position(offset),
                "offset {offset} of {:?}",
                section.text
            );
        }
    }

    #[test]
    fn agrees_with_section_position_at_every_offset() {
        let long_line = format!("select '{}';\nselect 2;", "é✓a".repeat(2_000));
        let all = sections(&[
            (
                "0001_plain.sql",
                "create table t (a int);\n\ninsert into t values (1);",
            ),
            (
                "0002_sections.sql",
                "-- strata:up\ncreate table u (b text default 'ü');\n-- strata:down\ndrop table u;\n",
            ),
            (
                "0003_rollback.sql",
                "create table v (id int);\n-- ROLLBACK: drop index i;\n  --   drop tabel v;\n-- strata:allow x -- why\n",
            ),
            ("0004_crlf.sql", "select 1;\r\nselect 'ä';\r\n"),
            ("0005_long.sql", long_line.as_str()),
            ("0006_empty.sql", ""),
        ]);
        assert!(all.len() >= 7, "{} sections", all.len());
        for section in &all {
            agrees_everywhere(section);
        }
    }

    #[test]
    fn a_detached_section_counts_from_line_one() {
        let section = Section::detached("history", "a\nbé\nc".to_owned(), false);
        agrees_everywhere(&section);
        assert_eq!(section.position_index().position(6), (3, 1));
        assert_eq!(
            section.position_index().position(4),
            (2, 2),
            "inside é means é"
        );
    }
}
