//! The error [`split`](crate::split) returns for SQL PostgreSQL would reject.

/// SQL that PostgreSQL's parser rejects, or input it cannot be given at all.
///
/// The message is PostgreSQL's own (`syntax error at or near "selec"`,
/// `unterminated quoted string at or near "'abc"`, ...) where the parser
/// produced it. It does not name the file: the caller knows it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, thiserror::Error)]
#[error("{message}")]
#[non_exhaustive]
pub struct SyntaxError {
    /// What is wrong, lowercase, without a trailing period.
    pub message: String,
    /// Byte offset into the input where the problem is, when known. It is
    /// always a char boundary and at most the input's length (the length
    /// itself for errors "at end of input").
    pub offset: Option<usize>,
}

impl SyntaxError {
    pub(crate) fn new(message: impl Into<String>, offset: Option<usize>) -> Self {
        Self {
            message: message.into(),
            offset,
        }
    }

    /// Builds the error from PostgreSQL's `cursorpos`, a 1-based position
    /// counted in characters (0 when unknown), turned into a byte offset.
    pub(crate) fn from_cursor(sql: &str, message: String, cursorpos: i32) -> Self {
        let offset = usize::try_from(cursorpos)
            .ok()
            .and_then(|position| position.checked_sub(1))
            .map(|chars| byte_offset_of_char(sql, chars));
        Self::new(message, offset)
    }
}

/// The byte offset of the `chars`-th character (0-based) of `sql`, or the
/// length of `sql` when it has no more characters than that.
fn byte_offset_of_char(sql: &str, chars: usize) -> usize {
    sql.char_indices()
        .nth(chars)
        .map_or(sql.len(), |(offset, _)| offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_positions_count_characters_not_bytes() {
        let sql = "select 'ééé'; selec 2";
        let error = SyntaxError::from_cursor(sql, String::from("x"), 15);
        assert_eq!(error.offset, sql.find(" selec").map(|space| space + 1));
    }

    #[test]
    fn cursor_past_the_end_is_the_end() {
        assert_eq!(
            SyntaxError::from_cursor("é", String::new(), 2).offset,
            Some(2)
        );
        assert_eq!(
            SyntaxError::from_cursor("é", String::new(), 99).offset,
            Some(2)
        );
    }

    #[test]
    fn unknown_cursor_is_no_offset() {
        assert_eq!(
            SyntaxError::from_cursor("abc", String::new(), 0).offset,
            None
        );
        assert_eq!(
            SyntaxError::from_cursor("abc", String::new(), -4).offset,
            None
        );
    }
}
