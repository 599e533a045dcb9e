//! Building SQL text safely for the simple query protocol.
//!
//! strata talks to the server with the simple query protocol only, so the
//! same code works through a transaction-mode pooler (pgbouncer, Supabase's
//! port 6543), and a whole migration travels in one round trip. Values are
//! therefore inlined as literals: `E'...'` strings with backslashes and quotes
//! escaped, which mean the same whatever `standard_conforming_strings` says.

/// A string literal: `E'it''s'`.
pub fn literal(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 3);
    out.push_str("E'");
    for c in value.chars() {
        match c {
            '\'' => out.push_str("''"),
            '\\' => out.push_str("\\\\"),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// An optional string literal, `NULL` when absent.
pub fn literal_opt(value: Option<&str>) -> String {
    value.map_or_else(|| "NULL".to_owned(), literal)
}

/// A quoted identifier: `"my schema"`.
pub fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_escape_quotes_and_backslashes() {
        assert_eq!(literal("it's"), "E'it''s'");
        assert_eq!(literal(r"a\b"), r"E'a\\b'");
        assert_eq!(literal_opt(None), "NULL");
        assert_eq!(ident("we\"ird"), "\"we\"\"ird\"");
    }
}
