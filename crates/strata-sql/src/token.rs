//! The scanner's view of the input: the tokens that are not comments, with
//! byte offsets. Tokens are what spans are trimmed to and what the cheap
//! classification reads; only statements whose tokens say they might matter
//! are fully parsed.

use pg_query::protobuf::Token as Kind;

use crate::SyntaxError;

/// One token of the input that is not a comment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Token {
    /// Byte offset of the first byte of the token.
    pub(crate) start: usize,
    /// Byte offset just past the token.
    pub(crate) end: usize,
    /// What the scanner made of it. Keywords are reported as keywords even
    /// where the grammar reads them as names (a column called `database`).
    pub(crate) kind: Kind,
}

/// Scans `sql` with PostgreSQL's lexer, keeping every token but comments, in
/// order. Tokens whose offsets would not slice `sql` are dropped.
pub(crate) fn scan(sql: &str) -> Result<Vec<Token>, SyntaxError> {
    // `pg_query::scan_tokens` builds a slice from libpg_query's token array,
    // which is a null pointer when there are no tokens: undefined behaviour
    // (an abort in debug builds). Only PostgreSQL's whitespace scans to no
    // token at all (a comment is a token), so it never gets that far.
    if sql
        .bytes()
        .all(|byte| matches!(byte, b' ' | b'\t' | b'\n' | b'\r' | b'\x0b' | b'\x0c'))
    {
        return Ok(Vec::new());
    }
    let raw = pg_query::scan_tokens(sql).map_err(|error| {
        let message = match error {
            pg_query::Error::Scan(message) => message,
            other => other.to_string(),
        };
        SyntaxError::new(message, None)
    })?;
    Ok(raw
        .iter()
        .filter_map(|token| {
            let start = usize::try_from(token.start).ok()?;
            let end = usize::try_from(token.end).ok()?;
            let kind = Kind::try_from(token.token).unwrap_or(Kind::Nul);
            let sliceable = start <= end && sql.get(start..end).is_some();
            let comment = matches!(kind, Kind::SqlComment | Kind::CComment);
            (sliceable && !comment).then_some(Token { start, end, kind })
        })
        .collect())
}

/// The tokens lying entirely inside `start..end`, given all tokens in order.
pub(crate) fn within(tokens: &[Token], start: usize, end: usize) -> &[Token] {
    let first = tokens.partition_point(|token| token.start < start);
    let rest = tokens.get(first..).unwrap_or_default();
    let count = rest.partition_point(|token| token.end <= end);
    rest.get(..count).unwrap_or_default()
}

/// The kinds of the first `N` tokens, padded with `Kind::Nul` (which the
/// scanner never produces) when there are fewer.
pub(crate) fn leading<const N: usize>(tokens: &[Token]) -> [Kind; N] {
    let mut kinds = [Kind::Nul; N];
    for (kind, token) in kinds.iter_mut().zip(tokens) {
        *kind = token.kind;
    }
    kinds
}

/// Iterates over the tokens outside any parentheses or brackets.
pub(crate) fn top_level(tokens: &[Token]) -> impl Iterator<Item = &Token> {
    let mut depth = 0_usize;
    tokens.iter().filter(move |token| match token.kind {
        Kind::Ascii40 | Kind::Ascii91 => {
            depth += 1;
            false
        }
        Kind::Ascii41 | Kind::Ascii93 => {
            depth = depth.saturating_sub(1);
            false
        }
        _ => depth == 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(sql: &str) -> Vec<Kind> {
        scan(sql)
            .expect("scans")
            .iter()
            .map(|token| token.kind)
            .collect()
    }

    #[test]
    fn comments_are_not_tokens() {
        assert_eq!(
            kinds("-- a\nselect /* b /* nested */ c */ 1"),
            [Kind::Select, Kind::Iconst]
        );
    }

    #[test]
    fn strings_and_bodies_are_single_tokens() {
        assert_eq!(
            kinds("select $f$ vacuum; $f$, E'\\'; vacuum', \"vacuum\""),
            [
                Kind::Select,
                Kind::Sconst,
                Kind::Ascii44,
                Kind::Sconst,
                Kind::Ascii44,
                Kind::Ident
            ]
        );
    }

    #[test]
    fn whitespace_alone_scans_to_nothing_without_reaching_the_scanner() {
        for sql in ["", " ", "\n\t\r\x0b\x0c  \n"] {
            assert_eq!(kinds(sql), [], "{sql:?}");
        }
        assert_eq!(kinds("\n-- only a comment\n"), []);
    }

    #[test]
    fn within_keeps_only_tokens_inside() {
        let sql = "select 1; select 2";
        let tokens = scan(sql).expect("scans");
        let inside = within(&tokens, 10, sql.len());
        assert_eq!(inside.len(), 2);
        assert_eq!(&sql[inside[0].start..inside[1].end], "select 2");
        assert!(within(&tokens, 100, 200).is_empty());
    }

    #[test]
    fn top_level_skips_parenthesized_tokens() {
        let tokens = scan("create table t (a int) as select").expect("scans");
        let top: Vec<Kind> = top_level(&tokens).map(|token| token.kind).collect();
        assert_eq!(
            top,
            [
                Kind::Create,
                Kind::Table,
                Kind::Ident,
                Kind::As,
                Kind::Select
            ]
        );
    }
}
