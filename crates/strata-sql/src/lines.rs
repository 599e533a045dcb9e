//! Byte offsets to lines and columns, for messages people read.

use std::fmt;

/// A position as people count it: both 1-based, the column in characters
/// (Unicode scalar values), not bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LineCol {
    /// The line, from 1. Lines end at `\n` (a `\r` before it is part of the line).
    pub line: u32,
    /// The column, from 1, counted in characters.
    pub column: u32,
}

impl fmt::Display for LineCol {
    /// Formats as `line:column`, the way editors and compilers print positions.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// The line and column of byte `offset` in `text`.
///
/// An offset past the end means the end; an offset inside a multi-byte
/// character means that character. Scans `text` once: use [`LineIndex`] for
/// many lookups in the same text.
#[must_use]
pub fn line_col(text: &str, offset: usize) -> LineCol {
    let offset = floor_char_boundary(text, offset);
    let before = text.get(..offset).unwrap_or_default();
    let line_start = before.rfind('\n').map_or(0, |newline| newline + 1);
    let line = before.bytes().filter(|&byte| byte == b'\n').count() + 1;
    let column = before.get(line_start..).unwrap_or_default().chars().count() + 1;
    LineCol {
        line: saturate(line),
        column: saturate(column),
    }
}

/// The start of every line of a text, for repeated offset lookups by binary
/// search.
#[derive(Debug, Clone)]
pub struct LineIndex<'a> {
    text: &'a str,
    /// Byte offsets where lines start; the first is always 0.
    line_starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    /// Indexes the lines of `text`.
    #[must_use]
    pub fn new(text: &'a str) -> Self {
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(newline, _)| newline + 1))
            .collect();
        Self { text, line_starts }
    }

    /// The line and column of byte `offset`, with the same rules as
    /// [`line_col`].
    #[must_use]
    pub fn line_col(&self, offset: usize) -> LineCol {
        let offset = floor_char_boundary(self.text, offset);
        // The first line starts at 0 <= offset, so at least one start qualifies.
        let line = self
            .line_starts
            .partition_point(|&start| start <= offset)
            .max(1);
        let line_start = self.line_starts.get(line - 1).copied().unwrap_or(0);
        let column = self
            .text
            .get(line_start..offset)
            .unwrap_or_default()
            .chars()
            .count()
            + 1;
        LineCol {
            line: saturate(line),
            column: saturate(column),
        }
    }

    /// The number of lines: one more than the number of `\n`.
    #[must_use]
    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }
}

/// `offset` clamped to `text` and moved back to the start of its character.
fn floor_char_boundary(text: &str, offset: usize) -> usize {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

fn saturate(value: usize) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(line: u32, column: u32) -> LineCol {
        LineCol { line, column }
    }

    #[test]
    fn counts_from_one() {
        let text = "ab\ncd\n";
        for (offset, expected) in [
            (0, at(1, 1)),
            (1, at(1, 2)),
            (2, at(1, 3)),
            (3, at(2, 1)),
            (5, at(2, 3)),
            (6, at(3, 1)),
        ] {
            assert_eq!(line_col(text, offset), expected, "offset {offset}");
            assert_eq!(
                LineIndex::new(text).line_col(offset),
                expected,
                "offset {offset}"
            );
        }
    }

    #[test]
    fn columns_count_characters() {
        let text = "é\n-- ü ü\nselec";
        let offset = text.find("selec").expect("present");
        assert_eq!(line_col(text, offset), at(3, 1));
        let offset = text.rfind('ü').expect("present");
        assert_eq!(LineIndex::new(text).line_col(offset), at(2, 6));
    }

    #[test]
    fn out_of_range_and_mid_character_offsets_do_not_panic() {
        let text = "aé";
        assert_eq!(line_col(text, 2), at(1, 2), "inside é means é");
        assert_eq!(line_col(text, 99), at(1, 3), "past the end means the end");
        assert_eq!(LineIndex::new(text).line_col(usize::MAX), at(1, 3));
        assert_eq!(line_col("", 5), at(1, 1));
        assert_eq!(LineIndex::new("").line_col(0), at(1, 1));
    }

    #[test]
    fn crlf_keeps_the_carriage_return_on_its_line() {
        let text = "a\r\nb";
        assert_eq!(line_col(text, 3), at(2, 1));
        assert_eq!(LineIndex::new(text).line_count(), 2);
        assert_eq!(at(2, 1).to_string(), "2:1");
    }
}
